"""Spark metrics of a finished run, read from the driver's own status REST API.

The driver's UI server answers on the driver host, so this works wherever the job runs in
classic (non-Connect) mode. Standard library only.
"""

from __future__ import annotations

import json
import re
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from paasport.job.sql_metrics import execution_job_ids, executions_from_rest

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
    #: `/allexecutors` rows (see executors_from_rest); None when not read
    executors: list[dict[str, Any]] | None = None
    #: `/sql` executions (see paasport.job.sql_metrics); None when not read
    sql_executions: list[dict[str, Any]] | None = None
    #: more executions existed than MAX_SQL_EXECUTIONS
    sql_truncated: bool = False

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
        if self.executors is not None:
            meta["spark_executors"] = self.executors
            meta["spark_cores"] = task_slots(self.executors)
            meta["spark_executor_count"] = sum(1 for e in self.executors if not e["is_driver"])
        if self.sql_executions is not None:
            meta["spark_sql_executions"] = self.sql_executions
            if self.sql_truncated:
                meta["spark_sql_executions_truncated"] = True
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


#: what a failed REST read raises; every new reading degrades to a missing key on these
REST_ERRORS = (urllib.error.URLError, OSError, ValueError, KeyError, TypeError)

#: the most SQL executions read (the first ones of the run or job group)
MAX_SQL_EXECUTIONS = 200
_SQL_PAGE = 100
#: UnifiedMemoryManager keeps this much heap out of the unified pool
_RESERVED_MEMORY = 300 << 20
_MEMORY_SUFFIXES = {"b": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40, "p": 1 << 50}


def epoch_ms(value: str | None) -> int | None:
    moment = parse_spark_time(value)
    return int(moment.timestamp() * 1000) if moment else None


def parse_memory(value: str | None) -> int | None:
    """spark.executor.memory style sizes ("4g", "512m", "1024" = MiB) in bytes."""
    if not value:
        return None
    text = value.strip().lower().removesuffix("b") if value.strip().lower() != "b" else "0"
    if not text:
        return None
    unit = text[-1]
    try:
        if unit in _MEMORY_SUFFIXES:
            return int(float(text[:-1]) * _MEMORY_SUFFIXES[unit])
        return int(float(text) * (1 << 20))
    except ValueError:
        return None


def _heap_from_pool(raw: Mapping[str, Any], conf: Mapping[str, str]) -> int | None:
    """Runtime.maxMemory of the JVM, inverted from the on-heap storage pool Spark reports:
    pool = (heap - 300 MiB) * spark.memory.fraction."""
    pool = (raw.get("memoryMetrics") or {}).get("totalOnHeapStorageMemory")
    if not pool:
        return None
    try:
        fraction = float(conf.get("spark.memory.fraction", "0.6"))
    except ValueError:
        return None
    if fraction <= 0:
        return None
    return int(int(pool) / fraction) + _RESERVED_MEMORY


def executors_from_rest(
    raws: Sequence[Mapping[str, Any]], environment: Mapping[str, Any] | None = None
) -> list[dict[str, Any]]:
    """`/allexecutors` rows; `environment` (`/environment`) gives the configured heap sizes."""
    env = environment or {}
    conf = {str(p[0]): str(p[1]) for p in env.get("sparkProperties") or [] if len(p) == 2}
    profile_memory: dict[int, int] = {}
    for profile in env.get("resourceProfiles") or []:
        amount = ((profile.get("executorResources") or {}).get("memory") or {}).get("amount")
        if amount:
            profile_memory[int(profile.get("id", 0))] = int(amount) << 20
    out = []
    for raw in raws:
        is_driver = str(raw.get("id")) == "driver"
        # all peaks read 0 until the first heartbeat: a heap is never empty, so that is unknown
        peak = (raw.get("peakMemoryMetrics") or {}).get("JVMHeapMemory") or None
        if is_driver:
            heap = parse_memory(conf.get("spark.driver.memory"))
        else:
            heap = parse_memory(conf.get("spark.executor.memory"))
            if heap is None:
                heap = profile_memory.get(int(raw.get("resourceProfileId", 0) or 0))
        if heap is None:
            heap = _heap_from_pool(raw, conf)
        out.append(
            {
                "id": str(raw.get("id")),
                "is_driver": is_driver,
                "cores": int(raw.get("totalCores") or 0),
                "add_time_ms": epoch_ms(raw.get("addTime")) or 0,
                "remove_time_ms": epoch_ms(raw.get("removeTime")),
                "task_time_ms": int(raw.get("totalDuration") or 0),
                "tasks": int(raw.get("totalTasks") or 0),
                "gc_time_ms": int(raw.get("totalGCTime") or 0),
                "max_memory_bytes": int(raw.get("maxMemory") or 0),
                "peak_heap_bytes": int(peak) if peak is not None else None,
                "max_heap_bytes": heap,
            }
        )
    return out


