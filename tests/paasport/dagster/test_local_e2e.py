"""End to end through Dagster Pipes and real spark-submit on the `local` platform."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dagster as dg
import pyarrow.parquet as pq
import pytest

from paasport.dagster import PLATFORM_TAG, PaasportResource, spark_asset

JOB = Path(__file__).parents[1] / "fixtures" / "count_job.py"
pytestmark = pytest.mark.spark


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
    tmp_path: Path, instance: dg.DagsterInstance
) -> None:
    out = tmp_path / "counts"
    result = run(counts_asset(out, n="700"), instance)
    assert result.success
    meta: dict[str, Any] = {
        k: getattr(v, "value", v)
        for k, v in result.asset_materializations_for_node("counts")[0].metadata.items()
    }
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
    assert [c.passed for c in result.get_asset_check_evaluations()] == [True]
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
