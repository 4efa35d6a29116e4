"""Spark metrics of a finished run, read from the driver's own status REST API.

The driver's UI server answers on the driver host, so this works wherever the job runs in
classic (non-Connect) mode. Standard library only.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

QUANTILES = (0.0, 0.25, 0.5, 0.75, 0.95, 1.0)

#: stage field in the REST answer -> our metric name
_STAGE_SUMS = {
    "numTasks": "tasks",
    "numFailedTasks": "failed_tasks",
    "executorRunTime": "executor_run_time_ms",
    "executorCpuTime": "executor_cpu_time_ns",
    "jvmGcTime": "jvm_gc_time_ms",
    "inputBytes": "input_bytes",
    "inputRecords": "input_records",
    "outputBytes": "output_bytes",
    "outputRecords": "output_records",
    "shuffleReadBytes": "shuffle_read_bytes",
    "shuffleWriteBytes": "shuffle_write_bytes",
    "memoryBytesSpilled": "memory_spilled_bytes",
    "diskBytesSpilled": "disk_spilled_bytes",
}


@dataclass
class StageMetrics:
    stage_id: int
    attempt: int
    name: str
    status: str
    duration_ms: int
    tasks: int = 0
    failed_tasks: int = 0
    executor_run_time_ms: int = 0
    executor_cpu_time_ns: int = 0
    jvm_gc_time_ms: int = 0
    input_bytes: int = 0
    input_records: int = 0
    output_bytes: int = 0
    output_records: int = 0
    shuffle_read_bytes: int = 0
    shuffle_write_bytes: int = 0
    memory_spilled_bytes: int = 0
    disk_spilled_bytes: int = 0
    #: task run time (ms) at QUANTILES
    task_time_quantiles_ms: list[float] = field(default_factory=list)


@dataclass
class SparkRunMetrics:
    app_id: str
    jobs: int
    failed_jobs: int
    spark_time_s: float
    stages: list[StageMetrics]

    def totals(self) -> dict[str, int]:
        out = dict.fromkeys(_STAGE_SUMS.values(), 0)
        for stage in self.stages:
            for name in out:
                out[name] += int(getattr(stage, name))
        return out

    def as_metadata(self) -> dict[str, Any]:
        """Flat numbers for charts plus the per-stage table for diagnostics."""
        totals = self.totals()
        skew = [q[-1] / q[2] for s in self.stages if (q := s.task_time_quantiles_ms) and q[2] > 0]
        meta: dict[str, Any] = {
            "spark_app_id": self.app_id,
            "spark_time_s": round(self.spark_time_s, 3),
            "spark_jobs": self.jobs,
            "spark_failed_jobs": self.failed_jobs,
            "spark_stages": len(self.stages),
            "spark_tasks": totals["tasks"],
            "spark_failed_tasks": totals["failed_tasks"],
            "spark_executor_run_time_s": round(totals["executor_run_time_ms"] / 1000, 3),
            "spark_executor_cpu_time_s": round(totals["executor_cpu_time_ns"] / 1e9, 3),
            "spark_gc_time_s": round(totals["jvm_gc_time_ms"] / 1000, 3),
            "spark_input_bytes": totals["input_bytes"],
            "spark_input_records": totals["input_records"],
            "spark_output_bytes": totals["output_bytes"],
            "spark_output_records": totals["output_records"],
            "spark_shuffle_read_bytes": totals["shuffle_read_bytes"],
            "spark_shuffle_write_bytes": totals["shuffle_write_bytes"],
            "spark_memory_spilled_bytes": totals["memory_spilled_bytes"],
            "spark_disk_spilled_bytes": totals["disk_spilled_bytes"],
            # the worst max/median task time ratio of any stage: 1.0 means no skew
            "spark_task_skew_max_over_median": round(max(skew), 3) if skew else 1.0,
            "spark_stage_metrics": [asdict(s) for s in self.stages],
        }
        return meta


def parse_spark_time(value: str | None) -> datetime | None:
    """Spark's REST dates look like 2026-11-22T20:52:17.123GMT."""
    if not value:
        return None
    return datetime.strptime(value.replace("GMT", "+0000"), "%Y-%m-%dT%H:%M:%S.%f%z")


