"""Predict a run's duration and cost on one platform from that platform's history.

Duration = start-up + seconds per GB x input GB. Start-up is what the platform reported where
it did, else the intercept of a Theil-Sen fit (the median of pairwise slopes: robust to
outliers and noisy runs). Uncertainty is the runs' relative spread around the fit (MAD), with
Student's t for few runs. Failed and interrupted attempts count as the extra cost and time they
caused: failures as a rate per attempt, interruptions (spot loss) as a rate per hour run, so
longer runs are riskier.
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


def fit_duration(done: Sequence[Attempt], xs: Sequence[float]) -> tuple[float, float]:
    """(start-up s, s per GB). Start-up as the platform reported it, when it did; else the fit's
    intercept, never negative (a narrow range of sizes can tilt the line below zero)."""
    reported = [a.startup_s for a in done if a.startup_s is not None]
    if len(reported) == len(done):
        startup = median(reported)
        work = [a.duration_s - (a.startup_s or 0.0) for a in done]
        return startup, max(0.0, median(w / x for w, x in zip(work, xs, strict=True) if x > 0))
    startup, per_gb = theil_sen(xs, [a.duration_s for a in done])
    if startup < 0:
        positive = [a.duration_s / x for a, x in zip(done, xs, strict=True) if x > 0]
        return 0.0, median(positive) if positive else 0.0
    return startup, per_gb


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


def relative_spread(actual: Sequence[float], fitted: Sequence[float]) -> float:
    """A robust standard deviation of actual/fitted (1.4826 x MAD), relative because a run's
    noise grows with its length; with fewer than 3 runs, an assumed share."""
    if len(actual) < 3:
        return FEW_RUNS_SPREAD
    ratios = [a / f - 1 for a, f in zip(actual, fitted, strict=True) if f > 0]
    centre = median(ratios)
    return 1.4826 * median(abs(r - centre) for r in ratios)


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


def risk_of(attempts: Sequence[Attempt], platform_wide: Sequence[Attempt] = ()) -> Risk:
    """Failures per attempt from this asset's attempts; interruptions per hour from every
    asset's on the platform (`platform_wide`): spot loss is the market's, not the job's."""
    done = [a for a in attempts if a.status == "success"]
    failed = [a for a in attempts if a.status == "failed"]
    pool = platform_wide or attempts
    interrupted = [a for a in pool if a.status == "interrupted"]
    hours = sum(a.duration_s for a in pool) / 3600
    typical = median(a.cost_usd for a in done) if done else 0.0
    lost = [a.cost_usd for a in attempts if a.status != "success"]
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


def t_score(confidence: float, runs: int) -> float:
    """Student's t quantile (Cornish-Fisher) for a spread estimated from few runs, widened
    for the uncertainty of the fitted line itself: few runs, wider margins."""
    z = z_score(confidence)
    df = max(runs - 2, 1)
    t = z + (z**3 + z) / (4 * df) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2)
    return t * math.sqrt(1 + 1 / runs)


def predict(
    platform: str,
    attempts: Sequence[Attempt],
    input_bytes: int,
    confidence: float,
    platform_wide: Sequence[Attempt] = (),
) -> Prediction | None:
    """From this platform's own history of the asset (and every asset's attempts there, for
    the interruption rate); None without a successful run."""
    done = [a for a in attempts if a.status == "success"]
    if not done:
        return None
    xs = [a.input_bytes / GB for a in done]
    size = input_bytes / GB
    startup, per_gb = fit_duration(done, xs)
    c0, c1 = theil_sen(xs, [a.cost_usd for a in done])
    duration = startup + per_gb * size
    cost = c0 + c1 * size
    fitted = [startup + per_gb * x for x in xs]
    sigma = relative_spread([a.duration_s for a in done], fitted) * duration
    risk = risk_of(attempts, platform_wide)
    expected, expected_cost, p = with_retries(duration, cost, risk)
    # a measured spread gets Student's t; an assumed one (fewer than 3 runs) is wide already
    score = t_score(confidence, len(done)) if len(done) >= 3 else z_score(confidence)
    high = expected + score * sigma
    if p > 1 - confidence:  # a retry is likely enough to plan for: its time too
        high += duration
    return Prediction(
        platform=platform,
        duration_s=expected,
        duration_hi_s=high,
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
