from __future__ import annotations

import json
import time
import urllib.error
import uuid
from pathlib import Path
from typing import Any

import pytest

from paasport.job.metrics import (
    SparkRestClient,
    SparkRunMetrics,
    collect_metrics,
    executors_from_rest,
    parse_memory,
    spark_time_s,
    stage_from_rest,
    task_slots,
    warm_up_rest,
)
from paasport.job.sql_metrics import execution_from_rest, executions_from_rest, parse_metric_value


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


# --- executors and SQL executions, on answers recorded from Spark 4.2's REST API -------------

REST = Path(__file__).parent / "spark_rest"


def recorded(name: str) -> Any:
    return json.loads((REST / name).read_text())


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("100,000", 100000),
        ("0", 0),
        ("0.0 B", 0),
        ("59.0 B", 59),
        ("399.7 KiB", round(399.7 * 1024)),
        ("32.0 MiB", 32 << 20),
        ("1.5 GiB", 3 << 29),
        ("2.0 TiB", 2 << 40),
        ("77 ms", 77),
        ("1.6 s", 1600),
        ("2.0 m", 120_000),
        ("1.0 h", 3_600_000),
        (
            "total (min, med, max (stageId: taskId))\n1562.5 KiB (781.3 KiB, 781.3 KiB, "
            "781.3 KiB (stage 7.0: task 11))",
            1_600_000,
        ),
        ("\ntotal (min, med, max (stageId: taskId))\n28 ms (13 ms, 15 ms, 15 ms (stage 0.0: t", 28),
        ("(min, med, max (stageId: taskId)):\n(1, 1, 1 (stage 9.0: task 214))", 1),
        ("", None),
        ("n/a", None),
        ("12 parsecs", None),
    ],
)
def test_metric_values_are_parsed_from_the_ui_strings(text: str, value: int | None) -> None:
    assert parse_metric_value(text) == value


def test_sql_executions_from_recorded_spark_answers() -> None:
    smj, bhj, aqe = executions_from_rest(recorded("sql.json"))
    # sort-merge join without AQE: each side's size is its Exchange's "data size"
    assert smj["id"] == 2 and smj["job_ids"] == [5] and smj["duration_ms"] == 21109
    assert smj["description"] == "smj"
    assert smj["joins"] == [
        {
            "strategy": "SortMergeJoin",
            "sides_bytes": [1_600_000, round(31.3 * 1024)],
            "sides_rows": [100_000, 1000],
        }
    ]
    assert smj["writes"] == []
    assert sorted((s["node"], s["files"], s["rows"]) for s in smj["scans"]) == [
        ("Scan parquet", 2, 100_000),
        ("Scan parquet", 3, 1000),
    ]
    # broadcast join: the streamed side has no exchange (its scan's size), the built side the
    # BroadcastExchange's; then a write of 4 files
    [join] = bhj["joins"]
    assert join["strategy"] == "BroadcastHashJoin"
    assert join["sides_bytes"] == [round(399.7 * 1024), 32 << 20]
    assert join["sides_rows"] == [100_000, 1000]
    assert bhj["writes"] == [
        {"files": 4, "bytes": round(598.1 * 1024), "rows": 100_000, "partitions": 0}
    ]
    assert bhj["job_ids"] == [6, 7, 8]
    # under AQE the walk passes the AQEShuffleRead to the Exchange below it: the same sizes
    # as without AQE
    [join] = aqe["joins"]
    assert join["strategy"] == "SortMergeJoin"
    assert join["sides_bytes"] == [1_600_000, round(15.6 * 1024)]
    assert join["sides_rows"] == [100_000, 1000]


