from __future__ import annotations

from paasport.job.metrics import SparkRunMetrics, spark_time_s, stage_from_rest


def job(start: str, end: str) -> dict[str, str]:
    return {
        "submissionTime": f"2026-01-01T00:{start}GMT",
        "completionTime": f"2026-01-01T00:{end}GMT",
    }


def test_spark_time_is_the_union_of_job_intervals() -> None:
    jobs = [
        job("00:00.000", "00:10.000"),
        job("00:05.000", "00:12.500"),
        job("01:00.000", "01:01.000"),
    ]
    assert spark_time_s(jobs) == 13.5
    assert spark_time_s([]) == 0.0


def test_stage_totals_and_skew() -> None:
    raw = {
        "stageId": 3,
        "attemptId": 0,
        "name": "save",
        "status": "COMPLETE",
        "submissionTime": "2026-01-01T00:00:00.000GMT",
        "completionTime": "2026-01-01T00:00:02.500GMT",
        "numTasks": 4,
        "executorRunTime": 4000,
        "jvmGcTime": 120,
        "inputBytes": 1000,
        "outputRecords": 42,
        "shuffleWriteBytes": 77,
        "diskBytesSpilled": 5,
    }
    stage = stage_from_rest(raw, [10, 20, 100, 300, 900, 1000])
    other = stage_from_rest({**raw, "stageId": 4, "outputRecords": 8}, [])
    metrics = SparkRunMetrics(
        app_id="app-1", jobs=2, failed_jobs=0, spark_time_s=2.5, stages=[stage, other]
    )
    meta = metrics.as_metadata()
    assert stage.duration_ms == 2500
    assert meta["spark_output_records"] == 50
    assert meta["spark_tasks"] == 8
    assert meta["spark_gc_time_s"] == 0.24
    assert meta["spark_disk_spilled_bytes"] == 10
    assert meta["spark_task_skew_max_over_median"] == 10.0
    assert meta["spark_stage_metrics"][0]["task_time_quantiles_ms"][-1] == 1000.0
