"""Regression alerts: this run against the median of the asset's own recent runs.

`history` is the metadata of earlier successful runs of the same asset on the same platform
and profile, oldest first (the caller filters). The baseline is the median of the last
`baseline_runs` of them that recorded the metric; a run alarms only when it is past the ratio
*and* past `noise_mads` scaled median absolute deviations of the baseline, so jobs with noisy
durations stay quiet. Durations and costs are scaled up to this run's input (never down:
fixed start-up costs do not shrink with the input); row counts are scaled both ways.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from typing import Any

from paasport.diagnostics import runmeta as rm
from paasport.diagnostics.findings import REGRESSION_CHECKS, Finding
from paasport.diagnostics.settings import DiagnosticsSettings

#: MAD x 1.4826 estimates the standard deviation of normally distributed noise
MAD_TO_SIGMA = 1.4826


def _baseline(
    meta: rm.Meta, history: Sequence[rm.Meta], key: str, s: DiagnosticsSettings, *, shrink: bool
) -> tuple[list[float], bool]:
    """The last baseline_runs values of `key`, each scaled to this run's input."""
    runs = [h for h in history if rm.num(h, key) is not None][-s.baseline_runs :]
    cur_in = rm.num(meta, "input_bytes") or 0.0
    values, scaled = [], False
    for run in runs:
        value, run_in = float(rm.num(run, key) or 0.0), rm.num(run, "input_bytes") or 0.0
        factor = cur_in / run_in if cur_in > 0 and run_in > 0 else 1.0
        if factor != 1.0:
            scaled = True
        values.append(value * (factor if shrink else max(1.0, factor)))
    return values, scaled


def _no_baseline(check: str, s: DiagnosticsSettings, n: int) -> Finding:
    return Finding(
        check,
        True,
        s.severity(check),
        f"no baseline yet ({n} runs)",
        {"baseline_runs": n},
        "",
        None,
        False,
    )


def _conf_changes(meta: rm.Meta, history: Sequence[rm.Meta]) -> str:
    """Settings that differ from the previous run's: 'spark.sql.shuffle.partitions 200 -> 8'."""
    if not history:
        return ""
    now, before = rm.conf(meta), rm.conf(history[-1])
    changed = [
        f"{k} {before.get(k, '(unset)')} -> {now.get(k, '(unset)')}"
        for k in sorted(set(now) | set(before))
        if now.get(k) != before.get(k)
    ]
    return "; ".join(changed[:3])


def _rise(
    check: str,
    meta: rm.Meta,
    history: Sequence[rm.Meta],
    key: str,
    s: DiagnosticsSettings,
    ratio_name: str,
    min_name: str,
) -> Finding | tuple[float, float, dict[str, Any]]:
    """The common half of the duration and cost checks: a Finding if passed, else the numbers."""
    cur = rm.num(meta, key)
    if cur is None:
        return rm.not_measured(check, s, f"{key} not recorded for this run")
    values, scaled = _baseline(meta, history, key, s, shrink=False)
    if len(values) < int(s.threshold("min_baseline_runs")):
        return _no_baseline(check, s, len(values))
    base = statistics.median(values)
    spread = MAD_TO_SIGMA * statistics.median(abs(v - base) for v in values)
    ratio = cur / base if base > 0 else 1.0
    evidence = {
        "metric": key,
        "current": cur,
        "baseline_median": round(base, 6),
        "baseline_spread": round(spread, 6),
        "baseline_runs": len(values),
        "ratio": round(ratio, 3),
        "input_scaled": scaled,
        "fires_at_ratio": s.threshold(ratio_name),
    }
    fired = (
        base > 0
        and ratio >= s.threshold(ratio_name)
        and cur - base >= s.threshold(min_name)
        and cur - base > s.threshold("noise_mads") * spread
    )
    if not fired:
        return rm.passed(
            check, s, f"{key} {ratio:.2f}x the baseline of {len(values)} runs", evidence
        )
    return cur, base, evidence


def _advice(meta: rm.Meta, history: Sequence[rm.Meta]) -> str:
    changed = _conf_changes(meta, history)
    if changed:
        return f"settings changed since the previous run ({changed}): revert them"
    return (
        "compare this run's spark_stage_metrics with the previous run's: the stage that grew "
        "is the one to fix (see its spark_* checks)"
    )


