"""What a check returns, and the names of all checks (an interface: tests, docs, users)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

SPARK_CHECKS = (
    "spark_skew",
    "spark_spill",
    "spark_gc",
    "spark_partitions",
    "spark_small_files",
    "spark_broadcast",
    "spark_idle_cores",
    "spark_driver_time",
)
REGRESSION_CHECKS = ("duration_vs_baseline", "cost_vs_baseline", "output_vs_baseline")
ALL_CHECKS = SPARK_CHECKS + REGRESSION_CHECKS

SEVERITIES = ("WARN", "ERROR")


@dataclass(frozen=True)
class Finding:
    check: str
    passed: bool
    #: "ERROR" exactly when the check is in settings.fail_on, else "WARN" (by default nothing
    #: blocks a run, however far past a threshold: the user opts in per check)
    severity: str
    #: one line with the key number
    summary: str
    #: numbers and small strings, JSON-serialisable
    evidence: dict[str, Any] = field(default_factory=dict)
    #: one concrete action; "" when passed
    advice: str = ""
    #: money wasted per run, when it can be priced from cost_usd_* and the evidence
    waste_usd: float | None = None
    #: False when the metrics needed are unavailable (Spark Connect, an old run, no baseline)
    measured: bool = True

    def as_json(self) -> dict[str, Any]:
        return {
            "check": self.check,
            "passed": self.passed,
            "severity": self.severity,
            "summary": self.summary,
            "evidence": self.evidence,
            "advice": self.advice,
            "waste_usd": self.waste_usd,
            "measured": self.measured,
        }


def worst_first(findings: Iterable[Finding]) -> list[Finding]:
    """Failed before passed, ERROR before WARN, costly before cheap; stable otherwise."""

    def key(f: Finding) -> tuple[bool, bool, float, bool]:
        return (f.passed, f.severity != "ERROR", -(f.waste_usd or 0.0), not f.measured)

    return sorted(findings, key=key)
