"""Is a trial better than the incumbent? Decided on few, noisy runs.

Runs of the same job vary by 10-20% (shared clusters, data skew, cloud noise), and each
run costs money, so the rule is built to roll back fast and accept only on clear evidence:

- rolled back at once when the trial is clearly worse: any value above 1.3x the
  incumbent's median, or its median above the incumbent's by more than the margin;
- accepted only with >= 2 trial values (and >= 2 incumbent ones: one value is no
  minimum), all below every incumbent value, and a median gain over the margin =
  max(10%, 3x noise); noise is the relative spread (MAD/median) of both groups pooled
  like variances, each group's at least `prior_noise` while it has fewer
  than 3 values (its spread says little then);
- rolled back after 3 trial values without acceptance: a gain too small to show in 3
  runs is not worth more runs. Otherwise "pending".
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence

ACCEPTED = "accepted"
ROLLED_BACK = "rolled back"
PENDING = "pending"
CLEARLY_WORSE = 1.3
MIN_MARGIN = 0.10
MAX_TRIAL_RUNS = 3


def spread(values: Sequence[float], prior_noise: float) -> float:
    """Relative spread MAD/median, at least prior_noise under 3 values."""
    if not values:
        return prior_noise
    med = statistics.median(values)
    mad = statistics.median(abs(v - med) for v in values)
    measured = mad / med if med > 0 else 0.0
    return max(measured, prior_noise) if len(values) < 3 else measured


def noise(incumbent: Sequence[float], trial: Sequence[float], prior_noise: float) -> float:
    """Both groups' spreads pooled like variances (root of the size-weighted mean square)."""
    a, b = max(1, len(incumbent)), max(1, len(trial))
    sa, sb = spread(incumbent, prior_noise), spread(trial, prior_noise)
    return math.sqrt((a * sa**2 + b * sb**2) / (a + b))


def margin(incumbent: Sequence[float], trial: Sequence[float], prior_noise: float) -> float:
    return max(MIN_MARGIN, 3 * noise(incumbent, trial, prior_noise))


def decide(incumbent: Sequence[float], trial: Sequence[float], prior_noise: float = 0.10) -> str:
    """ "accepted" | "rolled back" | "pending" for objective values (lower is better)."""
    if not incumbent or not trial:
        return PENDING
    inc_med = statistics.median(incumbent)
    trial_med = statistics.median(trial)
    m = margin(incumbent, trial, prior_noise)
    if max(trial) > CLEARLY_WORSE * inc_med or trial_med > inc_med * (1 + m):
        return ROLLED_BACK
    gain = (inc_med - trial_med) / inc_med if inc_med > 0 else 0.0
    enough = len(trial) >= 2 and len(incumbent) >= 2
    if enough and max(trial) < min(incumbent) and gain > m:
        return ACCEPTED
    if len(trial) >= MAX_TRIAL_RUNS:
        return ROLLED_BACK
    return PENDING
