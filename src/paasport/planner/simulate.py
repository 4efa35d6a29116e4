"""Synthetic traces and policy replay: how the planner compares with fixed choices and an oracle.

A trace is a world of assets and platforms, each platform with its own start-up, speed (per
asset), hourly price, noise and spot interruption rate. History runs train the planner; then
every policy meets the same requests and the same random outcomes, so their costs compare.
"""

from __future__ import annotations

import math
import random
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from paasport.planner.choose import choose
from paasport.planner.history import Attempt, PlanRequest
from paasport.planner.predict import GB


@dataclass(frozen=True)
class PlatformModel:
    name: str
    startup_s: float
    seconds_per_gb: float
    usd_per_hour: float
    noise: float = 0.1  # lognormal sigma of the processing time
    interruptions_per_hour: float = 0.0


@dataclass
class World:
    platforms: list[PlatformModel]
    assets: list[str]
    #: how much faster or slower each platform is on each asset (engine fit, data layout)
    speed: dict[tuple[str, str], float]
    mean_gb: dict[str, float]
    outlier_rate: float = 0.01
    rng: random.Random = field(default_factory=random.Random)

    def size(self, asset: str) -> int:
        return int(self.mean_gb[asset] * math.exp(self.rng.gauss(0, 0.5)) * GB)

    def expected(self, asset: str, p: PlatformModel, size: int) -> tuple[float, float]:
        """True expected (duration, cost) with interruptions and their retries."""
        d = p.startup_s + p.seconds_per_gb * self.speed[(asset, p.name)] * size / GB
        lam = p.interruptions_per_hour / 3600
        # an attempt is lost at an exponential time; expected time to one clean run of d
        total = (math.exp(lam * d) - 1) / lam if lam else d
        return total, total / 3600 * p.usd_per_hour


def default_world(seed: int) -> World:
    # synthetic platforms shaped like the real ones (labels, not registry names: no profile
    # or emulator stands behind them)
    rng = random.Random(seed)
    platforms = [
        PlatformModel("EMR", 420, 40, 6.0),
        PlatformModel("EMR:spot", 420, 40, 2.6, interruptions_per_hour=0.25),
        PlatformModel("EMR Serverless", 90, 34, 8.5),
        PlatformModel("Databricks", 300, 22, 13.0),
        PlatformModel("Glue", 60, 55, 9.0),
    ]
    assets = [f"asset_{i}" for i in range(6)]
    speed = {(a, p.name): rng.uniform(0.6, 1.5) for a in assets for p in platforms}
    for a in assets:  # spot runs the same machines as on-demand
        speed[(a, "EMR:spot")] = speed[(a, "EMR")]
    mean_gb = {a: rng.choice([2.0, 10.0, 40.0, 150.0]) for a in assets}
    return World(platforms, assets, speed, mean_gb, rng=rng)


@dataclass(frozen=True)
class Outcome:
    duration_s: float
    cost_usd: float
    attempts: list[Attempt]


def realise(world: World, asset: str, p: PlatformModel, size: int, rng: random.Random) -> Outcome:
    """One run as it happens: noise, outliers, spot interruptions retried until it succeeds."""
    base = p.seconds_per_gb * world.speed[(asset, p.name)] * size / GB
    work = p.startup_s + base * math.exp(rng.gauss(0, p.noise))
    if rng.random() < world.outlier_rate:
        work *= 3  # a straggler, a bad node
    attempts, spent = [], 0.0
    while True:
        lost_at = (
            rng.expovariate(p.interruptions_per_hour / 3600)
            if p.interruptions_per_hour
            else math.inf
        )
        if lost_at >= work:
            spent += work
            attempts.append(_attempt(asset, p, size, work, "success"))
            return Outcome(spent, spent / 3600 * p.usd_per_hour, attempts)
        spent += lost_at
        attempts.append(_attempt(asset, p, size, lost_at, "interrupted"))


def _attempt(asset: str, p: PlatformModel, size: int, seconds: float, status: str) -> Attempt:
    return Attempt(asset=asset, platform=p.name, input_bytes=size, duration_s=seconds,
                   cost_usd=seconds / 3600 * p.usd_per_hour, status=status,
                   startup_s=min(seconds, p.startup_s))  # fmt: skip


def history(world: World, runs_per_pair: int, rng: random.Random) -> list[Attempt]:
    out: list[Attempt] = []
    for asset in world.assets:
        for p in world.platforms:
            for _ in range(runs_per_pair):
                out += realise(world, asset, p, world.size(asset), rng).attempts
    return out


