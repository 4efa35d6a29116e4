"""One past materialization as tuning reads it, parsed from its recorded metadata.

Parsing never raises: metadata comes from old runs, other versions and users' hands, and
a tuning step that crashes on one bad record would block the asset. Wrong types become None.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from paasport.tuning.space import GiB, tunable_only, value_of


@dataclass(frozen=True)
class TuningRun:
    #: the spark_conf the run used, TUNABLE keys only
    settings: dict[str, str]
    input_bytes: int | None
    spark_time_s: float | None
    cost_usd: float | None
    success: bool
    #: diagnostics findings: {"check", "passed", "evidence", "advice"}
    findings: list[dict[str, Any]] = field(default_factory=list)
    #: the tuning_trial metadata {"id", "settings", "why"}; None when the incumbent ran
    trial: dict[str, Any] | None = None
    decision: str | None = None
    #: bytes shuffled (spark_shuffle_read_bytes), for the shuffle partitions rule
    shuffle_bytes: int | None = None

    def finding(self, check: str) -> dict[str, Any] | None:
        """The failed finding of that check, if the run had one."""
        for f in self.findings:
            if f.get("check") == check and f.get("passed") is False:
                return f
        return None


def _num(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:  # an int beyond any float
        return None
    return number if math.isfinite(number) else None


def _settings(value: object) -> dict[str, str]:
    """The TUNABLE keys of a recorded spark_conf whose values tuning can compute with: a number
    of 400 digits ("999...9g") overflows the floats of the rules and the search, so it is
    dropped like a value of no kind."""
    if not isinstance(value, Mapping):
        return {}
    out = tunable_only(value)
    for key in list(out):
        try:
            float(value_of(key, out) or 0)
        except OverflowError:
            del out[key]
    return out


def _int(value: object) -> int | None:
    n = _num(value)
    return int(n) if n is not None and n >= 0 else None


def _findings(value: object) -> list[dict[str, Any]]:
    if not isinstance(value, list | tuple):
        return []
    out = []
    for f in value:
        if isinstance(f, Mapping) and isinstance(f.get("check"), str):
            evidence = f.get("evidence")
            out.append(
                {
                    "check": f["check"],
                    "passed": f.get("passed") if isinstance(f.get("passed"), bool) else None,
                    "evidence": dict(evidence) if isinstance(evidence, Mapping) else {},
                    "advice": f.get("advice") if isinstance(f.get("advice"), str) else "",
                }
            )
    return out


def _trial(value: object) -> dict[str, Any] | None:
    if not isinstance(value, Mapping):
        return None
    tid = value.get("id")
    if isinstance(tid, bool) or not isinstance(tid, int):
        return None
    settings = value.get("settings")
    why = value.get("why")
    return {
        "id": tid,
        "settings": _settings(settings),
        "why": [str(w) for w in why] if isinstance(why, list | tuple) else [],
    }


def tuning_run(meta: Mapping[str, Any]) -> TuningRun:
    """Parse a run's metadata (see the module docstring: tolerant of anything)."""
    if not isinstance(meta, Mapping):
        meta = {}
    decision = meta.get("tuning_decision")
    failed = meta.get("tuning_failed")
    return TuningRun(
        settings=_settings(meta.get("spark_conf")),
        input_bytes=_int(meta.get("input_bytes")),
        spark_time_s=_num(meta.get("spark_time_s")),
        cost_usd=_num(meta.get("cost_usd_total")),
        success=failed is not True,
        findings=_findings(meta.get("diagnostics")),
        trial=_trial(meta.get("tuning_trial")),
        decision=decision if isinstance(decision, str) else None,
        shuffle_bytes=_int(meta.get("spark_shuffle_read_bytes")),
    )


def objective(run: TuningRun) -> float | None:
    """Lower is better: USD per GiB of input when priced, else Spark seconds per GiB.

    Per GiB so that runs over growing inputs stay comparable; unnormalised (per run) when
    the input size is unknown or 0. None when neither cost nor time was recorded.
    """
    if run.cost_usd is not None and run.cost_usd > 0:
        value = run.cost_usd
    elif run.spark_time_s is not None and run.spark_time_s >= 0:
        value = run.spark_time_s
    else:
        return None
    if run.input_bytes:
        return value / (run.input_bytes / GiB)
    return value