def test_sql_execution_edge_cases() -> None:
    raw = {
        "id": 7,
        "description": "x" * 500,
        "duration": 12,
        "successJobIds": [3],
        "failedJobIds": [4],
        "runningJobIds": [],
        "nodes": [
            {"nodeId": 0, "nodeName": "SortMergeJoin(skew=true)", "metrics": []},
            {
                "nodeId": 1,
                "nodeName": "AQEShuffleRead",
                "metrics": [{"name": "partition data size", "value": "1.0 KiB"}],
            },
            {
                "nodeId": 2,
                "nodeName": "Range",
                "metrics": [{"name": "number of output rows", "value": "10"}],
            },
            {"nodeId": 3, "nodeName": "CartesianProduct", "metrics": []},
            {
                "nodeId": 4,
                "nodeName": "LocalTableScan",
                "metrics": [{"name": "number of output rows", "value": "3"}],
            },
            {
                "nodeId": 5,
                "nodeName": "Execute InsertIntoHadoopFsRelationCommand",
                "metrics": [
                    {"name": "number of written files", "value": "5"},
                    {"name": "written output", "value": "garbage"},
                ],
            },
        ],
        "edges": [
            {"fromId": 2, "toId": 0},
            {"fromId": 1, "toId": 0},
            {"fromId": 4, "toId": 3},
        ],
    }
    out = execution_from_rest(raw)
    assert len(out["description"]) == 200
    assert out["job_ids"] == [3, 4]
    skew, cartesian = out["joins"]
    assert skew == {
        "strategy": "SortMergeJoin",
        "sides_bytes": [1024, None],
        "sides_rows": [None, 10],
    }
    # one child only: the missing side is None
    assert cartesian == {
        "strategy": "CartesianProduct",
        "sides_bytes": [None, None],
        "sides_rows": [3, None],
    }
    assert out["writes"] == [{"files": 5, "bytes": 0, "rows": 0, "partitions": None}]
    assert out["scans"] == [{"node": "LocalTableScan", "files": None, "bytes": None, "rows": 3}]
    assert execution_from_rest({"id": 1})["joins"] == []


def test_executors_from_recorded_local_mode() -> None:
    [driver] = executors_from_rest(
        recorded("allexecutors_local.json"), recorded("environment.json")
    )
    assert driver["is_driver"] and driver["cores"] == 2 and driver["tasks"] == 427
    assert driver["task_time_ms"] == 43292 and driver["gc_time_ms"] == 995
    assert driver["add_time_ms"] == 1796236300102 and driver["remove_time_ms"] is None
    assert driver["peak_heap_bytes"] == 185582416
    # no spark.driver.memory: the heap is inverted from the storage pool, (1 GiB - 300 MiB) * 0.6
    assert abs(driver["max_heap_bytes"] - (1 << 30)) < (1 << 20)
    metrics = SparkRunMetrics("app", 0, 0, 0.0, [], executors=[driver], sql_executions=[])
    meta = metrics.as_metadata()
    assert meta["spark_cores"] == 2 and meta["spark_executor_count"] == 0
    assert meta["spark_sql_executions"] == [] and "spark_sql_executions_truncated" not in meta
    assert "spark_executors" not in SparkRunMetrics("app", 0, 0, 0.0, []).as_metadata()


def test_cluster_executors_and_task_slots() -> None:
    def executor(eid: str, cores: int, add: str, remove: str | None = None) -> dict[str, Any]:
        raw: dict[str, Any] = {
            "id": eid,
            "totalCores": cores,
            "addTime": f"2026-01-01T00:{add}.000GMT",
            "totalDuration": 1000,
            "totalTasks": 3,
            "totalGCTime": 10,
            "maxMemory": 2_000_000,
            "resourceProfileId": 0,
        }
        if remove:
            raw["removeTime"] = f"2026-01-01T00:{remove}.000GMT"
        return raw

    env: dict[str, Any] = {
        "sparkProperties": [["spark.driver.memory", "2g"]],
        "resourceProfiles": [{"id": 0, "executorResources": {"memory": {"amount": 4096}}}],
    }
    raws = [
        executor("driver", 0, "00:00"),
        executor("1", 4, "00:01", remove="00:30"),
        executor("2", 4, "00:02"),
        executor("3", 4, "00:30"),  # replaces 1 under dynamic allocation
    ]
    execs = executors_from_rest(raws, env)
    assert [e["max_heap_bytes"] for e in execs] == [2 << 30, 4 << 30, 4 << 30, 4 << 30]
    assert execs[0]["peak_heap_bytes"] is None
    assert execs[1]["remove_time_ms"] - execs[1]["add_time_ms"] == 29_000
    assert task_slots(execs) == 8
    env["sparkProperties"].append(["spark.executor.memory", "1536m"])
    assert executors_from_rest(raws[1:2], env)[0]["max_heap_bytes"] == 1536 << 20
    assert executors_from_rest(raws[1:2])[0]["max_heap_bytes"] is None
    meta = SparkRunMetrics("app", 0, 0, 0.0, [], executors=execs).as_metadata()
    assert meta["spark_executor_count"] == 3 and meta["spark_cores"] == 8


