"""Joins, writes and scans of SQL executions, read from the driver's `/sql` REST answer.

`/api/v1/applications/<id>/sql?details=true&planDescription=false` lists each execution with
its plan graph: `nodes` (`nodeId`, `nodeName`, `metrics` as `[{name, value}]`, the values
being the strings the UI shows) and `edges` (`fromId` is the child, `toId` its parent).
Standard library only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

DESCRIPTION_CHARS = 200

#: join node names (a skew join reads "SortMergeJoin(skew=true)")
JOIN_STRATEGIES = (
    "SortMergeJoin",
    "BroadcastHashJoin",
    "ShuffledHashJoin",
    "BroadcastNestedLoopJoin",
    "CartesianProduct",
)

_UNITS = {
    "b": 1,
    "kib": 1 << 10,
    "mib": 1 << 20,
    "gib": 1 << 30,
    "tib": 1 << 40,
    "pib": 1 << 50,
    "eib": 1 << 60,
    "kb": 1 << 10,
    "mb": 1 << 20,
    "gb": 1 << 30,
    "tb": 1 << 40,
    # timings, in milliseconds
    "ns": 1e-6,
    "us": 1e-3,
    "µs": 1e-3,
    "ms": 1,
    "s": 1000,
    "m": 60_000,
    "min": 60_000,
    "h": 3_600_000,
}
_VALUE = re.compile(r"^\s*(-?[\d,]*\.?\d+)\s*([A-Za-zµ]*)")


def parse_metric_value(value: object) -> int | None:
    """The total of a UI metric string: "1,234" -> 1234, "10.0 MiB" -> 10485760, and of the
    per-task form "total (min, med, max (stageId: taskId))\\n10.0 MiB (1.0 MiB, ...)" the
    total. Sizes come back in bytes, timings in milliseconds; None when unreadable."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return int(value)
    if not isinstance(value, str):
        return None
    text = value.strip()
    if text.startswith("total (") or text.startswith("("):
        # the header line names the columns; the numbers are on the next line
        _, _, text = text.partition("\n")
        text = text.strip().lstrip("(")
    match = _VALUE.match(text)
    if not match:
        return None
    try:
        number = float(match.group(1).replace(",", ""))
    except ValueError:
        return None
    unit = match.group(2).lower()
    if not unit:
        return round(number)
    scale = _UNITS.get(unit) or _UNITS.get(match.group(2))
    if scale is None:
        return None
    return round(number * scale)


def _metrics(node: Mapping[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for metric in node.get("metrics") or []:
        if isinstance(metric, Mapping) and "name" in metric:
            out[str(metric["name"]).strip()] = str(metric.get("value", ""))
    return out


def _first(metrics: Mapping[str, str], *names: str) -> int | None:
    for name in names:
        if name in metrics and (value := parse_metric_value(metrics[name])) is not None:
            return value
    return None


def _is_scan(name: str) -> bool:
    return name.startswith(("Scan ", "BatchScan")) or name.endswith("TableScan")


def _side_size(
    start: int,
    nodes: Mapping[int, Mapping[str, Any]],
    children: Mapping[int, Sequence[int]],
) -> tuple[int | None, int | None]:
    """(bytes, rows) of one join input: the nearest exchange, shuffle read, broadcast or scan
    below `start`, else the rows of the leaf."""
    seen: set[int] = set()
    frontier = [start]
    while frontier:
        nxt: list[int] = []
        for node_id in frontier:
            if node_id in seen or node_id not in nodes:
                continue
            seen.add(node_id)
            name = str(nodes[node_id].get("nodeName", "")).strip()
            metrics = _metrics(nodes[node_id])
            kids = children.get(node_id, ())
            if name == "BroadcastExchange":
                return _first(metrics, "data size"), _first(metrics, "number of output rows")
            if "Exchange" in name and name != "ReusedExchange":
                size = _first(metrics, "data size", "shuffle bytes written")
                rows = _first(metrics, "shuffle records written", "records read")
                if size is not None or rows is not None:
                    return size, rows
            elif name == "AQEShuffleRead" and not kids:
                return _first(metrics, "partition data size"), None
            elif _is_scan(name):
                return (
                    _first(metrics, "size of files read"),
                    _first(metrics, "number of output rows"),
                )
            elif not kids:
                return None, _first(metrics, "number of output rows")
            nxt.extend(kids)
        frontier = nxt
    return None, None


def _graph(
    raw: Mapping[str, Any],
) -> tuple[dict[int, Mapping[str, Any]], dict[int, list[int]]]:
    nodes = {
        int(n["nodeId"]): n
        for n in raw.get("nodes") or []
        if isinstance(n, Mapping) and "nodeId" in n
    }
    children: dict[int, list[int]] = {}
    for edge in raw.get("edges") or []:
        try:
            children.setdefault(int(edge["toId"]), []).append(int(edge["fromId"]))
        except (KeyError, TypeError, ValueError):
            continue
    for kids in children.values():
        kids.sort()  # node ids are assigned in pre-order: the left input has the smaller id
    return nodes, children


def join_strategy(name: str) -> str | None:
    for strategy in JOIN_STRATEGIES:
        if name == strategy or name.startswith(strategy + "("):
            return strategy
    return None


def execution_job_ids(raw: Mapping[str, Any]) -> list[int]:
    ids: set[int] = set()
    for key in ("successJobIds", "failedJobIds", "runningJobIds"):
        ids.update(int(j) for j in raw.get(key) or [])
    return sorted(ids)


def execution_from_rest(raw: Mapping[str, Any]) -> dict[str, Any]:
    """One `/sql` execution as diagnostics read it: its joins, writes and scans."""
    nodes, children = _graph(raw)
    joins: list[dict[str, Any]] = []
    writes: list[dict[str, Any]] = []
    scans: list[dict[str, Any]] = []
    for node_id in sorted(nodes):
        node = nodes[node_id]
        name = str(node.get("nodeName", "")).strip()
        metrics = _metrics(node)
        if strategy := join_strategy(name):
            sides = [_side_size(kid, nodes, children) for kid in children.get(node_id, [])[:2]]
            sides += [(None, None)] * (2 - len(sides))
            joins.append(
                {
                    "strategy": strategy,
                    "sides_bytes": [s[0] for s in sides],
                    "sides_rows": [s[1] for s in sides],
                }
            )
        elif "number of written files" in metrics:
            # "Execute InsertIntoHadoopFsRelationCommand" (its "WriteFiles" child has no metrics)
            writes.append(
                {
                    "files": _first(metrics, "number of written files") or 0,
                    "bytes": _first(metrics, "written output") or 0,
                    "rows": _first(metrics, "number of output rows") or 0,
                    "partitions": _first(metrics, "number of dynamic part"),
                }
            )
        elif _is_scan(name):
            scans.append(
                {
                    "node": name,
                    "files": _first(metrics, "number of files read"),
                    "bytes": _first(metrics, "size of files read"),
                    "rows": _first(metrics, "number of output rows"),
                }
            )
    return {
        "id": int(raw["id"]),
        "description": str(raw.get("description") or "")[:DESCRIPTION_CHARS],
        "duration_ms": int(raw.get("duration") or 0),
        "job_ids": execution_job_ids(raw),
        "joins": joins,
        "writes": writes,
        "scans": scans,
    }


def executions_from_rest(raws: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [execution_from_rest(raw) for raw in raws]