def duration_vs_baseline(
    meta: rm.Meta, history: Sequence[rm.Meta], s: DiagnosticsSettings
) -> Finding:
    check = "duration_vs_baseline"
    # the job's own time leaves out queueing on the platform; the orchestrator's is the fallback
    key = next((k for k in ("job_time_s", "wall_time_s") if rm.num(meta, k)), "job_time_s")
    result = _rise(check, meta, history, key, s, "duration_ratio", "duration_min_increase_s")
    if isinstance(result, Finding):
        return result
    cur, base, evidence = result
    runs = evidence["baseline_runs"]
    summary = f"{cur:.0f} s = {cur / base:.1f}x the baseline of {base:.0f} s ({runs} runs)"
    cost = rm.num(meta, "cost_usd_total")
    waste = round(cost * (1 - base / cur), 6) if cost is not None and cur > 0 else None
    return rm.failed(check, s, summary, evidence, _advice(meta, history), waste)


def cost_vs_baseline(meta: rm.Meta, history: Sequence[rm.Meta], s: DiagnosticsSettings) -> Finding:
    check = "cost_vs_baseline"
    result = _rise(check, meta, history, "cost_usd_total", s, "cost_ratio", "cost_min_increase_usd")
    if isinstance(result, Finding):
        return result
    cur, base, evidence = result
    runs = evidence["baseline_runs"]
    summary = f"${cur:.4f} = {cur / base:.1f}x the baseline of ${base:.4f} ({runs} runs)"
    return rm.failed(check, s, summary, evidence, _advice(meta, history), round(cur - base, 6))


def output_vs_baseline(
    meta: rm.Meta, history: Sequence[rm.Meta], s: DiagnosticsSettings
) -> Finding:
    check = "output_vs_baseline"
    cur = rm.num(meta, "output_rows")
    if cur is None:
        return rm.not_measured(check, s, "output_rows not recorded for this run")
    values, scaled = _baseline(meta, history, "output_rows", s, shrink=True)
    if len(values) < int(s.threshold("min_baseline_runs")):
        return _no_baseline(check, s, len(values))
    base = statistics.median(values)
    ratio = cur / base if base > 0 else 1.0
    evidence = {
        "current_rows": int(cur),
        "baseline_rows": round(base, 1),
        "baseline_runs": len(values),
        "ratio": round(ratio, 4),
        "input_scaled": scaled,
        "fires_below": s.threshold("output_low_ratio"),
        "fires_above": s.threshold("output_high_ratio"),
    }
    if base <= 0 or s.threshold("output_low_ratio") <= ratio <= s.threshold("output_high_ratio"):
        note = " (the baseline wrote no rows)" if base <= 0 else ""
        return rm.passed(check, s, f"{int(cur)} rows, {ratio:.2f}x the baseline{note}", evidence)
    collapsed = ratio < s.threshold("output_low_ratio")
    summary = (
        f"{int(cur)} rows = {ratio:.3g}x the {'input-scaled ' if scaled else ''}baseline of "
        f"{base:.0f} ({'collapsed' if collapsed else 'exploded'})"
    )
    if collapsed:
        advice = (
            "check the input and the job's filters and join keys: an inner join or a filter "
            "that no longer matches is the usual cause"
        )
    else:
        advice = (
            "check the join keys for duplicates: a join that now multiplies rows is the usual cause"
        )
    return rm.failed(check, s, summary, evidence, advice)


REGRESSIONS = {
    "duration_vs_baseline": duration_vs_baseline,
    "cost_vs_baseline": cost_vs_baseline,
    "output_vs_baseline": output_vs_baseline,
}
assert tuple(REGRESSIONS) == REGRESSION_CHECKS


def regressions(
    meta: Mapping[str, Any],
    history: Sequence[Mapping[str, Any]],
    settings: DiagnosticsSettings | None = None,
) -> list[Finding]:
    """One finding per regression check that is not disabled, in REGRESSION_CHECKS order."""
    s = settings or DiagnosticsSettings()
    return [fn(meta, history, s) for name, fn in REGRESSIONS.items() if name not in s.disable]