def _duration_ms(start: str | None, end: str | None) -> int:
    a, b = parse_spark_time(start), parse_spark_time(end)
    return int((b - a).total_seconds() * 1000) if a and b else 0


def stage_from_rest(raw: Mapping[str, Any], quantiles: Sequence[float]) -> StageMetrics:
    stage = StageMetrics(
        stage_id=int(raw["stageId"]),
        attempt=int(raw.get("attemptId", 0)),
        name=str(raw.get("name", "")),
        status=str(raw.get("status", "")),
        duration_ms=_duration_ms(raw.get("submissionTime"), raw.get("completionTime")),
        task_time_quantiles_ms=[float(q) for q in quantiles],
    )
    for rest_name, our_name in _STAGE_SUMS.items():
        setattr(stage, our_name, int(raw.get(rest_name, 0) or 0))
    return stage


def spark_time_s(jobs: Sequence[Mapping[str, Any]]) -> float:
    """Time Spark was busy: the union of job intervals (concurrent jobs are not double counted)."""
    spans = sorted(
        (a.timestamp(), b.timestamp())
        for j in jobs
        if (a := parse_spark_time(j.get("submissionTime")))
        and (b := parse_spark_time(j.get("completionTime")))
    )
    total, cur_start, cur_end = 0.0, None, None
    for start, end in spans:
        if cur_end is None or start > cur_end:
            if cur_end is not None and cur_start is not None:
                total += cur_end - cur_start
            cur_start, cur_end = start, end
        else:
            cur_end = max(cur_end, end)
    if cur_end is not None and cur_start is not None:
        total += cur_end - cur_start
    return total


class SparkRestClient:
    def __init__(self, ui_url: str, app_id: str, timeout_s: float = 10.0) -> None:
        self.base = f"{ui_url.rstrip('/')}/api/v1/applications/{app_id}"
        self.timeout_s = timeout_s

    def get(self, path: str) -> Any:
        with urllib.request.urlopen(f"{self.base}{path}", timeout=self.timeout_s) as resp:
            return json.load(resp)


def collect_metrics(ui_url: str | None, app_id: str, settle_s: float = 5.0) -> SparkRunMetrics:
    """Read jobs and stages once the listener bus has caught up with the last action."""
    if not ui_url:
        return SparkRunMetrics(app_id=app_id, jobs=0, failed_jobs=0, spark_time_s=0.0, stages=[])
    client = SparkRestClient(ui_url, app_id)
    deadline = time.monotonic() + settle_s
    jobs: list[dict[str, Any]] = client.get("/jobs")
    # events reach the status store asynchronously: wait until nothing is running
    while any(j.get("status") == "RUNNING" for j in jobs) and time.monotonic() < deadline:
        time.sleep(0.2)
        jobs = client.get("/jobs")
    stages = []
    for raw in client.get("/stages?details=false"):
        if raw.get("status") not in ("COMPLETE", "FAILED"):
            continue
        quantiles: list[float] = []
        try:
            q = ",".join(str(x) for x in QUANTILES)
            summary = client.get(
                f"/stages/{raw['stageId']}/{raw.get('attemptId', 0)}/taskSummary?quantiles={q}"
            )
            quantiles = [float(x) for x in summary.get("executorRunTime", [])]
        except (urllib.error.URLError, ValueError, KeyError):
            quantiles = []
        stages.append(stage_from_rest(raw, quantiles))
    stages.sort(key=lambda s: (s.stage_id, s.attempt))
    return SparkRunMetrics(
        app_id=app_id,
        jobs=len(jobs),
        failed_jobs=sum(1 for j in jobs if j.get("status") == "FAILED"),
        spark_time_s=spark_time_s(jobs),
        stages=stages,
    )
