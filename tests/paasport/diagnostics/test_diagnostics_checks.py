"""Each Spark check on synthetic metadata: fires with its evidence and advice, quiet otherwise.

The boundary cases pin the default thresholds (the Spark tests may lower some of them).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from paasport.diagnostics import SPARK_CHECKS, DiagnosticsSettings, Finding, diagnose

MiB = 1024 * 1024
GiB = 1024 * MiB
Meta = dict[str, Any]
MakeStage = Callable[..., dict[str, Any]]


def one(meta: Meta, check: str, **thresholds: float) -> Finding:
    settings = DiagnosticsSettings(thresholds=thresholds)
    (found,) = [f for f in diagnose(meta, settings) if f.check == check]
    return found


def test_a_clean_run_raises_nothing(meta: Meta) -> None:
    findings = diagnose(meta)
    assert [f.check for f in findings] == list(SPARK_CHECKS)
    assert [f for f in findings if not f.passed] == []
    assert all(f.measured and f.advice == "" and f.severity == "WARN" for f in findings)


def test_a_two_second_demo_job_is_clean(make_stage: MakeStage) -> None:
    tiny = make_stage(
        0,
        tasks=2,
        duration_ms=1500,
        executor_run_time_ms=1200,
        jvm_gc_time_ms=400,
        task_time_quantiles_ms=[10.0, 10.0, 10.0, 1100.0, 1100.0, 1100.0],
    )
    demo = {
        "spark_time_s": 1.6,
        "spark_jobs": 1,
        "spark_executor_run_time_s": 1.2,
        "spark_gc_time_s": 0.4,
        "spark_stage_metrics": [tiny],
        "spark_cores": 8,
        "spark_executor_count": 0,
        "spark_sql_executions": [],
        "job_time_s": 9.0,
    }
    assert [f.check for f in diagnose(demo) if not f.passed] == []


def test_skew_fires_on_a_straggler(meta: Meta) -> None:
    meta["spark_stage_metrics"][1]["task_time_quantiles_ms"] = [100, 200, 300, 400, 800, 6000]
    f = one(meta, "spark_skew")
    assert not f.passed
    assert f.evidence["stage_id"] == 1 and f.evidence["max_task_s"] == 6.0
    assert f.evidence["max_over_median"] == 20.0
    assert "stage 1: slowest task 6.0 s = 20x its median" in f.summary
    assert f.advice.startswith("salt the hot key of stage 1")  # AQE is on by default
    # 3 other cores wait 5.7 s at $0.4 / (4 cores x 50 s) per core-second
    assert f.waste_usd == pytest.approx(5.7 * 3 * 0.4 / 200)
    meta["spark_conf"]["spark.sql.adaptive.enabled"] = "false"
    assert one(meta, "spark_skew").advice.startswith("spark.sql.adaptive.enabled=true")


def test_skew_defaults_are_dataflints(meta: Meta) -> None:
    # 4.9 s is under DataFlint's 5 s: quiet by default, loud once the threshold is lowered
    meta["spark_stage_metrics"][1]["task_time_quantiles_ms"] = [100, 200, 245, 400, 800, 4900]
    assert one(meta, "spark_skew").passed
    assert not one(meta, "spark_skew", skew_max_task_s=4.0).passed
    meta["spark_stage_metrics"][1]["task_time_quantiles_ms"] = [100, 200, 600, 700, 800, 6000]
    assert one(meta, "spark_skew").passed  # 10x is not over 10x


def test_skew_by_partition_size_follows_aqe(meta: Meta) -> None:
    st = meta["spark_stage_metrics"][1]
    st.update(shuffle_read_bytes=2 * GiB, executor_run_time_ms=10_000)
    st["task_time_quantiles_ms"] = [100, 400, 500, 600, 700, 3000]  # 6x, 3 s, ~614 MiB
    f = one(meta, "spark_skew")
    assert not f.passed and f.evidence["rule"] == "partition size (AQE)"
    assert f.evidence["est_max_task_bytes"] > 256 * MiB


def test_spill_fires_with_the_partition_count_to_use(meta: Meta) -> None:
    meta["spark_stage_metrics"][1].update(
        shuffle_read_bytes=1 * GiB, memory_spilled_bytes=2 * GiB, disk_spilled_bytes=512 * MiB
    )
    f = one(meta, "spark_spill")
    assert not f.passed
    # 2 GiB did not fit in 512 MiB slots (2 GiB memory / 4 cores): 8 + 4 tasks
    assert f.evidence["suggested_partitions"] == 12
    assert f.evidence["task_memory_bytes"] == 512 * MiB
    assert f.advice.startswith("spark.sql.shuffle.partitions=12 and ")
    assert "spark.sql.adaptive.advisoryPartitionSizeInBytes=86m" in f.advice
    assert "512.0 MiB to disk" in f.summary


def test_spill_ignores_a_little_and_the_minimum_can_be_lowered(meta: Meta) -> None:
    # 100 MiB from memory (30 MiB on disk, 12 % of the shuffle): under the 128 MiB minimum
    meta["spark_stage_metrics"][1].update(
        memory_spilled_bytes=100 * MiB, disk_spilled_bytes=30 * MiB
    )
    assert one(meta, "spark_spill").passed
    assert not one(meta, "spark_spill", spill_min_bytes=64 * MiB).passed
    assert one(meta, "spark_spill", spill_min_bytes=64 * MiB, spill_ratio=0.5).passed


def test_gc_fires_at_dr_elephants_moderate_grade(meta: Meta) -> None:
    meta["spark_gc_time_s"] = 30.0
    f = one(meta, "spark_gc")
    assert not f.passed and f.evidence["grade"] == "critical" and f.evidence["gc_ratio"] == 0.25
    assert f.advice.startswith("spark.driver.memory=2048m")  # local mode, 1g by default
    assert f.waste_usd == pytest.approx(30 * 0.4 / 200)
    meta["spark_gc_time_s"] = 10.8  # 0.09: Dr. Elephant's "low" grade, under the default
    assert one(meta, "spark_gc").passed
    assert one(meta, "spark_gc", gc_ratio=0.08).evidence["grade"] == "low"
    assert not one(meta, "spark_gc", gc_ratio=0.08).passed


def test_gc_on_a_cluster_names_executor_memory(meta: Meta) -> None:
    meta.update(
        spark_gc_time_s=20.0, spark_executor_count=2, spark_conf={"spark.executor.memory": "4g"}
    )
    assert one(meta, "spark_gc").advice.startswith("spark.executor.memory=8192m")
    meta["spark_gc_time_s"] = 9.0  # under gc_min_s, whatever the share
    meta["spark_executor_run_time_s"] = 20.0
    assert one(meta, "spark_gc").passed


def test_partitions_too_many_tiny_tasks(meta: Meta) -> None:
    meta["spark_stage_metrics"][1].update(
        tasks=6000, shuffle_read_bytes=1 * GiB, task_time_quantiles_ms=[5, 20, 50, 80, 100, 300]
    )
    f = one(meta, "spark_partitions")
    assert not f.passed and f.evidence["tasks"] == 6000 and f.evidence["median_task_ms"] == 50
    assert f.advice.startswith("spark.sql.shuffle.partitions=8 ")  # 1 GiB / 128 MiB, 4 cores
    meta["spark_stage_metrics"][1]["tasks"] = 5000  # DataFlint: more than 5,000
    assert one(meta, "spark_partitions").passed


def test_partitions_too_few_for_the_cores(meta: Meta) -> None:
    meta["spark_stage_metrics"][0].update(tasks=1, duration_ms=60_000)
    f = one(meta, "spark_partitions")
    assert not f.passed and "1 task(s) for 4 cores over 60.0 s" in f.summary
    # 2 tasks per core (Spark's tuning guide): 512 MiB of input over 8 tasks
    assert f.advice.startswith("spark.sql.files.maxPartitionBytes=64m")
    assert f.waste_usd == pytest.approx(3 * 60 * 0.4 / 200)
    meta["spark_stage_metrics"][0]["duration_ms"] = 9_000
    assert one(meta, "spark_partitions").passed
    assert not one(meta, "spark_partitions", partitions_few_min_stage_s=5).passed


def test_small_files_written(meta: Meta) -> None:
    meta["spark_sql_executions"][0]["writes"] = [
        {"files": 400, "bytes": 400 * MiB, "rows": 10, "partitions": None}
    ]
    f = one(meta, "spark_small_files")
    assert not f.passed and f.evidence["files"] == 400 and f.evidence["target_files"] == 4
    assert f.advice == "repartition(4) before the write in SQL execution 0 ('save at job.py:12')"
    meta["spark_sql_executions"][0]["writes"][0]["partitions"] = 50
    assert "repartition(<the partitionBy columns>)" in one(meta, "spark_small_files").advice
    meta["spark_sql_executions"][0]["writes"][0]["files"] = 100  # DataFlint: more than 100
    assert one(meta, "spark_small_files").passed


def test_small_files_read(meta: Meta) -> None:
    scan = {"node": "Scan json", "files": 300, "bytes": 300 * MiB, "rows": 5}
    meta["spark_sql_executions"][0]["scans"] = [scan]
    f = one(meta, "spark_small_files")
    assert not f.passed and f.evidence["kind"] == "scan" and f.evidence["target_files"] == 3
    assert f.advice.startswith("compact the input of Scan json into 3 files")
    assert one(meta, "spark_small_files", small_files_mean_bytes=512 * 1024).passed


def test_broadcast_a_small_side_of_a_sort_merge_join(meta: Meta) -> None:
    join = {"strategy": "SortMergeJoin", "sides_bytes": [2 * GiB, 5 * MiB], "sides_rows": [9, 1]}
    meta["spark_sql_executions"][0]["joins"] = [join]
    f = one(meta, "spark_broadcast")
    assert not f.passed and f.evidence["small_side"] == "right"
    assert f.evidence["small_side_bytes"] == 5 * MiB and f.evidence["small_side_rows"] == 1
    assert f.advice.startswith("broadcast(<right side>) in the join of SQL execution 0")
    meta["spark_conf"]["spark.sql.autoBroadcastJoinThreshold"] = "-1"
    assert one(meta, "spark_broadcast").advice == "spark.sql.autoBroadcastJoinThreshold=8m"


@pytest.mark.parametrize(
    ("strategy", "sides", "fires"),
    [
        ("SortMergeJoin", [50 * MiB, 20 * GiB], True),  # < 100 MiB against > 10 GiB
        ("SortMergeJoin", [50 * MiB, 5 * GiB], False),
        ("ShuffledHashJoin", [20 * GiB, 9 * MiB], True),
        ("SortMergeJoin", [1 * MiB, 2 * MiB], False),  # both tiny: nothing to save
        ("BroadcastHashJoin", [2 * GiB, 5 * MiB], False),
        ("SortMergeJoin", [None, 5 * MiB], False),
    ],
)
def test_broadcast_rules(meta: Meta, strategy: str, sides: list[int | None], fires: bool) -> None:
    join = {"strategy": strategy, "sides_bytes": sides, "sides_rows": [None, None]}
    meta["spark_sql_executions"][0]["joins"] = [join]
    assert one(meta, "spark_broadcast").passed is not fires


def test_idle_cores_local_and_cluster(meta: Meta) -> None:
    meta.update(spark_time_s=100.0, spark_executor_run_time_s=100.0, job_time_s=120.0)
    f = one(meta, "spark_idle_cores")
    assert not f.passed and f.evidence["idle_ratio"] == 0.75
    assert f.advice.startswith("spark.master=local[2]")  # 1 busy core on average, at 50 %
    assert f.waste_usd == pytest.approx(0.4 * 0.75 * 100 / 120)
    meta.update(spark_cores=16, spark_executor_count=4, spark_conf={})
    f = one(meta, "spark_idle_cores")
    assert f.advice.startswith("spark.executor.instances=1 (of 4 cores each, instead of 4)")
    meta["spark_conf"] = {"spark.dynamicAllocation.enabled": "true"}
    assert one(meta, "spark_idle_cores").advice.startswith("spark.dynamicAllocation.maxExecutors=1")


def test_idle_cores_quiet_below_half_or_short(meta: Meta) -> None:
    meta.update(spark_time_s=100.0, spark_executor_run_time_s=220.0, job_time_s=120.0)
    assert one(meta, "spark_idle_cores").passed  # 45 % idle
    assert not one(meta, "spark_idle_cores", idle_ratio=0.4).passed
    meta.update(spark_time_s=20.0, spark_executor_run_time_s=10.0)
    assert one(meta, "spark_idle_cores").passed  # 88 % idle, but only 20 s of Spark


def test_driver_time(meta: Meta) -> None:
    meta.update(job_time_s=200.0, spark_time_s=40.0)
    f = one(meta, "spark_driver_time")
    assert not f.passed and f.evidence["driver_only_s"] == 160.0
    assert "160 s of 200 s (80%) outside Spark jobs" in f.summary
    assert "collect()" in f.advice
    assert f.waste_usd == pytest.approx(0.4 * 160 / 200)
    meta["spark_jobs"] = 400
    assert one(meta, "spark_driver_time").advice.startswith("batch the 400 small actions")
    meta["spark_session_start_s"] = 100.0  # most of it was the session's start
    f = one(meta, "spark_driver_time")
    assert f.evidence["session_start_s"] == 100.0
    assert "100 s of it starting the SparkSession" in f.summary
    assert f.advice.startswith("start-up dominates")
    meta.update(job_time_s=25.0, spark_time_s=2.0)  # 92 %, but under 30 s
    assert one(meta, "spark_driver_time").passed
