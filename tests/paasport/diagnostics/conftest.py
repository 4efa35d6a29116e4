"""A clean run's metadata, shaped like paasport.job.metrics' as_metadata(), for tests to break."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

MiB = 1024 * 1024
GiB = 1024 * MiB


def stage(stage_id: int, **values: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "stage_id": stage_id,
        "attempt": 0,
        "name": f"save at job.py:{stage_id}",
        "status": "COMPLETE",
        "duration_ms": 20_000,
        "tasks": 8,
        "failed_tasks": 0,
        "executor_run_time_ms": 60_000,
        "executor_cpu_time_ns": 50_000_000_000,
        "jvm_gc_time_ms": 500,
        "input_bytes": 0,
        "input_records": 0,
        "output_bytes": 0,
        "output_records": 0,
        "shuffle_read_bytes": 0,
        "shuffle_write_bytes": 0,
        "memory_spilled_bytes": 0,
        "disk_spilled_bytes": 0,
        "task_time_quantiles_ms": [6000.0, 7000.0, 7500.0, 8000.0, 8500.0, 9000.0],
    }
    out.update(values)
    return out


def clean() -> dict[str, Any]:
    """A well-behaved run on local[4]: balanced tasks, no spill, little GC, busy cores."""
    return {
        "spark_time_s": 40.0,
        "spark_jobs": 2,
        "spark_stages": 2,
        "spark_tasks": 16,
        "spark_executor_run_time_s": 120.0,
        "spark_executor_cpu_time_s": 100.0,
        "spark_gc_time_s": 1.0,
        "spark_input_bytes": 512 * MiB,
        "spark_output_bytes": 400 * MiB,
        "spark_output_records": 1_000_000,
        "spark_shuffle_read_bytes": 256 * MiB,
        "spark_shuffle_write_bytes": 256 * MiB,
        "spark_memory_spilled_bytes": 0,
        "spark_disk_spilled_bytes": 0,
        "spark_task_skew_max_over_median": 1.2,
        "spark_stage_metrics": [
            stage(0, input_bytes=512 * MiB, shuffle_write_bytes=256 * MiB),
            stage(1, shuffle_read_bytes=256 * MiB, output_bytes=400 * MiB),
        ],
        "spark_executors": [
            {
                "id": "driver",
                "is_driver": True,
                "cores": 4,
                "add_time_ms": 0,
                "remove_time_ms": None,
                "task_time_ms": 125_000,
                "tasks": 16,
                "gc_time_ms": 1000,
                "max_memory_bytes": 2 * GiB,
                "peak_heap_bytes": 1 * GiB,
                "max_heap_bytes": 4 * GiB,
            }
        ],
        "spark_cores": 4,
        "spark_executor_count": 0,
        "spark_sql_executions": [
            {
                "id": 0,
                "description": "save at job.py:12",
                "duration_ms": 39_000,
                "job_ids": [0, 1],
                "joins": [
                    {
                        "strategy": "BroadcastHashJoin",
                        "sides_bytes": [512 * MiB, 2 * MiB],
                        "sides_rows": [10_000_000, 1000],
                    }
                ],
                "writes": [{"files": 4, "bytes": 400 * MiB, "rows": 1_000_000, "partitions": None}],
                "scans": [
                    {"node": "Scan parquet", "files": 4, "bytes": 512 * MiB, "rows": 10_000_000}
                ],
            }
        ],
        "job_time_s": 50.0,
        "wall_time_s": 60.0,
        "input_bytes": 512 * MiB,
        "output_rows": 1_000_000,
        "platform": "local",
        "profile": "default",
        "cost_usd_total": 0.5,
        "cost_usd_compute": 0.4,
        "spark_conf": {"spark.master": "local[4]"},
    }


@pytest.fixture
def meta() -> dict[str, Any]:
    return clean()


@pytest.fixture
def make_stage() -> Callable[..., dict[str, Any]]:
    return stage
