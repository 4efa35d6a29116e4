"""End to end through Dagster Pipes and real spark-submit on the `local` platform."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dagster as dg
import pyarrow.parquet as pq
import pytest

from paasport.dagster import PLATFORM_TAG, PaasportResource, spark_asset
from paasport.dagster.diagnostics import PAASPORT_CHECKS

JOB = Path(__file__).parents[1] / "fixtures" / "count_job.py"
pytestmark = pytest.mark.spark
#: A user's Spark settings, through the real config path: `[assets.counts]` in paasport.toml.
ASKED = {"spark.sql.shuffle.partitions": "37", "spark.sql.adaptive.enabled": "false"}
SECRET = "PLANTED-SECRET-123"
USER_TOML = (
    "[assets.counts]\nspark_conf = { "
    + ", ".join(f'"{k}" = "{v}"' for k, v in ASKED.items())
    + f', "spark.hadoop.fs.s3a.secret.key" = "{SECRET}" }}\n'
)


def counts_asset(output: Path, **params: str) -> dg.AssetsDefinition:
    return spark_asset(
        name="counts",
        job=JOB,
        params={"output": str(output), **params},
        checks=["has_rows"],
    )


def run(
    asset: dg.AssetsDefinition,
    instance: dg.DagsterInstance,
    run_config: dict[str, object] | None = None,
    tags: dict[str, str] | None = None,
) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        [asset],
        instance=instance,
        resources={"paasport": PaasportResource()},
        run_config=run_config or {},
        tags=tags or {},
        raise_on_error=False,
    )


@pytest.fixture(scope="module")
def instance() -> dg.DagsterInstance:
    return dg.DagsterInstance.ephemeral()


def files(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()}


def test_materialization_records_platform_timings_and_metrics(
    tmp_path: Path, instance: dg.DagsterInstance, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "paasport.toml").write_text(USER_TOML)
    monkeypatch.setenv("PAASPORT_CONFIG", str(tmp_path / "paasport.toml"))
    out = tmp_path / "counts"
    result = run(counts_asset(out, n="700", echo_conf=",".join(ASKED)), instance)
    assert result.success
    meta: dict[str, Any] = {
        k: getattr(v, "value", v)
        for k, v in result.asset_materializations_for_node("counts")[0].metadata.items()
    }
    # the user's settings are what the job ran with (paasport's defaults did not replace them),
    # and the run records them, the secret redacted
    assert meta["conf_readback"] == ASKED
    assert meta["spark_conf"].items() >= ASKED.items()
    assert meta["spark_conf"]["spark.hadoop.fs.s3a.secret.key"] == "*********(redacted)"
    assert meta["spark_conf"]["spark.sql.session.timeZone"] == "UTC"  # unset: the default
    assert "spark.app.id" not in meta["spark_conf"]
    assert SECRET not in str(meta)
    assert meta["platform"] == "local"
    assert meta["spark_app_id"].startswith("local-")
    assert meta["platform_spark_app_id"] == meta["spark_app_id"]
    assert meta["wall_time_s"] > meta["spark_time_s"] > 0
    assert meta["output_rows"] == 7 == meta["dagster/row_count"]
    assert meta["input_bytes"] >= 0
    for key in (
        "spark_stages",
        "spark_tasks",
        "spark_shuffle_write_bytes",
        "spark_gc_time_s",
        "spark_memory_spilled_bytes",
        "spark_disk_spilled_bytes",
        "spark_output_records",
    ):
        assert key in meta, key
    assert meta["spark_shuffle_write_bytes"] > 0
    stages = meta["spark_stage_metrics"]
    assert stages and all(len(s["task_time_quantiles_ms"]) == 6 for s in stages if s["tasks"])
    assert meta["n"] == 700
    # priced like every run: your own machine, at the catalog's (zero) core-hour price
    assert meta["cost_usd_total"] == 0.0 == meta["cost_usd_compute"]
    assert meta["cost"]["lines"][0]["unit"] == "core-hour"
    evaluations = result.get_asset_check_evaluations()
    assert [c.passed for c in evaluations if c.check_name == "has_rows"] == [True]
    # paasport's own checks on a real run: all reported, and a small clean job raises none
    by_name = {c.check_name: c for c in evaluations}
    assert set(PAASPORT_CHECKS) <= set(by_name)
    assert all(by_name[name].passed for name in PAASPORT_CHECKS), meta["diagnostics"]
    assert {f["check"] for f in meta["diagnostics"]} == set(PAASPORT_CHECKS)
    rows = pq.read_table(out).to_pylist()
    assert sum(r["count"] for r in rows) == 700

    # a failing re-run fails the asset and leaves the previous output untouched
    before = files(out)
    failed = run(counts_asset(out, n="700", fail="yes"), instance)
    assert not failed.success
    assert files(out) == before
    # a successful re-run replaces the output: no staging or trash directories remain
    again = run(counts_asset(out, n="70"), instance)
    assert again.success
    assert sum(r["count"] for r in pq.read_table(out).to_pylist()) == 70
    assert files(out) != before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith("_")]


def test_invalid_platform_fails_before_launch(tmp_path: Path, instance: dg.DagsterInstance) -> None:
    asset = counts_asset(tmp_path / "never")
    for kwargs, field in (
        (
            {"run_config": {"ops": {"counts": {"config": {"platform": "emrr"}}}}},
            "run config ops.counts.config.platform",
        ),
        ({"tags": {PLATFORM_TAG: "nope"}}, "run tag paasport/platform"),
    ):
        result = run(asset, instance, **kwargs)
        assert not result.success
        failure = result.failure_data_for_node("counts")
        assert failure is not None
        message = str(
            failure.user_failure_data.description if failure.user_failure_data else failure.error
        )
        assert (
            "nothing launched" in message
            and field in message
            and "unknown platform or profile" in message
        )
    assert not (tmp_path / "never").exists()
