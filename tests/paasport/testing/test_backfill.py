"""A backfill under load: 32 partitions of one asset launched at once, a Dagster concurrency
pool letting 4 run together, on an emulated platform (a real Spark Connect server, which
wants a token). Every partition's output is read back row by row against what its key makes,
and every run's metadata must be its own (a shared Pipes channel would mix them)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dagster as dg
import pyarrow.parquet as pq
import pytest

from paasport.dagster import PaasportResource, spark_asset
from paasport.testing import EmulatorPool
from paasport.testing.backfill import backfill, backfill_instance

pytestmark = pytest.mark.spark

JOB = Path(__file__).parents[1] / "fixtures" / "count_job.py"
KEYS = [str(k) for k in range(1, 33)]
LIMIT = 4
N = 70  # ids per unit of the partition key: key k counts 70 k ids, 10 k per remainder of 7


@pytest.fixture(scope="module")
def connect() -> Iterator[dict[str, Any]]:
    with EmulatorPool() as pool:
        yield pool["connect"]


def metadata_of(instance: dg.DagsterInstance, run_id: str) -> dict[str, Any]:
    (record,) = instance.all_logs(run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION)
    assert record.dagster_event is not None
    materialization = record.dagster_event.step_materialization_data.materialization
    return {k: getattr(v, "value", v) for k, v in materialization.metadata.items()}


def test_32_partitions_at_once_under_a_pool_limit(connect: dict[str, Any], tmp_path: Path) -> None:
    out = tmp_path / "out"
    asset = spark_asset(
        name="counts",
        job=JOB,
        partitions_def=dg.StaticPartitionsDefinition(KEYS),
        params={"output": str(out), "n": str(N)},
        checks=["has_rows"],
        diagnostics=False,
        pool="paasport-backfill",
    )
    instance = backfill_instance(tmp_path / "dagster_home")
    outcome = backfill(
        [asset],
        KEYS,
        instance=instance,
        resources={"paasport": PaasportResource(extra_profiles={"c": connect})},
        pool="paasport-backfill",
        limit=LIMIT,
        tags={"paasport/platform": "c"},
    )
    assert outcome.failed == []
    # Dagster held the rest back: never more than the limit, and more than one at a time
    assert 1 < outcome.max_running <= LIMIT, outcome
    for key in KEYS:
        k = int(key)
        rows = sorted((r["k"], r["count"]) for r in pq.read_table(out / key).to_pylist())
        assert rows == [(m, 10 * k) for m in range(7)], key  # complete, no row twice
        meta = metadata_of(instance, outcome.run_ids[key])
        assert (meta["n"], meta["partition"], meta["output_rows"]) == (N * k, key, 7), key
    assert sorted(p.name for p in out.iterdir()) == sorted(KEYS)  # nothing staged left over
