"""Checks on how a stage's work is split into tasks: spark_skew and spark_partitions."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from paasport.diagnostics import runmeta as rm
from paasport.diagnostics.findings import Finding
from paasport.diagnostics.settings import DiagnosticsSettings


def _quantiles(stage: Mapping[str, Any]) -> list[float] | None:
    q = stage.get("task_time_quantiles_ms") or []
    return [float(x) for x in q] if len(q) == 6 else None


def _stage_bytes(stage: Mapping[str, Any]) -> float:
    """The data a stage's tasks split between them: what they read from a shuffle or input."""
    return float(max(stage.get("shuffle_read_bytes") or 0, stage.get("input_bytes") or 0))


def check_skew(meta: rm.Meta, s: DiagnosticsSettings) -> Finding:
    check = "spark_skew"
    if why := rm.spark_unavailable(meta):
        return rm.not_measured(check, s, why)
    skewed: list[dict[str, Any]] = []
    slow_s, big_bytes = s.threshold("skew_max_task_s"), s.threshold("skew_aqe_bytes")
    for stage in rm.stages(meta):
        q = _quantiles(stage)
        if q is None or int(stage.get("tasks") or 0) < 2:
            continue
        median_ms, max_ms = q[2], q[5]
        # an empty-partition median of 0 ms is still a median: floor it to 1 ms
        ratio = max_ms / max(median_ms, 1.0)
        run_ms = float(stage.get("executor_run_time_ms") or 0)
        # no per-task bytes in the stage summary: assume bytes follow task time
        est_bytes = _stage_bytes(stage) * min(1.0, max_ms / run_ms) if run_ms > 0 else 0.0
        by_time = max_ms / 1000 > slow_s and ratio > s.threshold("skew_ratio")
        by_size = ratio > s.threshold("skew_aqe_ratio") and est_bytes > big_bytes
        if by_time or by_size:
            skewed.append(
                {
                    "stage_id": stage.get("stage_id"),
                    "stage_name": str(stage.get("name") or "")[:80],
                    "tasks": int(stage.get("tasks") or 0),
                    "max_task_s": round(max_ms / 1000, 3),
                    "median_task_s": round(median_ms / 1000, 3),
                    "max_over_median": round(ratio, 1),
                    "est_max_task_bytes": int(est_bytes),
                    "rule": "max task time (DataFlint)" if by_time else "partition size (AQE)",
                    "reads_shuffle": bool(stage.get("shuffle_read_bytes")),
                }
            )
    if not skewed:
        worst = float(rm.num(meta, "spark_task_skew_max_over_median") or 1.0)
        return rm.passed(
            check, s, f"no skewed stage (worst max/median {worst:.1f}x)", {"max_over_median": worst}
        )
    top = max(skewed, key=lambda e: e["max_task_s"] - e["median_task_s"])
    evidence = {**top, "skewed_stages": len(skewed)}
    summary = (
        f"stage {top['stage_id']}: slowest task {top['max_task_s']:.1f} s = "
        f"{top['max_over_median']:.0f}x its median ({top['median_task_s']:.2f} s)"
    )
    label = f"stage {top['stage_id']}"
    if top["reads_shuffle"] and not rm.aqe_enabled(meta):
        advice = (
            "spark.sql.adaptive.enabled=true (with spark.sql.adaptive.skewJoin.enabled=true "
            f"AQE splits the skewed partitions of {label})"
        )
    elif top["reads_shuffle"]:
        advice = (
            f"salt the hot key of {label}: group or join on (key, (rand()*16).cast('int')) "
            "first, then combine the 16 partial results per key"
        )
    else:
        advice = f"repartition({max(2, top['tasks'])}) right after reading: one input split "
        advice += f"of {label} is far larger than the rest (e.g. one big unsplittable file)"
    n = rm.cores(meta) or 1
    # the other slots wait for the straggler (an upper bound when other stages overlap it)
    idle_core_s = (top["max_task_s"] - top["median_task_s"]) * max(0, n - 1)
    return rm.failed(check, s, summary, evidence, advice, rm.price(meta, idle_core_s))


def _partition_advice(stage: Mapping[str, Any], count: int, too_many: bool) -> str:
    label = rm.stage_label(stage)
    if stage.get("shuffle_read_bytes"):
        return f"spark.sql.shuffle.partitions={count} (for {label})"
    if stage.get("input_bytes") and not too_many:
        size = rm.spark_size(float(stage.get("input_bytes") or 0) / count)
        return f"spark.sql.files.maxPartitionBytes={size} (for {label})"
    verb = "coalesce" if too_many else "repartition"
    return f"{verb}({count}) before the work of {label}"


def check_partitions(meta: rm.Meta, s: DiagnosticsSettings) -> Finding:
    check = "spark_partitions"
    if why := rm.spark_unavailable(meta):
        return rm.not_measured(check, s, why)
    n = rm.cores(meta)
    target = s.threshold("target_partition_bytes")
    many: list[tuple[Mapping[str, Any], int]] = []
    few: list[tuple[Mapping[str, Any], int]] = []
    for stage in rm.stages(meta):
        tasks = int(stage.get("tasks") or 0)
        q = _quantiles(stage)
        nbytes = _stage_bytes(stage)
        stage_s = float(stage.get("duration_ms") or 0) / 1000
        if q and tasks > s.threshold("partitions_max_tasks"):
            if q[2] < s.threshold("partitions_min_median_ms"):
                # DataFlint cuts the count 10x when the bytes do not say better
                want = math.ceil(nbytes / target) if nbytes else math.ceil(tasks / 10)
                many.append((stage, rm.round_up(want, n)))
        elif n and 0 < tasks < n and stage_s >= s.threshold("partitions_few_min_stage_s"):
            # Spark's tuning guide: 2-3 tasks per core; more if the bytes need it
            few.append((stage, rm.round_up(max(2 * n, math.ceil(nbytes / target)), n)))
    evidence: dict[str, Any] = {"cores": n, "stages_too_many_tasks": len(many)}
    evidence["stages_too_few_tasks"] = len(few)
    if not many and not few:
        if n is None:
            evidence["note"] = "spark_cores not recorded: too few tasks not judged"
        return rm.passed(check, s, "task counts fit the data and the cores", evidence)

    def duration(item: tuple[Mapping[str, Any], int]) -> float:
        return float(item[0].get("duration_ms") or 0)

    # the stage that cost the most time is the one to fix first
    stage, count = max(many + few, key=duration)
    tasks = int(stage.get("tasks") or 0)
    q = _quantiles(stage) or [0.0] * 6
    too_many = (stage, count) in many
    evidence |= {
        "stage_id": stage.get("stage_id"),
        "stage_name": str(stage.get("name") or "")[:80],
        "tasks": tasks,
        "median_task_ms": q[2],
        "stage_s": round(duration((stage, count)) / 1000, 3),
        "stage_bytes": int(_stage_bytes(stage)),
        "suggested_partitions": count,
    }
    if too_many:
        summary = f"stage {stage.get('stage_id')}: {tasks} tasks with a median of {q[2]:.0f} ms"
        waste = None
    else:
        summary = (
            f"stage {stage.get('stage_id')}: {tasks} task(s) for {n} cores over "
            f"{evidence['stage_s']:.1f} s"
        )
        # the slots this stage left empty, while it ran
        waste = rm.price(meta, (int(n or 0) - tasks) * evidence["stage_s"])
    return rm.failed(check, s, summary, evidence, _partition_advice(stage, count, too_many), waste)
