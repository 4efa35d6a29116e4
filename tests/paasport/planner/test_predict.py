"""Prediction from history: robust fits, the spread, failures as extra cost."""

from __future__ import annotations

import pytest

from paasport.planner.history import Attempt
from paasport.planner.predict import GB, predict, prior, risk_of, theil_sen


def run(size_gb: float, duration: float, cost: float, status: str = "success") -> Attempt:
    return Attempt(asset="a", platform="emr", input_bytes=int(size_gb * GB),
                   duration_s=duration, cost_usd=cost, status=status)  # fmt: skip


def test_theil_sen_ignores_an_outlier() -> None:
    xs = [1.0, 2.0, 3.0, 4.0, 5.0]
    ys = [110.0, 120.0, 130.0, 900.0, 150.0]  # one run hit a slow node
    intercept, slope = theil_sen(xs, ys)
    assert slope == pytest.approx(10.0)
    assert intercept == pytest.approx(100.0)


def test_a_flat_history_predicts_its_median() -> None:
    assert theil_sen([3.0, 3.0, 3.0], [10.0, 30.0, 20.0]) == (20.0, 0.0)


def test_start_up_and_processing_are_separate() -> None:
    history = [run(s, 60 + 30 * s, 0.01 * (60 + 30 * s)) for s in (1, 2, 4, 8, 16)]
    p = predict("emr", history, 32 * GB, confidence=0.9)
    assert p is not None
    assert p.startup_s == pytest.approx(60)
    assert p.seconds_per_gb == pytest.approx(30)
    assert p.duration_s == pytest.approx(60 + 30 * 32)
    assert p.cost_usd == pytest.approx(0.01 * (60 + 30 * 32))
    assert p.duration_hi_s == pytest.approx(p.duration_s)  # no spread: a perfect fit


def test_failures_and_interruptions_add_their_cost() -> None:
    clean = [run(1, 3600, 10.0) for _ in range(4)]
    assert predict("emr", clean, GB, 0.9).cost_usd == pytest.approx(10.0)  # type: ignore[union-attr]
    # one interruption in 5 h run (half an hour in): 0.2 per hour, so a 1-h run is retried
    # with probability 1 - e^-0.2, and a lost attempt costs what the interrupted one did
    shaky = [*clean, run(1, 3600, 5.0, "interrupted")]
    risk = risk_of(shaky)
    assert risk.interruptions_per_hour == pytest.approx(1 / 5)
    assert risk.wasted_cost_share == pytest.approx(0.5)
    p = predict("emr", shaky, GB, 0.9)
    assert p is not None
    retry = 1 - 2.718281828**-0.2
    assert p.retry_probability == pytest.approx(retry, rel=1e-6)
    assert p.cost_usd == pytest.approx(10.0 * (1 + retry / (1 - retry) * 0.5), rel=1e-6)
    # a longer run is riskier on the same platform
    longer = predict("emr", [*clean, run(1, 3600, 5.0, "interrupted")], 1 * GB, 0.9)
    assert longer is not None and risk.retry_probability(7200) > risk.retry_probability(3600)


def test_no_successful_run_no_prediction() -> None:
    assert predict("emr", [run(1, 100, 1.0, "failed")], GB, 0.9) is None


def test_the_prior_prices_other_platforms_durations_at_the_list_price() -> None:
    seen = predict("emr", [run(1, 1800, 1.0), run(1, 1800, 1.0)], GB, 0.9)
    assert seen is not None
    guess = prior("glue", [seen], usd_per_hour=4.0, confidence=0.9)
    assert guess is not None
    assert guess.duration_s == pytest.approx(1800) and guess.cost_usd == pytest.approx(2.0)
    assert "prior" in guess.basis and "$4/h" in guess.basis
    assert guess.duration_hi_s > seen.duration_hi_s  # less known, more uncertain
    assert prior("glue", [seen], usd_per_hour=None, confidence=0.9) is None
