from __future__ import annotations

import math
import random

from paasport.tuning import decide

SIGMA = 0.15  # 15% lognormal run-to-run noise


def run_trial(true_ratio: float, seed: int) -> str:
    """decide() over up to 3 trial runs against 3 incumbent runs, as tuning would."""
    rng = random.Random(seed)
    incumbent = [math.exp(rng.gauss(0, SIGMA)) for _ in range(3)]
    trial: list[float] = []
    state = "pending"
    while state == "pending" and len(trial) < 3:
        trial.append(true_ratio * math.exp(rng.gauss(0, SIGMA)))
        state = decide(incumbent, trial)
    return state


def test_noise_alone_is_rarely_accepted() -> None:
    accepted = sum(run_trial(1.0, seed) == "accepted" for seed in range(300))
    assert accepted <= 0.05 * 300


def test_a_real_halving_is_accepted_within_three_runs() -> None:
    accepted = sum(run_trial(0.5, seed) == "accepted" for seed in range(300))
    assert accepted >= 0.90 * 300


def test_a_clearly_worse_trial_is_rolled_back_at_once() -> None:
    assert decide([1.0, 1.02, 0.98], [1.4]) == "rolled back"
    assert decide([1.0], [1.31]) == "rolled back"


def test_one_trial_value_is_never_enough() -> None:
    assert decide([1.0, 1.0, 1.0], [0.3]) == "pending"
    assert decide([1.0], [0.3, 0.3]) == "pending"  # one incumbent value: no minimum yet
    assert decide([], [0.3]) == "pending"
    assert decide([1.0], []) == "pending"


def test_a_clear_gain_is_accepted() -> None:
    assert decide([1.0, 1.02, 0.98], [0.6, 0.62]) == "accepted"


def test_within_noise_is_rolled_back_after_three_runs() -> None:
    incumbent = [1.0, 1.05, 0.95]
    assert decide(incumbent, [0.97, 1.01]) == "pending"
    assert decide(incumbent, [0.97, 1.01, 0.99]) == "rolled back"


def test_an_overlapping_gain_is_not_accepted() -> None:
    # a median gain over the margin but one trial value above the incumbent's best
    assert decide([1.0, 0.7, 1.0], [0.5, 0.75]) == "pending"
