"""Checks on the SQL plans a run executed: spark_small_files and spark_broadcast."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from paasport.diagnostics import runmeta as rm
from paasport.diagnostics.findings import Finding
from paasport.diagnostics.settings import DiagnosticsSettings

SHUFFLED_JOINS = ("SortMergeJoin", "ShuffledHashJoin")


def executions(
    meta: rm.Meta, check: str, s: DiagnosticsSettings
) -> list[Mapping[str, Any]] | Finding:
    """The SQL executions, or the not-measured finding saying why there are none."""
    if why := rm.spark_unavailable(meta):
        return rm.not_measured(check, s, why)
    value = meta.get("spark_sql_executions")
    if not isinstance(value, list):
        return rm.not_measured(check, s, "no SQL plan metrics recorded (spark_sql_executions)")
    return [e for e in value if isinstance(e, Mapping)]


def _where(execution: Mapping[str, Any]) -> str:
    desc = str(execution.get("description") or "")[:60]
    return f"SQL execution {execution.get('id')}" + (f" ('{desc}')" if desc else "")


def check_small_files(meta: rm.Meta, s: DiagnosticsSettings) -> Finding:
    check = "spark_small_files"
    found = executions(meta, check, s)
    if isinstance(found, Finding):
        return found
    small: list[dict[str, Any]] = []
    for ex in found:
        for kind, items in (("write", ex.get("writes")), ("scan", ex.get("scans"))):
            for item in items or []:
                files, nbytes = int(item.get("files") or 0), float(item.get("bytes") or 0)
                if files <= s.threshold("small_files_min_files") or nbytes <= 0:
                    continue
                mean = nbytes / files
                if mean < s.threshold("small_files_mean_bytes"):
                    target = max(1, math.ceil(nbytes / s.threshold("target_file_bytes")))
                    entry = {
                        "kind": kind,
                        "where": _where(ex),
                        "node": str(item.get("node") or ""),
                        "files": files,
                        "bytes": int(nbytes),
                        "mean_file_bytes": int(mean),
                        "target_files": target,
                        "partitions": int(item.get("partitions") or 0),
                    }
                    small.append(entry)
    if not small:
        return rm.passed(check, s, "no small files read or written", {"small_file_sets": 0})
    # writes first (they are this job's to fix), then the most files
    top = max(small, key=lambda e: (e["kind"] == "write", e["files"]))
    evidence = {**top, "small_file_sets": len(small)}
    verb = "wrote" if top["kind"] == "write" else "read"
    summary = (
        f"{top['where']} {verb} {top['files']} files of {rm.human_bytes(top['mean_file_bytes'])} "
        f"on average (target {top['target_files']})"
    )
    if top["kind"] == "write" and top["partitions"] > 1:
        # a partitioned write makes files per (task x partition value): one task per value
        advice = (
            f"repartition(<the partitionBy columns>) before the write in {top['where']}: "
            f"one file per partition value, {top['partitions']} files"
        )
    elif top["kind"] == "write":
        advice = f"repartition({top['target_files']}) before the write in {top['where']}"
    else:
        advice = (
            f"compact the input of {top['node'] or top['where']} into {top['target_files']} "
            f"files (rewrite it with repartition({top['target_files']}))"
        )
    return rm.failed(check, s, summary, evidence, advice)


def _threshold_for(small: float) -> str:
    # the next power of two above the side, so the setting survives a little growth
    return rm.spark_size(2 ** math.ceil(math.log2(max(small * 1.25, 1024 * 1024))))


def check_broadcast(meta: rm.Meta, s: DiagnosticsSettings) -> Finding:
    check = "spark_broadcast"
    found = executions(meta, check, s)
    if isinstance(found, Finding):
        return found
    missed: list[dict[str, Any]] = []
    joins = 0
    for ex in found:
        for join in ex.get("joins") or []:
            joins += 1
            sides = list(join.get("sides_bytes") or [])
            if join.get("strategy") not in SHUFFLED_JOINS or len(sides) != 2 or None in sides:
                continue
            small, large = sorted(float(x) for x in sides)
            if large < s.threshold("broadcast_min_large_bytes"):
                continue
            if small < s.threshold("broadcast_small_bytes") or (
                small < s.threshold("broadcast_medium_bytes")
                and large > s.threshold("broadcast_large_side_bytes")
            ):
                rows = list(join.get("sides_rows") or [None, None])
                side = 0 if float(sides[0]) <= float(sides[1]) else 1
                missed.append(
                    {
                        "where": _where(ex),
                        "strategy": str(join.get("strategy")),
                        "small_side": ("left", "right")[side],
                        "small_side_bytes": int(small),
                        "large_side_bytes": int(large),
                        "small_side_rows": rows[side] if len(rows) == 2 else None,
                    }
                )
    if not missed:
        return rm.passed(
            check,
            s,
            f"no shuffled join with a broadcastable side ({joins} joins)",
            {"joins": joins},
        )
    top = max(missed, key=lambda e: e["large_side_bytes"])
    evidence = {**top, "joins": joins, "missed_broadcasts": len(missed)}
    summary = (
        f"{top['where']}: {top['strategy']} shuffles {rm.human_bytes(top['large_side_bytes'])} "
        f"against a {top['small_side']} side of {rm.human_bytes(top['small_side_bytes'])}"
    )
    threshold = str(rm.conf(meta).get("spark.sql.autoBroadcastJoinThreshold", ""))
    if threshold.strip() == "-1":
        # broadcasting was switched off: switching it back on fixes every such join at once
        advice = f"spark.sql.autoBroadcastJoinThreshold={_threshold_for(top['small_side_bytes'])}"
    else:
        # Spark's size estimate missed it (or it is over the threshold): hint this join
        advice = (
            f"broadcast(<{top['small_side']} side>) in the join of {top['where']}: "
            f"df.join(broadcast(small_df), ...)"
        )
    return rm.failed(check, s, summary, evidence, advice)
