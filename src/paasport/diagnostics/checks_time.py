"""Checks on where the run's time went: spark_idle_cores and spark_driver_time."""

from __future__ import annotations

import math
from typing import Any

from paasport.diagnostics import runmeta as rm
from paasport.diagnostics.findings import Finding
from paasport.diagnostics.settings import DiagnosticsSettings


def task_seconds(meta: rm.Meta) -> float:
    """Core time spent in tasks, from the stages: spark_executors' task time is the whole
    application's, while the stages (like spark_time_s) can be one job group's."""
    return float(rm.num(meta, "spark_executor_run_time_s") or 0)


def check_idle_cores(meta: rm.Meta, s: DiagnosticsSettings) -> Finding:
    check = "spark_idle_cores"
    if why := rm.spark_unavailable(meta):
        return rm.not_measured(check, s, why)
    n = rm.cores(meta)
    if not n:
        return rm.not_measured(check, s, "no core count recorded (spark_cores)")
    spark_s = float(rm.num(meta, "spark_time_s") or 0)
    busy_s = task_seconds(meta)
    idle = min(1.0, max(0.0, 1 - busy_s / (n * spark_s))) if spark_s else 0.0
    execs = int(rm.num(meta, "spark_executor_count") or 0)
    evidence: dict[str, Any] = {
        "cores": n,
        "executors": execs,
        "spark_time_s": spark_s,
        "task_time_s": round(busy_s, 3),
        "idle_ratio": round(idle, 4),
        "busy_cores_avg": round(busy_s / spark_s, 2) if spark_s else 0.0,
    }
    if spark_s < s.threshold("idle_min_spark_s") or idle <= s.threshold("idle_ratio"):
        return rm.passed(check, s, f"{idle:.0%} of {n} cores idle while Spark jobs ran", evidence)
    # the fewest cores that, at today's pace, would sit at the idle threshold
    want = min(
        n - 1, max(1, math.ceil(evidence["busy_cores_avg"] / (1 - s.threshold("idle_ratio"))))
    )
    summary = (
        f"{idle:.0%} of {n} cores idle while Spark jobs ran ({spark_s:.0f} s): "
        f"{evidence['busy_cores_avg']:.1f} busy on average"
    )
    if rm.is_local(meta) or not execs:
        advice = f"spark.master=local[{want}] (or a machine with {want} cores)"
        evidence["suggested_cores"] = want
    else:
        per_exec = max(1, n // execs)
        count = max(1, math.ceil(want / per_exec))
        evidence["suggested_executors"] = count
        dynamic = str(rm.conf(meta).get("spark.dynamicAllocation.enabled", "")).lower() == "true"
        key = "spark.dynamicAllocation.maxExecutors" if dynamic else "spark.executor.instances"
        advice = f"{key}={count} (of {per_exec} cores each, instead of {execs})"
    return rm.failed(check, s, summary, evidence, advice, rm.price(meta, idle * n * spark_s))


def check_driver_time(meta: rm.Meta, s: DiagnosticsSettings) -> Finding:
    check = "spark_driver_time"
    if why := rm.spark_unavailable(meta):
        return rm.not_measured(check, s, why)
    job_s, spark_s = rm.num(meta, "job_time_s"), rm.num(meta, "spark_time_s")
    if not job_s or spark_s is None:
        return rm.not_measured(check, s, "job_time_s or spark_time_s not recorded")
    driver_s = max(0.0, job_s - spark_s)
    share = driver_s / job_s
    jobs = int(rm.num(meta, "spark_jobs") or 0)
    evidence = {
        "job_time_s": job_s,
        "spark_time_s": spark_s,
        "driver_only_s": round(driver_s, 3),
        "driver_share": round(share, 4),
        "spark_jobs": jobs,
    }
    startup = rm.num(meta, "spark_session_start_s")
    if startup is not None:
        evidence["session_start_s"] = startup
    if driver_s < s.threshold("driver_min_s") or share <= s.threshold("driver_ratio"):
        return rm.passed(check, s, f"{share:.0%} of the job's time outside Spark jobs", evidence)
    summary = (
        f"{driver_s:.0f} s of {job_s:.0f} s ({share:.0%}) outside Spark jobs: "
        "collects, Python on the driver or start-up"
    )
    if startup is not None and startup >= driver_s / 2:
        summary = (
            f"{driver_s:.0f} s of {job_s:.0f} s ({share:.0%}) outside Spark jobs, "
            f"{startup:.0f} s of it starting the SparkSession"
        )
        advice = (
            "start-up dominates: give the driver more CPU or a less busy machine, or run "
            "several small assets in one job (a warm session or cluster)"
        )
    elif jobs >= 50:
        advice = (
            f"batch the {jobs} small actions (count/collect/show in a loop) into one "
            "DataFrame query, and cache() what several of them recompute"
        )
    else:
        advice = (
            "move the driver's Python into Spark: replace collect()/toPandas() and the loops "
            "over their rows with DataFrame operations (if the time is before the first "
            "Spark job, it is start-up: reuse a warm cluster)"
        )
    # every core waits while only the driver works
    cores = rm.cores(meta) or 0
    return rm.failed(check, s, summary, evidence, advice, rm.price(meta, driver_s * cores))
