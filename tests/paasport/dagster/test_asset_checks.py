"""paasport's diagnostics as Dagster asset checks: declared, reported, blocking only at ERROR,
and baselines read from the asset's own history on the same profile."""

from __future__ import annotations

from typing import Any

import dagster as dg
import pytest

from paasport.dagster.diagnostics import (
    PAASPORT_CHECKS,
    baseline_history,
    check_results,
    check_specs,
    completed,
)
from paasport.diagnostics.findings import Finding


def finding(check: str, passed: bool, severity: str = "WARN") -> Finding:
    return Finding(
        check=check,
        passed=passed,
        severity=severity,
        summary=f"{check} {'ok' if passed else 'found'}",
        evidence={"ratio": 12.5, "stages": [1, 2]},
        advice="" if passed else "spark.sql.shuffle.partitions=48",
        waste_usd=None if passed else 0.25,
    )


def asset_reporting(findings: list[Finding]) -> dg.AssetsDefinition:
    @dg.asset(name="job", check_specs=check_specs("job"))
    def job() -> dg.MaterializeResult:
        every = completed(findings, PAASPORT_CHECKS)
        return dg.MaterializeResult(check_results=check_results(dg.AssetKey("job"), every))

    return job


def test_every_check_is_declared_and_named_checks_of_the_job_cannot_shadow_them() -> None:
    specs = check_specs("job", ["has_rows"])
    assert [s.name for s in specs] == list(PAASPORT_CHECKS)
    assert all(s.blocking for s in specs)
    with pytest.raises(ValueError, match="spark_skew"):
        check_specs("job", ["spark_skew"])


def test_a_failed_warn_check_is_reported_and_the_run_goes_on() -> None:
    findings = [finding(c, passed=c != "spark_partitions") for c in PAASPORT_CHECKS]
    result = dg.materialize([asset_reporting(findings)])
    assert result.success
    evaluations = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert set(evaluations) == set(PAASPORT_CHECKS)
    bad = evaluations["spark_partitions"]
    assert not bad.passed and bad.severity == dg.AssetCheckSeverity.WARN
    meta = {k: getattr(v, "value", v) for k, v in bad.metadata.items()}
    assert meta["advice"] == "spark.sql.shuffle.partitions=48"
    assert meta["waste_usd"] == 0.25 and meta["ratio"] == 12.5


def test_checks_without_a_finding_report_passed_and_not_measured() -> None:
    every = completed([finding("spark_gc", passed=False)], PAASPORT_CHECKS)
    assert next(f.check for f in every) == "spark_gc"
    assert {f.check for f in every} == set(PAASPORT_CHECKS)
    rest = [f for f in every if f.check != "spark_gc"]
    assert all(f.passed and not f.measured and "disabled" in f.summary for f in rest)


def test_a_failed_error_check_blocks_but_the_materialization_is_kept() -> None:
    findings = [finding("spark_spill", passed=False, severity="ERROR")]
    instance = dg.DagsterInstance.ephemeral()
    result = dg.materialize([asset_reporting(findings)], instance=instance, raise_on_error=False)
    assert not result.success
    assert instance.get_latest_materialization_event(dg.AssetKey("job")) is not None


def test_the_baseline_is_the_latest_runs_on_the_same_profile_oldest_first() -> None:
    instance = dg.DagsterInstance.ephemeral()

    def run(profile: str, n: int) -> None:
        @dg.asset(name="job")
        def job() -> dg.MaterializeResult:
            return dg.MaterializeResult(metadata={"profile": profile, "n": n})

        dg.materialize([job], instance=instance)

    for i in range(5):
        run("emr-big", i)
        run("local", 100 + i)
    history: list[dict[str, Any]] = baseline_history(instance, "job", "emr-big", runs=3)
    assert [h["n"] for h in history] == [2, 3, 4]
    assert baseline_history(instance, "other", "emr-big", runs=3) == []
