"""Diagnostics on every materialization, as Dagster asset checks: what is wrong with the Spark
run (skew, spill, partitions, ...) and whether it regressed against the asset's own history."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import dagster as dg

from paasport.dagster.history import materializations
from paasport.diagnostics.findings import REGRESSION_CHECKS, SPARK_CHECKS, Finding, worst_first
from paasport.diagnostics.settings import DiagnosticsSettings

#: every check paasport adds to a Spark asset, in the order the UI lists them
PAASPORT_CHECKS: tuple[str, ...] = (*SPARK_CHECKS, *REGRESSION_CHECKS)

DESCRIPTIONS: dict[str, str] = {
    "spark_skew": "a stage's slowest task far above its median (data skew)",
    "spark_spill": "shuffle data spilled from memory to disk",
    "spark_gc": "JVM garbage collection's share of executor time",
    "spark_partitions": "too many tiny tasks, or fewer tasks than cores",
    "spark_small_files": "data written or read as many small files",
    "spark_broadcast": "a sort-merge join whose smaller side could be broadcast",
    "spark_idle_cores": "cores paid for but idle while Spark jobs ran",
    "spark_driver_time": "most of the job's time spent outside Spark jobs",
    "duration_vs_baseline": "run time against the asset's recent runs on this profile",
    "cost_vs_baseline": "cost against the asset's recent runs on this profile",
    "output_vs_baseline": "output rows against the asset's recent runs on this profile",
}

#: how many materializations back the baseline search looks (filtered by profile afterwards)
HISTORY_SCAN = 500


def check_specs(asset: str, taken: Iterable[str] = ()) -> list[dg.AssetCheckSpec]:
    """The diagnostics checks of one asset. Declared blocking: a check blocks only when its
    result has severity ERROR, which diagnostics give only to checks listed in `fail_on`."""
    reserved = set(taken) & set(PAASPORT_CHECKS)
    if reserved:
        raise ValueError(
            f"spark_asset '{asset}': check names {sorted(reserved)} are paasport's own "
            "diagnostics; name the job's checks differently"
        )
    return [
        dg.AssetCheckSpec(
            name, asset=asset, blocking=True, description=f"paasport: {DESCRIPTIONS[name]}"
        )
        for name in PAASPORT_CHECKS
    ]


def baseline_history(instance: Any, asset: str, profile: str, runs: int) -> list[dict[str, Any]]:
    """Metadata of the last `runs` materializations of `asset` on `profile`, oldest first."""
    found: list[dict[str, Any]] = []
    for m in materializations(instance, asset, newest_first=True, limit=HISTORY_SCAN):
        if m.metadata.get("profile") == profile:
            found.append(m.metadata)
            if len(found) >= runs:
                break
    return found[::-1]


def findings_for(
    meta: Mapping[str, Any], history: Sequence[Mapping[str, Any]], settings: DiagnosticsSettings
) -> list[Finding]:
    from paasport.diagnostics import diagnose, regressions

    return [*diagnose(meta, settings), *regressions(meta, history, settings)]


def completed(
    findings: Sequence[Finding], declared: Iterable[str], why: str = "disabled in paasport.toml"
) -> list[Finding]:
    """Every declared check with a finding: Dagster requires a result for each blocking check,
    so a disabled (or failed) check reports passed, not measured, and says why."""
    have = {f.check for f in findings}
    missing = [c for c in PAASPORT_CHECKS if c in set(declared) and c not in have]
    return [
        *findings,
        *(Finding(check=c, passed=True, severity="WARN", summary=why, measured=False)
          for c in missing),
    ]  # fmt: skip


def check_results(asset_key: dg.AssetKey, findings: Sequence[Finding]) -> list[dg.AssetCheckResult]:
    results = []
    for f in findings:
        metadata: dict[str, Any] = {k: _value(v) for k, v in f.evidence.items() if v is not None}
        if f.advice:
            metadata["advice"] = f.advice
        if f.waste_usd is not None:
            metadata["waste_usd"] = round(float(f.waste_usd), 6)
        results.append(
            dg.AssetCheckResult(
                asset_key=asset_key,
                check_name=f.check,
                passed=f.passed,
                severity=dg.AssetCheckSeverity(f.severity),
                metadata=metadata,
                description=f"{f.summary}. {f.advice}".strip() if f.advice else f.summary,
            )
        )
    return results


def findings_metadata(findings: Sequence[Finding]) -> list[dict[str, Any]]:
    """What the materialization records of its findings (read back by `paasport diagnose`)."""
    return [f.as_json() for f in worst_first(findings)]


def _value(value: Any) -> Any:
    if isinstance(value, dict | list | tuple):
        return dg.MetadataValue.json(value)
    return value