@pytest.mark.parametrize(
    ("text", "value"), [("4g", 4 << 30), ("512m", 512 << 20), ("1024", 1 << 30), ("2GB", 2 << 30)]
)
def test_memory_settings(text: str, value: int) -> None:
    assert parse_memory(text) == value


def test_collect_metrics_degrades_when_new_endpoints_fail(monkeypatch: pytest.MonkeyPatch) -> None:
    answers: dict[str, Any] = {"/jobs": [], "/stages?details=false": []}

    def get(self: SparkRestClient, path: str) -> Any:
        if path in answers:
            return answers[path]
        raise urllib.error.URLError("gone")

    monkeypatch.setattr(SparkRestClient, "get", get)
    meta = collect_metrics("http://driver:4040", "app-1", settle_s=0.5).as_metadata()
    assert meta["spark_jobs"] == 0
    for key in ("spark_executors", "spark_cores", "spark_executor_count", "spark_sql_executions"):
        assert key not in meta


def fake_rest(monkeypatch: pytest.MonkeyPatch, executions: list[dict[str, Any]]) -> list[str]:
    """A driver whose /sql lists `executions` by offset and length, as Spark does."""
    jobs = [
        {
            "jobId": j,
            "jobGroup": "g" if e["id"] >= 500 else None,
            "status": "SUCCEEDED",
            "stageIds": [],
            "jobTags": [f"spark-session-x-execution-root-id-{e['id']}"],
        }
        for e in executions
        for j in e["successJobIds"]
    ]
    seen: list[str] = []

    def get(self: SparkRestClient, path: str) -> Any:
        seen.append(path)
        if path == "/jobs":
            return jobs
        if path.startswith("/sql?"):
            query = dict(kv.split("=") for kv in path.split("?")[1].split("&"))
            offset, length = int(query["offset"]), int(query["length"])
            return executions[offset : offset + length]
        if path.startswith("/stages"):
            return []
        raise urllib.error.URLError(path)

    monkeypatch.setattr(SparkRestClient, "get", get)
    return seen


def sql_execution(eid: int) -> dict[str, Any]:
    return {
        "id": eid,
        "status": "COMPLETED",
        "duration": 1,
        "successJobIds": [eid * 2],
        "rootExecutionId": eid,
        "nodes": [],
        "edges": [],
    }