def task_slots(executors: Sequence[Mapping[str, Any]]) -> int:
    """The task slots the run had: the most cores non-driver executors held at one time (their
    plain sum unless dynamic allocation replaced some); in local mode the driver's cores."""
    workers = [e for e in executors if not e["is_driver"]]
    if not workers:
        return sum(int(e["cores"]) for e in executors)
    events = []
    for e in workers:
        events.append((int(e["add_time_ms"]), 1, int(e["cores"])))
        if e["remove_time_ms"] is not None:
            events.append((int(e["remove_time_ms"]), 0, -int(e["cores"])))
    peak = current = 0
    for _, _, delta in sorted(events):  # at a tie a removal counts before an addition
        current += delta
        peak = max(peak, current)
    return peak


class SparkRestClient:
    def __init__(self, ui_url: str, app_id: str, timeout_s: float = 10.0) -> None:
        self.base = f"{ui_url.rstrip('/')}/api/v1/applications/{app_id}"
        self.timeout_s = timeout_s

    def get(self, path: str) -> Any:
        with urllib.request.urlopen(f"{self.base}{path}", timeout=self.timeout_s) as resp:
            return json.load(resp)


def warm_up_rest(ui_url: str | None, app_id: str, background: bool = True) -> None:
    """Touch the endpoints collect_metrics reads. The driver starts its REST API on the first
    request (~2 s of Jersey start-up, more with a C1-only JIT); calling this when the session
    starts, in the background, takes that off the end of the job."""
    if not ui_url:
        return
    client = SparkRestClient(ui_url, app_id)

    def touch() -> None:
        for path in ("/jobs", "/allexecutors", "/sql?details=false&offset=0&length=1"):
            try:
                client.get(path)
            except REST_ERRORS:
                return

    if background:
        threading.Thread(target=touch, name="paasport-rest-warm-up", daemon=True).start()
    else:
        touch()


_ROOT_TAG = re.compile(r"-execution-root-id-(\d+)$")


def _root_execution_ids(jobs: Sequence[Mapping[str, Any]]) -> set[int]:
    """SQL root execution ids from the jobs' tags (Spark 3.5+ tags every SQL job)."""
    out = set()
    for job in jobs:
        for tag in job.get("jobTags") or []:
            if match := _ROOT_TAG.search(str(tag)):
                out.add(int(match.group(1)))
    return out


def _sql_page(client: SparkRestClient, offset: int, length: int, details: bool) -> list[Any]:
    flag = "true" if details else "false"
    page = client.get(f"/sql?details={flag}&planDescription=false&offset={offset}&length={length}")
    return list(page) if isinstance(page, list) else []


def _read_sql(
    client: SparkRestClient, job_ids: set[int] | None, roots: set[int]
) -> tuple[list[dict[str, Any]], bool]:
    """The raw `/sql` executions of the run (job_ids None) or of those jobs, with details;
    and whether MAX_SQL_EXECUTIONS cut the list."""
    offset = 0
    lowest: int | None = None
    if job_ids is not None:
        if not job_ids:
            return [], False
        lowest = min(roots) if roots else None
        if lowest is None:
            # no job tags (Spark < 3.5): find the group's first execution without details
            start = 0
            while lowest is None:
                page = _sql_page(client, start, 1000, details=False)
                lowest = next(
                    (int(e["id"]) for e in page if job_ids & set(execution_job_ids(e))), None
                )
                if len(page) < 1000:
                    break
                start += len(page)
            if lowest is None:
                return [], False
        # executions are listed by id; old ones may have been dropped (retainedExecutions)
        first = _sql_page(client, 0, 1, details=False)
        offset = max(0, lowest - int(first[0]["id"])) if first else 0
    wanted: list[dict[str, Any]] = []
    truncated = False
    floor = -1 if lowest is None else lowest
    located = lowest is None
    while True:
        page = _sql_page(client, offset, _SQL_PAGE, details=True)
        if not located and offset and (not page or int(page[0]["id"]) > floor):
            # executions dropped from the middle shifted the offsets: step back, read again
            offset = max(0, offset - (int(page[0]["id"]) - floor if page else _SQL_PAGE))
            continue
        located = True
        for raw in page:
            if job_ids is not None and not (
                job_ids & set(execution_job_ids(raw))
                or int(raw.get("rootExecutionId", -1)) in roots
            ):
                continue
            if len(wanted) == MAX_SQL_EXECUTIONS:
                truncated = True
                break
            wanted.append(raw)
        if truncated or len(page) < _SQL_PAGE:
            break
        offset += len(page)
    return wanted, truncated


