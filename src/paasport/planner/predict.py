"""Predict a run's duration and cost on one platform from that platform's history.

Duration = start-up + seconds per GB x input GB, fitted with Theil-Sen (the median of pairwise
slopes): robust to outliers and noisy runs. Uncertainty is the spread of the residuals (MAD).
Failed and interrupted attempts are counted as the extra cost and time they caused: failures
as a rate per attempt, interruptions (spot loss) as a rate per hour run, so longer runs are
riskier.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist, median

from paasport.planner.history import Attempt

GB = 1024**3
#: the relative uncertainty assumed when too few runs show their spread
FEW_RUNS_SPREAD = 0.25


@dataclass(frozen=True)
class Prediction:
    platform: str
    duration_s: float  # expected, failed attempts and retries included
    duration_hi_s: float  # at the plan's confidence
    cost_usd: float  # expected, failed attempts included
    startup_s: float
    seconds_per_gb: float
    retry_probability: float
    basis: str


def theil_sen(xs: Sequence[float], ys: Sequence[float]) -> tuple[float, float]:
    """(intercept, slope) of a robust line; a flat line when every x is the same."""
    slopes = [
        (ys[j] - ys[i]) / (xs[j] - xs[i])
        for i in range(len(xs))
        for j in range(i + 1, len(xs))
        if xs[j] != xs[i]
    ]
    slope = max(0.0, median(slopes)) if slopes else 0.0  # more input never takes less time
    intercept = median(y - slope * x for x, y in zip(xs, ys, strict=True))
    return intercept, slope


def spread(residuals: Sequence[float], scale: float) -> float:
    """A robust standard deviation (1.4826 x MAD); with fewer than 3 runs, an assumed share."""
    if len(residuals) < 3:
        return FEW_RUNS_SPREAD * scale
    centre = median(residuals)
    return 1.4826 * median(abs(r - centre) for r in residuals)


@dataclass(frozen=True)
class Risk:
    """How often attempts fail (per attempt) and are interrupted (per hour run)."""

    failure_rate: float
    interruptions_per_hour: float
    wasted_cost_share: float  # what a failed attempt costs, as a share of a successful one

    def retry_probability(self, duration_s: float) -> float:
        survive = (1 - self.failure_rate) * math.exp(
            -self.interruptions_per_hour * duration_s / 3600
        )
        return min(0.95, 1 - survive)  # bounded: a platform that always fails is not infinite


def risk_of(attempts: Sequence[Attempt]) -> Risk:
    done = [a for a in attempts if a.status == "success"]
    failed = [a for a in attempts if a.status == "failed"]
    interrupted = [a for a in attempts if a.status == "interrupted"]
    hours = sum(a.duration_s for a in attempts) / 3600
    typical = median(a.cost_usd for a in done) if done else 0.0
    lost = [a.cost_usd for a in (*failed, *interrupted)]
    share = (median(lost) / typical) if lost and typical else 0.5
    return Risk(
        failure_rate=len(failed) / len(attempts) if attempts else 0.0,
        interruptions_per_hour=len(interrupted) / hours if hours else 0.0,
        wasted_cost_share=min(share, 1.0),
    )


def with_retries(duration: float, cost: float, risk: Risk) -> tuple[float, float, float]:
    """Expected duration and cost counting the failed attempts before a success."""
    p = risk.retry_probability(duration)
    extra = p / (1 - p)  # expected failed attempts (geometric)
    share = risk.wasted_cost_share
    return duration * (1 + extra * share), cost * (1 + extra * share), p


def z_score(confidence: float) -> float:
    return NormalDist().inv_cdf(confidence)


def predict(
    platform: str, attempts: Sequence[Attempt], input_bytes: int, confidence: float
) -> Prediction | None:
    """From this platform's own history of the asset; None without a successful run."""
    done = [a for a in attempts if a.status == "success"]
    if not done:
        return None
    xs = [a.input_bytes / GB for a in done]
    size = input_bytes / GB
    startup, per_gb = theil_sen(xs, [a.duration_s for a in done])
    c0, c1 = theil_sen(xs, [a.cost_usd for a in done])
    duration = startup + per_gb * size
    cost = c0 + c1 * size
    residuals = [a.duration_s - (startup + per_gb * x) for a, x in zip(done, xs, strict=True)]
    sigma = spread(residuals, duration)
    risk = risk_of(attempts)
    expected, expected_cost, p = with_retries(duration, cost, risk)
    return Prediction(
        platform=platform,
        duration_s=expected,
        duration_hi_s=expected + z_score(confidence) * sigma,
        cost_usd=expected_cost,
        startup_s=startup,
        seconds_per_gb=per_gb,
        retry_probability=p,
        basis=f"history: {len(done)} successful of {len(attempts)} attempts",
    )


def prior(
    platform: str,
    others: Sequence[Prediction],
    usd_per_hour: float | None,
    confidence: float,
) -> Prediction | None:
    """Without history on `platform`: the other platforms' median duration for this input,
    priced at the platform's hourly list price, with twice the usual uncertainty."""
    if not others or usd_per_hour is None:
        return None
    duration = median(p.duration_s for p in others)
    sigma = 2 * FEW_RUNS_SPREAD * duration
    return Prediction(
        platform=platform,
        duration_s=duration,
        duration_hi_s=duration + z_score(confidence) * sigma,
        cost_usd=duration / 3600 * usd_per_hour,
        startup_s=median(p.startup_s for p in others),
        seconds_per_gb=median(p.seconds_per_gb for p in others),
        retry_probability=0.0,
        basis=(
            f"prior (no history here): the median duration on "
            f"{', '.join(sorted(p.platform for p in others))} at ${usd_per_hour:.4g}/h list price"
        ),
    )