def test_sql_paging_caps_the_run_and_finds_a_group_past_dropped_executions(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # the oldest executions and one in the middle were dropped (spark.sql.ui.retainedExecutions)
    executions = [sql_execution(i) for i in range(100, 520) if i != 300]
    fake_rest(monkeypatch, executions)
    whole = collect_metrics("http://driver:4040", "app", settle_s=0.2)
    assert len(whole.sql_executions or []) == 200 and whole.sql_truncated
    assert whole.as_metadata()["spark_sql_executions_truncated"] is True
    group = collect_metrics("http://driver:4040", "app", settle_s=0.2, job_group="g")
    assert [e["id"] for e in group.sql_executions or []] == list(range(500, 520))
    assert not group.sql_truncated and group.jobs == 20


# --- the shared Spark session: one job group, joins and writes ---------------------------------


@pytest.mark.spark
def test_collect_metrics_of_a_job_group(spark: Any, tmp_path: Path) -> None:
    from pyspark.sql import functions as F

    sc = spark.sparkContext
    group = f"metrics-test-{uuid.uuid4().hex[:8]}"
    sc.setJobGroup(group, "metrics test")
    saved = {
        k: spark.conf.get(k, None)
        for k in ("spark.sql.autoBroadcastJoinThreshold", "spark.sql.adaptive.enabled")
    }
    try:
        big = spark.range(20_000).selectExpr("id", "id % 50 AS k")
        small = spark.range(50).selectExpr("id AS k", "cast(id AS string) AS v")
        big.repartition(2).write.parquet(str(tmp_path / "big"))
        small.repartition(3).write.parquet(str(tmp_path / "small"))
        big_in, small_in = (spark.read.parquet(str(tmp_path / n)) for n in ("big", "small"))
        spark.conf.set("spark.sql.autoBroadcastJoinThreshold", "-1")
        spark.conf.set("spark.sql.adaptive.enabled", "false")
        big_in.join(small_in, "k").repartition(4).write.parquet(str(tmp_path / "smj"))
        for key, value in saved.items():
            if value is None:
                spark.conf.unset(key)
            else:
                spark.conf.set(key, value)
        assert big_in.join(F.broadcast(small_in), "k").count() == 20_000
        # the REST API starts (Jersey, ~2 s) on its first request: time a warm collection
        warm_up_rest(sc.uiWebUrl, sc.applicationId, background=False)
        started = time.perf_counter()
        metrics = collect_metrics(sc.uiWebUrl, sc.applicationId, job_group=group)
        elapsed = time.perf_counter() - started
    finally:
        for key, value in saved.items():
            if value is None:
                spark.conf.unset(key)
            else:
                spark.conf.set(key, value)
        sc.setLocalProperty("spark.jobGroup.id", None)
        sc.setLocalProperty("spark.job.description", None)
    meta = metrics.as_metadata()
    assert elapsed < 1.5, elapsed
    assert meta["spark_cores"] == 2 and meta["spark_executor_count"] == 0
    [driver] = meta["spark_executors"]
    assert driver["is_driver"] and driver["tasks"] > 0 and driver["max_heap_bytes"] > 0
    execs = meta["spark_sql_executions"]
    job_ids = {j for e in execs for j in e["job_ids"]}
    assert job_ids and meta["spark_jobs"] >= len(execs) == 4
    assert all(s["stage_id"] >= 0 for s in meta["spark_stage_metrics"])
    writes = [w for e in execs for w in e["writes"]]
    assert [w["files"] for w in writes] == [2, 3, 4]
    assert [w["rows"] for w in writes] == [20_000, 50, 20_000]
    assert all(w["bytes"] > 0 for w in writes)
    joins = [j for e in execs for j in e["joins"]]
    assert [j["strategy"] for j in joins] == ["SortMergeJoin", "BroadcastHashJoin"]
    smj, bhj = joins
    # both sides through their shuffles: 20,000 and 50 rows of two longs (+ a string)
    assert smj["sides_rows"] == [20_000, 50]
    assert 100_000 < smj["sides_bytes"][0] < 10_000_000
    assert 0 < smj["sides_bytes"][1] < 100_000
    assert bhj["sides_rows"] == [20_000, 50]
    assert all(b is not None and b > 0 for b in bhj["sides_bytes"])
    scans = [s for e in execs for s in e["scans"] if s["node"].startswith("Scan parquet")]
    assert sorted((s["files"], s["rows"]) for s in scans) == [
        (2, 20_000),
        (2, 20_000),
        (3, 50),
        (3, 50),
    ]
    # the next group sees none of this one
    sc.setJobGroup(group + "-other", "other")
    try:
        spark.range(10).count()
        other = collect_metrics(sc.uiWebUrl, sc.applicationId, job_group=group + "-other")
    finally:
        sc.setLocalProperty("spark.jobGroup.id", None)
        sc.setLocalProperty("spark.job.description", None)
    other_ids = {j for e in other.sql_executions or [] for j in e["job_ids"]}
    assert other.jobs >= 1 and not other_ids & job_ids
