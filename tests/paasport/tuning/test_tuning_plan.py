from __future__ import annotations

import math
import random
from typing import Any

from paasport.tuning import TuningPlan, TuningRun, plan_next, tuning_run
from paasport.tuning.space import GiB, MiB

GOOD = {
    "spark.sql.shuffle.partitions": "8",
    "spark.sql.adaptive.enabled": "true",
    "spark.sql.autoBroadcastJoinThreshold": "10m",
    "spark.sql.files.maxPartitionBytes": "128m",
}
BAD = {
    "spark.sql.shuffle.partitions": "3000",
    "spark.sql.adaptive.enabled": "false",
    "spark.sql.autoBroadcastJoinThreshold": "-1",
}
MISSED = {
    "check": "spark_broadcast",
    "passed": False,
    "evidence": {"small_side_bytes": 20 * MiB, "large_side_bytes": 5 * GiB},
    "advice": "spark.sql.autoBroadcastJoinThreshold=32m",
}


def run(
    settings: dict[str, str],
    seconds: float | None,
    trial: dict[str, Any] | None = None,
    failed: bool = False,
    findings: list[dict[str, Any]] | None = None,
) -> TuningRun:
    """A run as its metadata records it: 1 GiB in, no price, so seconds per GiB."""
    meta: dict[str, Any] = {
        "spark_conf": settings,
        "input_bytes": GiB,
        "spark_time_s": seconds,
        "diagnostics": findings or [],
        "tuning_trial": trial,
        "tuning_failed": failed,
    }
    return tuning_run(meta)


def follow(plan: TuningPlan, seconds: float | None, failed: bool = False) -> TuningRun:
    """The run the plan asked for."""
    return run(plan.settings, seconds, plan.trial, failed)


def test_first_proposal_fixes_planted_bad_settings() -> None:
    history = [run(BAD, 100.0, findings=[MISSED])]
    plan = plan_next(history, BAD, cores=2)
    assert plan.trial is not None and plan.trial["id"] == 1
    assert plan.settings == {
        "spark.sql.shuffle.partitions": "6",
        "spark.sql.adaptive.enabled": "true",
        "spark.sql.autoBroadcastJoinThreshold": "32m",
    }
    assert plan.trial["settings"] == plan.settings
    assert len(plan.trial["why"]) == 3 and "rules" in plan.why
    assert plan.incumbent == BAD and plan.decision == "kept"


def test_no_history_runs_own_settings() -> None:
    plan = plan_next([], GOOD)
    assert (plan.settings, plan.trial, plan.decision) == (GOOD, None, "kept")


def test_well_tuned_is_searched_and_noise_rolled_back() -> None:
    history = [run(GOOD, s) for s in (100.0, 104.0, 97.0)]
    plan = plan_next(history, GOOD, cores=2, seed=1)
    assert plan.trial is not None and plan.trial["why"][0].startswith("search 1 of 4")
    first = plan.settings
    assert first != GOOD and set(first) == set(GOOD)
    for seconds in (99.0, 102.0, 98.0):  # within the noise
        history.append(follow(plan, seconds))
        plan = plan_next(history, GOOD, cores=2, seed=1)
    assert plan.decision == "rolled back"
    assert plan.incumbent == GOOD
    assert plan.trial is not None and plan.trial["id"] == 2
    assert plan.settings not in (first, GOOD)
    assert plan.figures["incumbent"]["n"] == 3


def test_clear_gain_is_accepted_and_becomes_the_incumbent() -> None:
    history = [run(BAD, 100.0, findings=[MISSED]), run(BAD, 102.0)]
    plan = plan_next(history, BAD, cores=2)
    fixed = plan.settings
    history += [follow(plan, 50.0)]
    plan = plan_next(history, BAD, cores=2)
    assert plan.decision == "pending" and plan.settings == fixed
    history += [follow(plan, 52.0)]
    plan = plan_next(history, BAD, cores=2)
    assert plan.incumbent == fixed
    assert plan.figures["incumbent"]["median"] == 51.0


def test_interleaves_the_incumbent_when_it_has_one_value() -> None:
    history = [run(BAD, 100.0, findings=[MISSED])]
    trial = plan_next(history, BAD, cores=2)
    history.append(follow(trial, 50.0))
    plan = plan_next(history, BAD, cores=2)
    assert (plan.trial, plan.settings, plan.decision) == (None, BAD, "pending")
    history.append(follow(plan, 101.0))
    plan = plan_next(history, BAD, cores=2)
    assert plan.trial == trial.trial and plan.settings == trial.settings


def test_failed_trial_is_rolled_back_and_the_incumbent_runs() -> None:
    history = [run(BAD, 100.0, findings=[MISSED])]
    plan = plan_next(history, BAD, cores=2)
    history.append(follow(plan, None, failed=True))
    plan = plan_next(history, BAD, cores=2)
    assert plan.decision == "rolled back"
    assert (plan.trial, plan.settings, plan.incumbent) == (None, BAD, BAD)
    history.append(follow(plan, 100.0))
    plan = plan_next(history, BAD, cores=2)
    # the failed settings are never tried again
    assert plan.trial is not None and plan.trial["id"] == 2
    assert plan.settings != history[1].settings


def test_trial_over_the_deadline_is_not_accepted() -> None:
    history = [run(BAD, 100.0, findings=[MISSED]), run(BAD, 100.0)]
    plan = plan_next(history, BAD, cores=2, deadline_s=1000.0)
    history.append(run(plan.settings, 2000.0, plan.trial))
    plan = plan_next(history, BAD, cores=2, deadline_s=1000.0)
    assert plan.decision == "rolled back" and plan.incumbent == BAD


def job_seconds(settings: dict[str, str], rng: random.Random) -> float:
    """A job that is fastest at 16 partitions and 2g of executor memory, 15% noise."""
    parts = int(settings.get("spark.sql.shuffle.partitions", "200"))
    memory = int(settings.get("spark.executor.memory", "1g").rstrip("gm"))
    base = 60 * (1 + abs(math.log(parts / 16))) * (1 + 0.2 * abs(math.log(memory / 2)))
    return base * math.exp(rng.gauss(0, 0.15))


def simulate(own: dict[str, str], pinned: set[str], seed: int, n: int = 14) -> list[TuningPlan]:
    rng = random.Random(seed)
    history: list[TuningRun] = []
    plans = []
    for _ in range(n):
        plan = plan_next(history, own, pinned=pinned, cores=2, seed=seed)
        plans.append(plan)
        history.append(follow(plan, job_seconds(plan.settings, rng)))
    return plans


def test_pinned_keys_never_change() -> None:
    own = {**BAD, "spark.executor.memory": "4g"}
    pinned = {"spark.sql.shuffle.partitions", "spark.sql.adaptive.enabled"}
    plans = simulate(own, pinned, seed=3)
    assert any(p.trial for p in plans)
    for p in plans:
        assert all(p.settings[k] == own[k] for k in pinned)
        assert all(p.incumbent[k] == own[k] for k in pinned)


def test_plan_is_deterministic_for_a_seed() -> None:
    own = {**GOOD, "spark.executor.memory": "4g"}
    a, b = simulate(own, set(), seed=5), simulate(own, set(), seed=5)
    assert [p.settings for p in a] == [p.settings for p in b]
    assert [p.trial for p in a] == [p.trial for p in b]


def test_search_converges_after_a_few_trials() -> None:
    plans = simulate(GOOD, set(), seed=7, n=30)
    ids = {p.trial["id"] for p in plans if p.trial}
    assert 1 <= len(ids) <= 8
    assert plans[-1].trial is None and plans[-1].decision == "kept"
