"""Reading one run's metadata, and the small helpers every check shares."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from paasport import units
from paasport.diagnostics.findings import Finding
from paasport.diagnostics.settings import DiagnosticsSettings
from paasport.diagnostics.thresholds import MiB
from paasport.units import human_bytes as human_bytes  # re-exported: rm.human_bytes

Meta = Mapping[str, Any]


def spark_unavailable(meta: Meta) -> str | None:
    """Why this run has no Spark metrics (Spark Connect, an old run), or None when it has them."""
    marker = meta.get("spark_metrics")
    if isinstance(marker, str):
        return f"Spark metrics {marker}" if not marker.startswith("Spark") else marker
    if not isinstance(meta.get("spark_stage_metrics"), list):
        return "no Spark stage metrics recorded for this run"
    return None


def num(meta: Meta, key: str) -> float | None:
    """A recorded number, or None: NaN, infinity and an int beyond any float are no
    measurement (they would overflow the int() and round() of the checks)."""
    value = meta.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def stages(meta: Meta) -> list[Mapping[str, Any]]:
    return [s for s in meta.get("spark_stage_metrics") or [] if isinstance(s, Mapping)]


def executors(meta: Meta) -> list[Mapping[str, Any]]:
    return [e for e in meta.get("spark_executors") or [] if isinstance(e, Mapping)]


def conf(meta: Meta) -> Mapping[str, Any]:
    value = meta.get("spark_conf")
    return value if isinstance(value, Mapping) else {}


def is_local(meta: Meta) -> bool:
    """Local mode: the driver runs the tasks (no executors of its own)."""
    if num(meta, "spark_executor_count") == 0:
        return True
    # spark.master "local", "local[4]", "local[*, 2]" (not the platform name: a local master)
    return re.match(r"local(\[|$)", str(conf(meta).get("spark.master", ""))) is not None


def cores(meta: Meta) -> int | None:
    """Task slots: spark_cores, else the cores of the executors that run tasks."""
    value = num(meta, "spark_cores")
    if value is not None and value > 0:
        return int(value)
    execs = executors(meta)
    workers = [e for e in execs if not e.get("is_driver")] or execs
    total = sum(int(e.get("cores") or 0) for e in workers)
    return total or None


def aqe_enabled(meta: Meta) -> bool:
    # on by default since Spark 3.2; only an explicit "false" turns it off
    return str(conf(meta).get("spark.sql.adaptive.enabled", "true")).lower() != "false"


def run_seconds(meta: Meta) -> float | None:
    """What the compute cost paid for: the job's own time, else the orchestrator's."""
    for key in ("job_time_s", "wall_time_s"):
        value = num(meta, key)
        if value and value > 0:
            return value
    return None


def core_second_usd(meta: Meta) -> float | None:
    """Compute cost of one core for one second, when cost, cores and duration are known."""
    cost, n, secs = num(meta, "cost_usd_compute"), cores(meta), run_seconds(meta)
    if cost is None or not n or not secs:
        return None
    return cost / (n * secs)


def price(meta: Meta, core_seconds: float) -> float | None:
    """Money for `core_seconds` of wasted core time, never more than the compute cost."""
    rate, cost = core_second_usd(meta), num(meta, "cost_usd_compute")
    if rate is None or cost is None:
        return None
    return round(min(cost, max(0.0, core_seconds * rate)), 6)


def round_up(n: float, multiple: int | None) -> int:
    n = max(1, math.ceil(n))
    if not multiple or multiple <= 1:
        return n
    return math.ceil(n / multiple) * multiple


def spark_size(nbytes: float) -> str:
    """A Spark size setting, rounded up to whole MiB: 10.2 MiB -> '11m'."""
    return f"{max(1, math.ceil(nbytes / MiB))}m"


def parse_size(value: object, default: float) -> float:
    """Bytes in a Spark memory size ('4g', '512m'; a bare number is MiB), else `default`."""
    size = units.parse_size(value if isinstance(value, str | int) else str(value), "m")
    return float(size) if size is not None and size >= 0 else default


def stage_label(stage: Mapping[str, Any]) -> str:
    name = str(stage.get("name") or "")
    return f"stage {stage.get('stage_id')}" + (f" ({name[:60]})" if name else "")


def passed(check: str, s: DiagnosticsSettings, summary: str, evidence: dict[str, Any]) -> Finding:
    return Finding(check, True, s.severity(check), summary, evidence, "", None)


def failed(
    check: str,
    s: DiagnosticsSettings,
    summary: str,
    evidence: dict[str, Any],
    advice: str,
    waste_usd: float | None = None,
) -> Finding:
    return Finding(check, False, s.severity(check), summary, evidence, advice, waste_usd)


def not_measured(check: str, s: DiagnosticsSettings, why: str) -> Finding:
    return Finding(check, True, s.severity(check), f"not measured: {why}", {}, "", None, False)
