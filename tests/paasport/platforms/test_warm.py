"""The warm local Spark: which runs it can take, one server per spec, shared by runs, stopped
when idle or asked, and a run that sets what only a new Spark can take runs cold, saying so."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
from pydantic import ValidationError

from paasport.dagster import PaasportResource, spark_asset
from paasport.platforms.selfhosted import warm
from paasport.platforms.selfhosted.local import LocalProfile

JOB = Path(__file__).parents[1] / "fixtures" / "count_job.py"


def test_only_runtime_sql_settings_run_warm() -> None:
    conf = {
        "spark.sql.shuffle.partitions": "3",
        "spark.sql.files.maxPartitionBytes": "64m",
        "spark.executor.memory": "4g",
        "spark.driver.extraJavaOptions": "-Dx=1",
        "spark.sql.extensions": "io.delta.sql.DeltaSparkSessionExtension",
        "spark.sql.catalog.spark_catalog": "x",
        "spark.log.level": "INFO",
    }
    assert warm.needs_launch(conf) == [
        "spark.driver.extraJavaOptions",
        "spark.executor.memory",
        "spark.log.level",
        "spark.sql.catalog.spark_catalog",
        "spark.sql.extensions",
    ]


def test_one_server_per_spec() -> None:
    base = warm.WarmSpec("local[2]", "1g")
    assert base.key() == warm.WarmSpec("local[2]", "1g").key()
    others = [warm.WarmSpec("local[1]", "1g"), warm.WarmSpec("local[2]", "2g"),
              warm.WarmSpec("local[2]", "1g", class_archive=False)]  # fmt: skip
    assert len({base.key(), *(s.key() for s in others)}) == 4


def test_the_idle_limit_is_bounded() -> None:
    with pytest.raises(ValidationError, match="warm_idle_s"):
        LocalProfile(warm=True, warm_idle_s=1)


def running(pid: int) -> bool:
    """The process exists and is no zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def materialize(out: Path, profile: dict[str, Any], **params: str) -> dict[str, Any]:
    asset = spark_asset(
        name="counts", job=JOB, params={"output": str(out), **params}, checks=["has_rows"]
    )
    result = dg.materialize(
        [asset],
        instance=dg.DagsterInstance.ephemeral(),
        resources={"paasport": PaasportResource(extra_profiles={"w": profile})},
        run_config={"ops": {"counts": {"config": {"platform": "w"}}}},
    )
    meta = result.asset_materializations_for_node("counts")[0].metadata
    return {k: getattr(v, "value", v) for k, v in meta.items()}


@pytest.fixture
def state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("PAASPORT_STATE_DIR", str(tmp_path / "state"))
    try:
        yield tmp_path / "state" / "warm"
    finally:
        warm.stop()


@pytest.mark.spark
def test_runs_share_one_server_until_it_is_stopped(state_dir: Path, tmp_path: Path) -> None:
    profile = {"platform": "local", "master": "local[2]", "driver_memory": "1g", "warm": True,
               "spark_conf": {"spark.sql.shuffle.partitions": "3"}}  # fmt: skip
    first = materialize(tmp_path / "a", profile, n="700", echo_conf="spark.sql.shuffle.partitions")
    second = materialize(tmp_path / "b", profile, n="70")
    servers = [m["platform_facts"]["warm"]["server"] for m in (first, second)]
    assert servers[0] == servers[1]  # the second run found the first one's server
    assert first["output_rows"] == 7 and second["output_rows"] == 7
    # the profile's setting is what the job's session ran with, read back inside the job
    assert first["conf_readback"] == {"spark.sql.shuffle.partitions": "3"}
    assert first["spark_conf"]["spark.sql.shuffle.partitions"] == "3"
    assert first["spark_time_s"] > 0 and first["spark_stages"] > 0  # measured on the server
    assert first["spark_connect_session_id"] != second["spark_connect_session_id"]
    # a setting only a new Spark takes: this run starts its own, and says why
    cold_profile = {**profile, "spark_conf": {"spark.driver.maxResultSize": "512m"}}
    cold = materialize(tmp_path / "c", cold_profile, n="70")
    assert cold["platform_facts"]["warm"] == {
        "cold": "spark.driver.maxResultSize set only at launch"
    }
    assert cold["spark_conf"]["spark.driver.maxResultSize"] == "512m"
    (state,) = [warm.read_state(p.stem) for p in state_dir.glob("*.json")]
    assert state is not None and state.url == servers[0]
    assert warm.stop() == [state.key]
    assert not running(state.server_pid)  # the JVM went with its supervisor
    assert not list(state_dir.glob("*.json"))


@pytest.mark.spark
def test_an_unused_server_stops_itself(state_dir: Path) -> None:
    spec = warm.WarmSpec("local[1]", "512m", idle_s=1.0)
    with warm.acquire(spec, say=lambda _: None) as server:
        time.sleep(2.5)  # held: not idle however long it takes
        assert warm.read_state(server.key) == server
    deadline = time.monotonic() + 30
    while running(server.supervisor_pid) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert warm.read_state(server.key) is None
    assert not running(server.supervisor_pid) and not running(server.server_pid)
