"""Settings, severities, unmeasured runs and the Finding's JSON form."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import ValidationError

from paasport.diagnostics import (
    ALL_CHECKS,
    REGRESSION_CHECKS,
    SPARK_CHECKS,
    THRESHOLDS,
    DiagnosticsSettings,
    Finding,
    diagnose,
    regressions,
    worst_first,
)
from paasport.diagnostics import thresholds as t

Meta = dict[str, Any]
CONNECT: Meta = {
    "spark_metrics": "unavailable under Spark Connect",
    "job_time_s": 30.0,
    "wall_time_s": 41.0,
    "platform": "connect",
}


def test_every_threshold_is_a_named_constant() -> None:
    assert THRESHOLDS["skew_ratio"] == t.SKEW_RATIO == 10.0
    assert THRESHOLDS["gc_ratio"] == t.GC_GRADES["moderate"] == 0.10
    assert THRESHOLDS["duration_ratio"] == THRESHOLDS["cost_ratio"] == 2.0
    assert set(ALL_CHECKS) == set(SPARK_CHECKS) | set(REGRESSION_CHECKS)


def test_disable_and_fail_on(meta: Meta) -> None:
    meta["spark_gc_time_s"] = 30.0
    settings = DiagnosticsSettings(fail_on=["spark_gc"], disable=["spark_skew", "spark_spill"])
    findings = diagnose(meta, settings)
    assert [f.check for f in findings] == [c for c in SPARK_CHECKS if c not in settings.disable]
    gc = next(f for f in findings if f.check == "spark_gc")
    assert not gc.passed and gc.severity == "ERROR"
    assert {f.severity for f in findings if f.check != "spark_gc"} == {"WARN"}
    regs = regressions(meta, [], DiagnosticsSettings(disable=["cost_vs_baseline"]))
    assert [f.check for f in regs] == ["duration_vs_baseline", "output_vs_baseline"]


@pytest.mark.parametrize(
    ("values", "field", "bad"),
    [
        ({"fail_on": ["spark_sqew"]}, "fail_on", "spark_sqew"),
        ({"disable": ["gc"]}, "disable", "gc"),
        ({"thresholds": {"skew_ratoi": 3}}, "thresholds", "skew_ratoi"),
        ({"baseline_runs": 0}, "baseline_runs", "greater than or equal to 1"),
        ({"fail_on_error": []}, "fail_on_error", "Extra inputs"),
    ],
)
def test_settings_errors_name_the_bad_value(values: Meta, field: str, bad: str) -> None:
    with pytest.raises(ValidationError) as err:
        DiagnosticsSettings.model_validate(values)
    (error,) = err.value.errors()
    assert error["loc"][0] == field
    assert bad in str(err.value)
    if field in ("fail_on", "disable"):
        assert "valid checks: spark_skew, spark_spill" in str(err.value)
    if field == "thresholds":
        assert "valid thresholds: skew_max_task_s, skew_ratio" in str(err.value)


def test_settings_are_frozen() -> None:
    settings = DiagnosticsSettings(thresholds={"skew_ratio": 20})
    assert settings.threshold("skew_ratio") == 20.0 and settings.threshold("gc_ratio") == 0.1
    with pytest.raises(ValidationError):
        settings.baseline_runs = 3  # type: ignore[misc]


def test_spark_connect_is_not_measured_by_any_spark_check() -> None:
    findings = diagnose(CONNECT)
    assert [f.check for f in findings] == list(SPARK_CHECKS)
    for f in findings:
        assert f.passed and not f.measured
        assert f.summary == "not measured: Spark metrics unavailable under Spark Connect"


def test_an_old_run_without_plan_or_core_metrics(meta: Meta) -> None:
    for key in ("spark_sql_executions", "spark_executors", "spark_cores", "spark_executor_count"):
        meta.pop(key)
    by_check = {f.check: f for f in diagnose(meta)}
    assert not by_check["spark_broadcast"].measured
    assert not by_check["spark_small_files"].measured
    assert "spark_sql_executions" in by_check["spark_broadcast"].summary
    assert not by_check["spark_idle_cores"].measured
    assert by_check["spark_skew"].measured and by_check["spark_partitions"].measured


def test_malformed_metadata_is_not_measured_instead_of_raising(meta: Meta) -> None:
    meta["spark_stage_metrics"][0]["task_time_quantiles_ms"] = ["x"] * 6
    f = next(f for f in diagnose(meta) if f.check == "spark_skew")
    assert f.passed and not f.measured and "ValueError" in f.summary


def test_as_json_and_worst_first(meta: Meta) -> None:
    meta.update(spark_gc_time_s=30.0, job_time_s=200.0)
    findings = diagnose(meta, DiagnosticsSettings(fail_on=["spark_driver_time"]))
    for f in findings:
        data = f.as_json()
        assert list(data) == [
            "check", "passed", "severity", "summary", "evidence", "advice", "waste_usd", "measured"
        ]  # fmt: skip
        assert json.loads(json.dumps(data)) == data
    ordered = worst_first(findings + diagnose(CONNECT))
    assert [f.check for f in ordered[:2]] == ["spark_driver_time", "spark_gc"]
    assert all(f.passed for f in ordered[2:])
    assert ordered[-1].measured is False
    assert Finding("x", True, "WARN", "s").as_json()["evidence"] == {}
