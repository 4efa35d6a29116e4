"""The `connect` platform: profile rules, the token kept out of sight, and the atomic output
swap without a JVM (pyarrow's filesystem), through Dagster against a real Connect server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dagster as dg
import pyarrow.parquet as pq
import pytest
from pydantic import ValidationError

from paasport.dagster import PaasportResource, spark_asset
from paasport.platforms.selfhosted.connect import ConnectPlatform, ConnectProfile
from paasport.testing import SparkConnectServer

JOB = Path(__file__).parents[1] / "fixtures" / "count_job.py"


@pytest.mark.parametrize(
    "url", ["http://x:15002", "sc://", "sc://host:15002/;token=abc", "sc://h:p"]
)
def test_bad_urls_are_named(url: str) -> None:
    with pytest.raises(ValidationError, match="url"):
        ConnectProfile(url=url)


def test_the_token_goes_only_into_the_child_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    profile = ConnectProfile(url="sc://spark.example:443/;use_ssl=true", token_env="MY_TOKEN")
    platform = ConnectPlatform(profile, "remote")
    with pytest.raises(ValueError, match="MY_TOKEN, which is not set"):
        platform.extra_env()
    monkeypatch.setenv("MY_TOKEN", "s3cr3t")
    env = platform.extra_env()
    # PySpark's client reads the token from this variable; the URL keeps its own params
    assert env == {
        "SPARK_REMOTE": "sc://spark.example:443/;use_ssl=true",
        "SPARK_CONNECT_AUTHENTICATE_TOKEN": "s3cr3t",
    }
    assert "s3cr3t" not in str(platform.facts_extra()) and "s3cr3t" not in str(profile)


TOKEN_VAR, TOKEN = "PAASPORT_TEST_CONNECT_TOKEN", "connect-test-token-5d1f0c"


@pytest.fixture(scope="module")
def server() -> Iterator[SparkConnectServer]:
    # a server that wants a token, as a real endpoint does
    with SparkConnectServer(token=TOKEN) as running, pytest.MonkeyPatch.context() as env:
        env.setenv(TOKEN_VAR, TOKEN)
        yield running


def run(
    server: SparkConnectServer,
    out: Path,
    token_env: str | None = TOKEN_VAR,
    ui: bool = False,
    **params: str,
) -> dg.ExecuteInProcessResult:
    asset = spark_asset(
        name="counts", job=JOB, params={"output": str(out), **params}, checks=["has_rows"]
    )
    return dg.materialize(
        [asset],
        instance=dg.DagsterInstance.ephemeral(),
        resources={
            "paasport": PaasportResource(
                extra_profiles={
                    "c": {"platform": "connect", "url": server.url}
                    | ({"token_env": token_env} if token_env else {})
                    | ({"ui_url": server.ui_url} if ui else {})
                }
            )
        },
        run_config={"ops": {"counts": {"config": {"platform": "c"}}}},
        raise_on_error=False,
    )


@pytest.mark.spark
def test_output_is_swapped_atomically_without_a_jvm(
    server: SparkConnectServer, tmp_path: Path
) -> None:
    out = tmp_path / "counts"
    # without the token the server refuses the job, and nothing is written
    refused = run(server, out, token_env=None, n="700")
    assert not refused.success and not out.exists()
    first = run(server, out, n="700")
    assert first.success
    meta = first.asset_materializations_for_node("counts")[0].metadata
    assert meta["output_rows"].value == 7 == meta["dagster/row_count"].value
    assert meta["spark_metrics"].value == "unavailable under Spark Connect"
    before = sorted(p.name for p in out.iterdir())
    # a failing re-run leaves the previous output as it was
    assert not run(server, out, n="70", fail="yes").success
    assert sorted(p.name for p in out.iterdir()) == before
    # a good re-run replaces it; no staging or trash folders are left
    assert run(server, out, n="70").success
    assert sum(r["count"] for r in pq.read_table(out).to_pylist()) == 70
    assert [p.name for p in tmp_path.iterdir()] == ["counts"]


@pytest.mark.spark
def test_with_the_servers_ui_a_job_measures_only_its_own_session(
    server: SparkConnectServer, tmp_path: Path
) -> None:
    runs: list[dict[str, Any]] = []
    for i in range(2):  # the second run shares the server with the first one's finished jobs
        result = run(server, tmp_path / f"counts{i}", ui=True, n="700")
        assert result.success
        meta = result.asset_materializations_for_node("counts")[0].metadata
        runs.append({k: getattr(v, "value", v) for k, v in meta.items()})
    for meta in runs:
        assert "spark_metrics" not in meta  # measured, not "unavailable"
        assert meta["spark_time_s"] > 0 and meta["spark_stages"] > 0
        assert meta["spark_app_id"] == runs[0]["spark_app_id"]  # one application: the server's
    # the same work measured alike: the first session's jobs are not counted again
    assert runs[1]["spark_jobs"] == runs[0]["spark_jobs"]
    assert runs[1]["spark_tasks"] == runs[0]["spark_tasks"]
    assert runs[1]["spark_connect_session_id"] != runs[0]["spark_connect_session_id"]


def test_a_bad_ui_url_is_named() -> None:
    with pytest.raises(ValidationError, match="ui_url"):
        ConnectProfile(url="sc://h:15002", ui_url="127.0.0.1:4040")
