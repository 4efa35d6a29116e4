"""The plan for one asset: given the project config, the asset, the partition, its history and
the catalog, which candidates to try in which order, and why.

`platform = "auto"` runs this plan and `paasport plan` explains it: both call `plan_asset`, so
what is explained is what runs (exploring first, egress to the data, priors from list prices).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from paasport.config import ConfigError, ProjectConfig
from paasport.planner.choose import DEFAULT_CONFIDENCE, Candidate, Plan, choose
from paasport.planner.history import Attempt, PlanRequest
from paasport.planner.predict import Prediction
from paasport.pricing.catalog import Catalog
from paasport.record import PlanRecord


class NoCandidatesError(ValueError):
    """Nothing to plan between: no candidates configured or asked, and no history."""


@dataclass
class AssetPlan:
    order: list[str]  # candidates to try, best first
    plan: Plan
    why: str

    @property
    def chosen(self) -> str:
        return self.order[0]

    def prediction(self, name: str) -> Prediction | None:
        return next((c.prediction for c in self.plan.candidates if c.platform == name), None)

    def as_json(self) -> dict[str, object]:
        """The plan, the order and why: `paasport plan --json` and the run's `plan` metadata."""
        return {**self.plan.as_json(), "order": self.order, "why": self.why}

    def record(self) -> PlanRecord:
        """What a run on this plan records of it (the prediction is the first candidate's)."""
        p = self.prediction(self.chosen)
        return PlanRecord(
            plan=self.as_json(),
            predicted_cost_usd=round(p.cost_usd, 6) if p else None,
            predicted_duration_s=round(p.duration_s, 3) if p else None,
        )


@dataclass(frozen=True)
class Overrides:
    """What `paasport plan` may ask instead of the project's settings (None: the project's)."""

    candidates: Sequence[str] | None = None
    objective: Literal["cost", "time"] | None = None
    deadline_s: float | None = None
    confidence: float | None = None


def input_size(history: Sequence[Attempt], partition: str | None) -> int:
    """The input size to plan for: this partition's last, else the asset's last, else 0."""
    for wanted in (partition, None):
        sizes = [a.input_bytes for a in history if wanted is None or a.partition == wanted]
        if sizes:
            return sizes[-1]
    return 0


def egress_rates(
    project: ProjectConfig, asset: str, catalog: Catalog, candidates: Sequence[str] | None = None
) -> dict[str, float]:
    """Per candidate, the price per GB of moving the asset's input to it (the source cloud's
    inter-region or internet price); none when the input's location is not configured."""
    source = project.asset(asset).input_location
    if source is None:
        return {}
    cloud = source.split(":", 1)[0]
    rates: dict[str, float] = {}
    for name in project.planner.candidates if candidates is None else candidates:
        try:
            where = project.resolve(name, "planner.candidates").profile.location()
        except ConfigError:  # a name `paasport plan` was given that no profile resolves
            where = None
        if where is None or where == source:
            continue
        item = "inter_region" if where.split(":", 1)[0] == cloud else "internet"
        price = catalog.find("egress", f"{cloud}.{item}", "*")
        if price is not None:
            rates[name] = float(price.price)
    return rates


def plan_request(
    request: PlanRequest,
    history: Sequence[Attempt],
    usd_per_hour: Mapping[str, float] | None = None,
    confidence: float = DEFAULT_CONFIDENCE,
    explore_runs: int = 0,
) -> AssetPlan:
    """The plan's choice, then every other candidate as failover order; a candidate with fewer
    than `explore_runs` successful runs of the asset goes first, so its history gets built."""
    plan = choose(request, history, usd_per_hour or {}, confidence)
    objective = request.objective

    def rank(c: Candidate) -> tuple[bool, float]:
        p = c.prediction
        assert p is not None
        return (not c.feasible, p.cost_usd if objective == "cost" else p.duration_s)

    ranked = sorted((c for c in plan.candidates if c.prediction is not None), key=rank)
    order = [c.platform for c in ranked]
    order += [n for n in request.platforms if n not in order]
    mine = [a for a in history if a.asset == request.asset and a.status == "success"]
    done = {n: sum(a.platform == n for a in mine) for n in request.platforms}
    explore = next((n for n in request.platforms if done[n] < explore_runs), None)
    if explore is not None:
        order = [explore, *(n for n in order if n != explore)]
        why = f"exploring: {explore} has {done[explore]} of {explore_runs} runs of {request.asset}"
    elif plan.platform is not None:
        why = f"the plan's choice ({objective}): {plan.platform}"
    else:
        why = "no candidate is predicted to meet the deadline: the likeliest first"
    return AssetPlan(order=order, plan=plan, why=why)


def plan_asset(
    project: ProjectConfig,
    asset: str,
    partition: str | None,
    history: Sequence[Attempt],
    usd_per_hour: Callable[[str], float | None],
    catalog: Catalog | None = None,
    asked: Overrides | None = None,
) -> AssetPlan:
    """The plan `platform = "auto"` runs for `asset` (and `paasport plan` explains): the
    project's [planner] candidates, objective and confidence, the asset's deadline and cost cap,
    the input size from its history, egress to each candidate (with a catalog) and priors from
    `usd_per_hour` for candidates without history. `asked` replaces settings for what-ifs;
    without candidates (a project not on `auto`), those the history ran on."""
    asked = asked or Overrides()
    settings = project.planner
    candidates = list(asked.candidates or settings.candidates)
    candidates = candidates or sorted({a.platform for a in history if a.asset == asset})
    if not candidates:
        raise NoCandidatesError(f"no [planner] candidates and no history of {asset}")
    request = PlanRequest(
        asset=asset,
        input_bytes=input_size(history, partition),
        platforms=candidates,
        deadline_s=asked.deadline_s or project.asset(asset).deadline_s,
        objective=asked.objective or settings.objective,
        budget_usd=project.asset(asset).max_cost_usd,
        egress_usd_per_gb=egress_rates(project, asset, catalog, candidates) if catalog else {},
    )
    rates = {name: rate for name in candidates if (rate := usd_per_hour(name)) is not None}
    confidence = asked.confidence or settings.confidence
    return plan_request(request, history, rates, confidence, settings.explore_runs)
