"""Checks on memory pressure: spark_spill and spark_gc."""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping
from typing import Any

from paasport.diagnostics import runmeta as rm
from paasport.diagnostics.findings import Finding
from paasport.diagnostics.settings import DiagnosticsSettings
from paasport.diagnostics.thresholds import GC_GRADES, GiB


def task_memory_bytes(meta: rm.Meta) -> float | None:
    """Unified (execution + storage) memory one task slot can use: executor memory / cores."""
    execs = rm.executors(meta)
    workers = [e for e in execs if not e.get("is_driver")] or execs
    per_slot = [
        float(e["max_memory_bytes"]) / int(e["cores"])
        for e in workers
        if e.get("max_memory_bytes") and e.get("cores")
    ]
    return statistics.median(per_slot) if per_slot else None


def check_spill(meta: rm.Meta, s: DiagnosticsSettings) -> Finding:
    check = "spark_spill"
    if why := rm.spark_unavailable(meta):
        return rm.not_measured(check, s, why)
    worst: Mapping[str, Any] | None = None
    worst_ratio = 0.0
    for stage in rm.stages(meta):
        # the size test on the data as it was in memory (disk spill is compressed, and
        # sorted or repetitive data compresses 50x); the ratio compares disk to shuffle bytes,
        # both compressed
        mem = float(stage.get("memory_spilled_bytes") or 0)
        disk = float(stage.get("disk_spilled_bytes") or 0)
        moved = max(
            float(stage.get(k) or 0)
            for k in ("shuffle_read_bytes", "shuffle_write_bytes", "input_bytes")
        )
        ratio = disk / moved if moved else math.inf
        big = max(mem, disk) >= s.threshold("spill_min_bytes") and ratio >= s.threshold(
            "spill_ratio"
        )
        if big and (worst is None or mem > float(worst.get("memory_spilled_bytes") or 0)):
            worst, worst_ratio = stage, ratio
    totals = {
        "memory_spilled_bytes": int(rm.num(meta, "spark_memory_spilled_bytes") or 0),
        "disk_spilled_bytes": int(rm.num(meta, "spark_disk_spilled_bytes") or 0),
        "shuffle_read_bytes": int(rm.num(meta, "spark_shuffle_read_bytes") or 0),
    }
    if worst is None:
        spilled = rm.human_bytes(totals["memory_spilled_bytes"])
        summary = f"no stage spilled much (in total {spilled} from memory)"
        return rm.passed(check, s, summary, totals)
    tasks = int(worst.get("tasks") or 1)
    mem_spilled = float(worst.get("memory_spilled_bytes") or 0)
    slot = task_memory_bytes(meta)
    # what did not fit needs this many more slot-sized partitions; without the executors'
    # memory, double the count
    want = tasks + math.ceil(mem_spilled / slot) if slot else 2 * tasks
    count = rm.round_up(max(want, tasks + 1), rm.cores(meta))
    shuffle = float(worst.get("shuffle_read_bytes") or 0)
    evidence = {
        **totals,
        "stage_id": worst.get("stage_id"),
        "stage_name": str(worst.get("name") or "")[:80],
        "tasks": tasks,
        "stage_memory_spilled_bytes": int(mem_spilled),
        "stage_disk_spilled_bytes": int(worst.get("disk_spilled_bytes") or 0),
        "stage_shuffle_read_bytes": int(shuffle),
        "disk_spill_over_data": round(worst_ratio, 3) if math.isfinite(worst_ratio) else None,
        "task_memory_bytes": int(slot) if slot else None,
        "suggested_partitions": count,
    }
    disk = float(worst.get("disk_spilled_bytes") or 0)
    summary = (
        f"stage {worst.get('stage_id')}: spilled {rm.human_bytes(disk)} to disk "
        f"({rm.human_bytes(mem_spilled)} in memory) over {tasks} tasks"
    )
    label = rm.stage_label(worst)
    if shuffle:
        advice = f"spark.sql.shuffle.partitions={count}"
        if rm.aqe_enabled(meta):
            # AQE would coalesce the partitions back to 64 MiB each: lower its target too
            size = rm.spark_size(shuffle / count)
            advice += f" and spark.sql.adaptive.advisoryPartitionSizeInBytes={size}"
        advice += f" (for {label})"
    elif worst.get("input_bytes"):
        size = rm.spark_size(float(worst.get("input_bytes") or 0) / count)
        advice = f"spark.sql.files.maxPartitionBytes={size} (for {label})"
    else:
        advice = f"repartition({count}) before the sort or aggregation of {label}"
    return rm.failed(check, s, summary, evidence, advice)


def _grade(ratio: float) -> str:
    names = [name for name, level in GC_GRADES.items() if ratio >= level]
    return names[-1] if names else "none"


def check_gc(meta: rm.Meta, s: DiagnosticsSettings) -> Finding:
    check = "spark_gc"
    if why := rm.spark_unavailable(meta):
        return rm.not_measured(check, s, why)
    gc_s = float(rm.num(meta, "spark_gc_time_s") or 0)
    run_s = float(rm.num(meta, "spark_executor_run_time_s") or 0)
    ratio = gc_s / run_s if run_s else 0.0
    evidence: dict[str, Any] = {
        "gc_time_s": gc_s,
        "executor_run_time_s": run_s,
        "gc_ratio": round(ratio, 4),
        "grade": _grade(ratio),
        "fires_at": s.threshold("gc_ratio"),
    }
    worst = max(rm.stages(meta), key=lambda st: st.get("jvm_gc_time_ms") or 0, default=None)
    if worst:
        evidence["worst_stage_id"] = worst.get("stage_id")
        evidence["worst_stage_gc_s"] = round(float(worst.get("jvm_gc_time_ms") or 0) / 1000, 3)
    if gc_s < s.threshold("gc_min_s") or ratio <= s.threshold("gc_ratio"):
        return rm.passed(check, s, f"GC took {ratio:.1%} of executor run time", evidence)
    heaps = [
        e["peak_heap_bytes"] / e["max_heap_bytes"]
        for e in rm.executors(meta)
        if e.get("peak_heap_bytes") and e.get("max_heap_bytes")
    ]
    if heaps:
        evidence["peak_heap_over_max"] = round(max(heaps), 3)
    key = "spark.driver.memory" if rm.is_local(meta) else "spark.executor.memory"
    current = rm.parse_size(rm.conf(meta).get(key, "1g"), GiB)
    summary = (
        f"GC took {ratio:.0%} of executor run time ({gc_s:.1f} of {run_s:.1f} s): "
        f"Dr. Elephant grade {evidence['grade']}"
    )
    advice = f"{key}={rm.spark_size(2 * current)} (twice today's {rm.human_bytes(current)})"
    if key == "spark.executor.memory":
        advice += ", or fewer spark.executor.cores per executor for the same memory"
    return rm.failed(check, s, summary, evidence, advice, rm.price(meta, gc_s))
