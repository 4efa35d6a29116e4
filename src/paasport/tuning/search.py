"""A small search around the incumbent once the rules have nothing left to say.

Stateless like the rest: each call builds a fresh in-memory optuna study, replays the
past trials into it with add_trial, and asks for one new point. The space is bounded
around the incumbent (partitions and split size /4..x4, memory x0.5..x2 in steps of
256m) so a search trial is a step, not a gamble; numbers are searched on a log scale.
"""

from __future__ import annotations

import warnings
from collections.abc import Collection, Mapping, Sequence
from typing import TYPE_CHECKING

from paasport.tuning.space import TUNABLE, MiB, to_spark, value_of

#: (key, factor down, factor up, unit of the searched number in bytes; 1 = a count)
SEARCHED = (
    ("spark.sql.shuffle.partitions", 4.0, 4.0, 1),
    ("spark.sql.files.maxPartitionBytes", 4.0, 4.0, MiB),
    ("spark.executor.memory", 2.0, 2.0, 256 * MiB),
    ("spark.driver.memory", 2.0, 2.0, 256 * MiB),
)
SHUFFLE = "spark.sql.shuffle.partitions"
MEMORY_KEYS = ("spark.executor.memory", "spark.driver.memory")
MAX_ASKS = 20

if TYPE_CHECKING:  # optuna is imported where a search runs: it costs every process 0.2 s
    from optuna.distributions import IntDistribution


def space(
    incumbent: Mapping[str, str], pinned: Collection[str], cores: int = 1
) -> dict[str, IntDistribution]:
    """The searched keys and their ranges around the incumbent's values (memory only when
    the incumbent sets it: an unset key's default says nothing about the job; shuffle
    partitions never below the cores, which would leave cores idle)."""
    from optuna.distributions import IntDistribution

    out: dict[str, IntDistribution] = {}
    for key, down, up, unit in SEARCHED:
        if key in pinned or (key in MEMORY_KEYS and key not in incumbent):
            continue
        now = value_of(key, incumbent)
        if not isinstance(now, int) or isinstance(now, bool) or now <= 0:
            continue
        knob = TUNABLE[key]
        floor = max(knob.low or 1, cores if key == SHUFFLE else 1)
        low = -(-max(int(now / down), floor) // unit)
        high = min(int(now * up), knob.high or int(now * up)) // unit
        if 1 <= low < high:
            out[key] = IntDistribution(low, high, log=True)
    return out


def params(settings: Mapping[str, str], dists: Mapping[str, IntDistribution]) -> dict[str, int]:
    """settings as search params, or {} when a value lies outside today's space."""
    unit = {key: u for key, _, _, u in SEARCHED}
    out: dict[str, int] = {}
    for key, dist in dists.items():
        value = value_of(key, settings)
        if not isinstance(value, int) or isinstance(value, bool):
            return {}
        n = value // unit[key]
        if not dist.low <= n <= dist.high:
            return {}
        out[key] = n
    return out


def search_proposal(
    incumbent: Mapping[str, str],
    incumbent_value: float | None,
    tried: Sequence[tuple[Mapping[str, str], float | None]],
    pinned: Collection[str] = (),
    seed: int = 0,
    cores: int = 1,
) -> dict[str, str]:
    """Changes to the incumbent for the next search trial; {} when nothing new is left.

    `tried` holds past trials' settings with their median objective (None: failed).
    """
    dists = space(incumbent, pinned, cores)
    if not dists:
        return {}
    import optuna
    from optuna.distributions import BaseDistribution
    from optuna.trial import TrialState

    unit = {key: u for key, _, _, u in SEARCHED}
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        sampler = optuna.samplers.TPESampler(seed=seed)
        study = optuna.create_study(direction="minimize", sampler=sampler)
        known: dict[tuple[int, ...], float | None] = {}
        for settings, value in [(incumbent, incumbent_value), *tried]:
            p = params(settings, dists)
            if not p:
                continue
            known[tuple(p[k] for k in dists)] = value
            state = TrialState.COMPLETE if value is not None else TrialState.FAIL
            study.add_trial(
                optuna.trial.create_trial(
                    params=p,
                    distributions=dict[str, BaseDistribution](dists),
                    value=value,
                    state=state,
                )
            )
        for _ in range(MAX_ASKS):
            trial = study.ask(dict[str, BaseDistribution](dists))
            point = tuple(int(trial.params[k]) for k in dists)
            if point not in known:
                break
            # a point already measured: tell the sampler what it got, ask again
            value = known[point]
            if value is None:
                study.tell(trial, state=TrialState.FAIL)
            else:
                study.tell(trial, value)
        else:
            return {}
    changes: dict[str, str] = {}
    for key, n in zip(dists, point, strict=True):
        text = to_spark(key, n * unit[key])
        if value_of(key, {key: text}) != value_of(key, incumbent):
            changes[key] = text
    return changes
