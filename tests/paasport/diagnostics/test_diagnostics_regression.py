"""Regression alerts against the asset's own history."""

from __future__ import annotations

from typing import Any

import pytest

from paasport.diagnostics import DiagnosticsSettings, Finding, regressions

GB = 10**9
Meta = dict[str, Any]


def run(seconds: float, cost: float = 1.0, rows: int = 1_000_000, input_bytes: int = GB) -> Meta:
    return {
        "job_time_s": seconds,
        "wall_time_s": seconds + 10,
        "cost_usd_total": cost,
        "output_rows": rows,
        "input_bytes": input_bytes,
    }


#: ten earlier runs within +-20 % of 100 s and $1
HISTORY = [run(100 * f, cost=f) for f in (0.85, 1.1, 0.95, 1.2, 0.8, 1.05, 0.9, 1.15, 1.0, 0.98)]


def check(meta: Meta, history: list[Meta], name: str, **settings: Any) -> Finding:
    (found,) = [
        f for f in regressions(meta, history, DiagnosticsSettings(**settings)) if f.check == name
    ]
    return found


def test_a_first_run_has_no_baseline_yet() -> None:
    for f in regressions(run(300), []):
        assert f.passed and not f.measured and f.summary == "no baseline yet (0 runs)"
    f = check(run(300), HISTORY[:2], "duration_vs_baseline")
    assert f.passed and f.summary == "no baseline yet (2 runs)"
    assert not check(run(300), HISTORY[:3], "duration_vs_baseline").passed


def test_a_run_three_times_slower_fires() -> None:
    f = check(run(300, cost=1.0), HISTORY, "duration_vs_baseline")
    assert not f.passed and f.measured
    assert f.evidence["metric"] == "job_time_s" and f.evidence["baseline_runs"] == 10
    assert f.evidence["ratio"] == pytest.approx(300 / 99, rel=1e-3)
    assert "3.0x the baseline of 99 s (10 runs)" in f.summary
    assert f.waste_usd == pytest.approx(1.0 * (1 - 99 / 300))
    assert f.advice.startswith("compare this run's spark_stage_metrics")


@pytest.mark.parametrize("seconds", [80, 100, 120, 125, 190])
def test_runs_within_noise_or_under_2x_stay_quiet(seconds: float) -> None:
    assert all(f.passed for f in regressions(run(seconds, cost=seconds / 100), HISTORY))


def test_a_noisy_history_needs_more_than_2x() -> None:
    noisy = [run(s) for s in (50, 150, 60, 140, 100)]  # median 100, MAD 40
    f = check(run(210), noisy, "duration_vs_baseline")
    assert f.passed and f.evidence["ratio"] == 2.1 and f.evidence["baseline_spread"] > 50
    assert not check(run(300), noisy, "duration_vs_baseline").passed


def test_duration_scales_with_the_input() -> None:
    assert check(run(200, input_bytes=2 * GB), HISTORY, "duration_vs_baseline").passed
    f = check(run(200, input_bytes=GB), [run(100)] * 5, "duration_vs_baseline")
    assert not f.passed and f.evidence["input_scaled"] is False
    # less input than usual is held to the full baseline: start-up does not shrink
    assert check(run(100, input_bytes=GB // 3), HISTORY, "duration_vs_baseline").passed
    assert not check(run(250, input_bytes=GB // 3), HISTORY, "duration_vs_baseline").passed


def test_tiny_jobs_do_not_alarm_on_seconds() -> None:
    assert check(run(9), [run(3)] * 5, "duration_vs_baseline").passed
    assert not check(
        run(9), [run(3)] * 5, "duration_vs_baseline", thresholds={"duration_min_increase_s": 1}
    ).passed


def test_falls_back_to_the_orchestrators_wall_time() -> None:
    history = [{"wall_time_s": 60.0} for _ in range(4)]
    f = check(
        {"wall_time_s": 200.0, "spark_metrics": "unavailable"}, history, "duration_vs_baseline"
    )
    assert not f.passed and f.evidence["metric"] == "wall_time_s"


def test_cost_doubles() -> None:
    f = check(run(100, cost=3.0), HISTORY, "cost_vs_baseline")
    assert not f.passed and f.waste_usd == pytest.approx(3.0 - 0.99)
    assert check(run(100, cost=1.5), HISTORY, "cost_vs_baseline").passed
    assert check(run(100, cost=0.005), [run(100, cost=0.001)] * 5, "cost_vs_baseline").passed
    assert check(
        run(100, cost=3.0), HISTORY, "cost_vs_baseline", thresholds={"cost_ratio": 4}
    ).passed


def test_output_collapse_and_explosion() -> None:
    f = check(run(100, rows=10), HISTORY, "output_vs_baseline")
    assert not f.passed and "collapsed" in f.summary and f.evidence["baseline_rows"] == 1e6
    assert not check(run(100, rows=0), HISTORY, "output_vs_baseline").passed
    assert "exploded" in check(run(100, rows=20_000_000), HISTORY, "output_vs_baseline").summary
    # half the input, half the rows: as expected
    assert check(run(100, rows=500_000, input_bytes=GB // 2), HISTORY, "output_vs_baseline").passed
    assert check(run(100, rows=300_000), HISTORY, "output_vs_baseline").passed
    assert check(run(100, rows=5), [run(100, rows=0)] * 3, "output_vs_baseline").passed


def test_only_the_last_baseline_runs_count() -> None:
    history = [run(300)] * 3 + [run(100)] * 3
    assert check(run(300), history, "duration_vs_baseline").passed  # median of 6: 200 s
    assert not check(run(300), history, "duration_vs_baseline", baseline_runs=3).passed


def test_advice_names_the_settings_that_changed() -> None:
    history = [{**run(100), "spark_conf": {"spark.sql.shuffle.partitions": "200"}}] * 3
    meta = {**run(300), "spark_conf": {"spark.sql.shuffle.partitions": "8"}}
    f = check(meta, history, "duration_vs_baseline", fail_on=["duration_vs_baseline"])
    assert f.severity == "ERROR"
    assert "spark.sql.shuffle.partitions 200 -> 8" in f.advice