@dataclass(frozen=True)
class Case:
    asset: str
    size: int
    deadline_s: float | None
    seed: int  # the outcome's randomness, shared by every policy


def cases(world: World, count: int, binding_share: float, rng: random.Random) -> list[Case]:
    out = []
    for _ in range(count):
        asset = rng.choice(world.assets)
        size = world.size(asset)
        deadline = None
        if rng.random() < binding_share:  # between the fastest and the slowest platform
            times = sorted(world.expected(asset, p, size)[0] for p in world.platforms)
            deadline = rng.uniform(times[0] * 1.5, times[-1])
        out.append(Case(asset, size, deadline, rng.randrange(2**31)))
    return out


Policy = Callable[[Case], str | None]


@dataclass
class Score:
    policy: str
    cost_usd: float = 0.0
    misses: int = 0
    runs: int = 0

    def ratio(self, oracle: Score) -> float:
        return self.cost_usd / oracle.cost_usd if oracle.cost_usd else math.nan


def outcomes(world: World, case: Case) -> dict[str, Outcome]:
    """What each platform would really do for this case (the same random draws for all)."""
    return {
        p.name: realise(world, case.asset, p, case.size, random.Random(case.seed))
        for p in world.platforms
    }


def true_odds(world: World, case: Case, draws: int = 200) -> dict[str, tuple[float, float]]:
    """Per platform, the true expected cost and the true chance to meet the deadline, from
    the world's own model (many draws), not from any history."""
    out = {}
    for p in world.platforms:
        rng = random.Random(case.seed ^ zlib.crc32(p.name.encode()))  # stable across runs
        runs = [realise(world, case.asset, p, case.size, rng) for _ in range(draws)]
        cost = sum(r.cost_usd for r in runs) / draws
        met = sum(case.deadline_s is None or r.duration_s <= case.deadline_s for r in runs)
        out[p.name] = (cost, met / draws)
    return out


def oracle_choice(world: World, case: Case, confidence: float) -> str:
    """The oracle knows the true costs and odds: the cheapest platform that meets the deadline
    with the same confidence as the planner (else the likeliest to meet it)."""
    odds = true_odds(world, case)
    ok = [n for n, (_, met) in odds.items() if met >= confidence]
    if not ok:
        return max(odds, key=lambda n: odds[n][1])
    return min(ok, key=lambda n: odds[n][0])


def evaluate(
    world: World, chosen: dict[str, Policy], requests: Sequence[Case], confidence: float
) -> list[Score]:
    scores = {name: Score(name) for name in [*chosen, ORACLE]}
    for case in requests:
        known = outcomes(world, case)
        fastest = min(known, key=lambda n: world.expected(case.asset, _by(world, n), case.size)[0])
        picks = {name: policy(case) or fastest for name, policy in chosen.items()}
        picks[ORACLE] = oracle_choice(world, case, confidence)
        for name, platform in picks.items():
            outcome, score = known[platform], scores[name]
            score.cost_usd += outcome.cost_usd
            score.runs += 1
            if case.deadline_s is not None and outcome.duration_s > case.deadline_s:
                score.misses += 1
    return list(scores.values())


ORACLE = "oracle (true costs and odds)"


def _by(world: World, name: str) -> PlatformModel:
    return next(p for p in world.platforms if p.name == name)


def policies(world: World, past: list[Attempt], confidence: float) -> dict[str, Policy]:
    """The fixed choices and the planner; a None pick (nothing feasible) runs the fastest."""
    names = [p.name for p in world.platforms]
    cheapest_rate = min(world.platforms, key=lambda p: p.usd_per_hour).name

    def planner(case: Case) -> str | None:
        request = PlanRequest(asset=case.asset, input_bytes=case.size, platforms=names,
                              deadline_s=case.deadline_s)  # fmt: skip
        return choose(request, past, confidence=confidence).platform

    return {
        "always EMR": lambda case: "EMR",
        "always Databricks": lambda case: "Databricks",
        "cheapest hourly list price": lambda case: cheapest_rate,
        "paasport planner": planner,
    }


def run_synthetic(
    seed: int = 7, requests: int = 300, history_runs: int = 10, confidence: float = 0.98
) -> list[Score]:
    world = default_world(seed)
    rng = random.Random(seed + 1)
    past = history(world, history_runs, rng)
    todo = cases(world, requests, binding_share=0.5, rng=rng)
    return evaluate(world, policies(world, past, confidence), todo, confidence)
