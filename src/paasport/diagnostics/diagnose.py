"""Run every Spark check on one run's metadata."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from paasport.diagnostics import runmeta as rm
from paasport.diagnostics.checks_memory import check_gc, check_spill
from paasport.diagnostics.checks_plan import check_broadcast, check_small_files
from paasport.diagnostics.checks_tasks import check_partitions, check_skew
from paasport.diagnostics.checks_time import check_driver_time, check_idle_cores
from paasport.diagnostics.findings import SPARK_CHECKS, Finding
from paasport.diagnostics.settings import DiagnosticsSettings

Check = Callable[[Mapping[str, Any], DiagnosticsSettings], Finding]

CHECKS: dict[str, Check] = {
    "spark_skew": check_skew,
    "spark_spill": check_spill,
    "spark_gc": check_gc,
    "spark_partitions": check_partitions,
    "spark_small_files": check_small_files,
    "spark_broadcast": check_broadcast,
    "spark_idle_cores": check_idle_cores,
    "spark_driver_time": check_driver_time,
}
assert tuple(CHECKS) == SPARK_CHECKS


def run_check(name: str, check: Check, meta: Mapping[str, Any], s: DiagnosticsSettings) -> Finding:
    # a malformed metadata value must not cost the run its other checks (or the run itself)
    try:
        return check(meta, s)
    # ArithmeticError: overflow and division by zero on absurd recorded numbers
    except (KeyError, TypeError, ValueError, ArithmeticError, AttributeError) as exc:
        return rm.not_measured(name, s, f"metadata not understood ({type(exc).__name__}: {exc})")


def diagnose(meta: Mapping[str, Any], settings: DiagnosticsSettings | None = None) -> list[Finding]:
    """One finding per Spark check that is not disabled, in SPARK_CHECKS order."""
    s = settings or DiagnosticsSettings()
    return [run_check(name, fn, meta, s) for name, fn in CHECKS.items() if name not in s.disable]