def collect_metrics(
    ui_url: str | None,
    app_id: str,
    settle_s: float = 5.0,
    job_group: str | None = None,
    job_tag: str | None = None,
) -> SparkRunMetrics:
    """Read jobs, stages, executors and SQL executions once the listener bus has caught up with
    the last action. With `job_group`, only that group's jobs, their stages and the SQL
    executions that ran them (executors are the application's); with `job_tag`, only the jobs
    with a tag containing it (a Spark Connect session's jobs on a shared server)."""
    if not ui_url:
        return SparkRunMetrics(app_id=app_id, jobs=0, failed_jobs=0, spark_time_s=0.0, stages=[])
    client = SparkRestClient(ui_url, app_id)
    deadline = time.monotonic() + settle_s
    some = job_group is not None or job_tag is not None  # not every job of the application

    def wanted(job: Mapping[str, Any]) -> bool:
        if job_group is not None and job.get("jobGroup") != job_group:
            return False
        return job_tag is None or any(job_tag in str(t) for t in job.get("jobTags") or [])

    def read_jobs() -> list[dict[str, Any]]:
        return [j for j in client.get("/jobs") if wanted(j)]

    def settled(jobs: Sequence[Mapping[str, Any]]) -> bool:
        return not any(j.get("status") == "RUNNING" for j in jobs)

    # events reach the status store asynchronously: wait until nothing is running, and a
    # second look finds the same jobs (the store may be a job behind the caller)
    jobs = read_jobs()
    empty_deadline = time.monotonic() + min(settle_s, 1.0)
    while time.monotonic() < deadline:
        if some and not jobs and time.monotonic() < empty_deadline:
            time.sleep(0.05)
        elif settled(jobs):
            time.sleep(0.05)
            again = read_jobs()
            if [(j["jobId"], j.get("status")) for j in again] == [
                (j["jobId"], j.get("status")) for j in jobs
            ]:
                break
            jobs = again
            continue
        else:
            time.sleep(0.1)
        jobs = read_jobs()
    job_ids = {int(j["jobId"]) for j in jobs}
    stage_ids = {int(s) for j in jobs for s in j.get("stageIds") or []}
    stages = []
    for raw in client.get("/stages?details=false"):
        if raw.get("status") not in ("COMPLETE", "FAILED"):
            continue
        if some and int(raw["stageId"]) not in stage_ids:
            continue
        quantiles: list[float] = []
        try:
            q = ",".join(str(x) for x in QUANTILES)
            summary = client.get(
                f"/stages/{raw['stageId']}/{raw.get('attemptId', 0)}/taskSummary?quantiles={q}"
            )
            quantiles = [float(x) for x in summary.get("executorRunTime", [])]
        except REST_ERRORS:
            quantiles = []
        stages.append(stage_from_rest(raw, quantiles))
    stages.sort(key=lambda s: (s.stage_id, s.attempt))
    metrics = SparkRunMetrics(
        app_id=app_id,
        jobs=len(jobs),
        failed_jobs=sum(1 for j in jobs if j.get("status") == "FAILED"),
        spark_time_s=spark_time_s(jobs),
        stages=stages,
    )
    try:
        environment: dict[str, Any] | None = client.get("/environment")
    except REST_ERRORS:
        environment = None
    try:
        metrics.executors = executors_from_rest(client.get("/allexecutors"), environment)
    except REST_ERRORS:
        metrics.executors = None
    try:
        wanted_jobs = job_ids if some else None
        roots = _root_execution_ids(jobs)
        raws, truncated = _read_sql(client, wanted_jobs, roots)
        # an execution ends after its last job: wait for the listener to record that too
        while any(r.get("status") == "RUNNING" for r in raws) and time.monotonic() < deadline:
            time.sleep(0.1)
            raws, truncated = _read_sql(client, wanted_jobs, roots)
        metrics.sql_executions = executions_from_rest(raws)
        metrics.sql_truncated = truncated
    except REST_ERRORS:
        metrics.sql_executions = None
    return metrics
