"""`platform = "auto"`: plan from the asset's history in the Dagster instance, explore first,
then the cheapest feasible candidate, with the others as failover order."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from paasport.config import ProjectConfig
from paasport.dagster.history import materializations
from paasport.planner.choose import Candidate, Plan, choose
from paasport.planner.history import Attempt, PlanRequest
from paasport.planner.predict import Prediction
from paasport.platforms import ProfileBase
from paasport.pricing.catalog import Catalog


@dataclass
class AutoPlan:
    order: list[str]  # candidates to try, best first
    plan: Plan
    why: str

    @property
    def chosen(self) -> str:
        return self.order[0]

    def prediction(self, name: str) -> Prediction | None:
        return next((c.prediction for c in self.plan.candidates if c.platform == name), None)

    def as_metadata(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "plan": {**self.plan.as_json(), "order": self.order, "why": self.why}
        }
        p = self.prediction(self.chosen)
        if p is not None:
            out["plan_predicted_cost_usd"] = round(p.cost_usd, 6)
            out["plan_predicted_duration_s"] = round(p.duration_s, 3)
        return out


def attempts_of(meta: Mapping[str, Any], asset: str, partition: str | None) -> list[Attempt]:
    """The attempts one materialization made: its `attempts` list, or itself as one."""
    listed = meta.get("attempts")
    if listed:
        fields = set(Attempt.model_fields) - {"asset", "partition"}
        return [
            Attempt(asset=asset, partition=partition, **{k: v for k, v in a.items() if k in fields})
            for a in listed
        ]
    if "cost_usd_total" not in meta:
        return []
    cost = meta.get("cost") or {}
    duration = cost.get("duration_s") or meta.get("platform_run_s") or meta.get("wall_time_s") or 0
    return [Attempt(asset=asset, partition=partition, platform=str(meta.get("profile", "")),
                    input_bytes=int(meta.get("input_bytes") or 0), duration_s=float(duration),
                    cost_usd=float(meta["cost_usd_total"]))]  # fmt: skip


def history_for(instance: Any, asset: str) -> list[Attempt]:
    """Every earlier attempt of `asset`, keyed by profile name, oldest first."""
    return [
        attempt
        for m in materializations(instance, asset)
        for attempt in attempts_of(m.metadata, asset, m.partition)
    ]


def input_size(history: list[Attempt], partition: str | None) -> int:
    """The input size to plan for: this partition's last, else the asset's last, else 0."""
    for wanted in (partition, None):
        sizes = [a.input_bytes for a in history if wanted is None or a.partition == wanted]
        if sizes:
            return sizes[-1]
    return 0


def location(profile: ProfileBase) -> str | None:
    """Where a profile runs, as cloud:region (None: unknown, e.g. serverless or self-hosted)."""
    return profile.location()


def egress_rates(project: ProjectConfig, asset: str, catalog: Catalog) -> dict[str, float]:
    """Per candidate, the price per GB of moving the asset's input to it (the source cloud's
    inter-region or internet price); none when the input's location is not configured."""
    source = project.asset(asset).input_location
    if source is None:
        return {}
    cloud = source.split(":", 1)[0]
    rates: dict[str, float] = {}
    for name in project.planner.candidates:
        where = location(project.resolve(name, "planner.candidates").profile)
        if where is None or where == source:
            continue
        item = "inter_region" if where.split(":", 1)[0] == cloud else "internet"
        price = catalog.find("egress", f"{cloud}.{item}", "*")
        if price is not None:
            rates[name] = float(price.price)
    return rates


def plan_auto(
    project: ProjectConfig,
    asset: str,
    partition: str | None,
    history: list[Attempt],
    usd_per_hour: Callable[[str], float | None],
    catalog: Catalog | None = None,
) -> AutoPlan:
    settings = project.planner
    candidates = list(settings.candidates)
    request = PlanRequest(
        asset=asset,
        input_bytes=input_size(history, partition),
        platforms=candidates,
        deadline_s=project.asset(asset).deadline_s,
        objective=settings.objective,
        budget_usd=project.asset(asset).max_cost_usd,
        egress_usd_per_gb=egress_rates(project, asset, catalog) if catalog else {},
    )
    rates = {name: rate for name in candidates if (rate := usd_per_hour(name)) is not None}
    plan = choose(request, history, rates, settings.confidence)

    def rank(c: Candidate) -> tuple[bool, float]:
        p = c.prediction
        assert p is not None
        return (not c.feasible, p.cost_usd if settings.objective == "cost" else p.duration_s)

    ranked = sorted((c for c in plan.candidates if c.prediction is not None), key=rank)
    order = [c.platform for c in ranked]
    order += [n for n in candidates if n not in order]
    done = {n: sum(a.status == "success" and a.platform == n for a in history) for n in candidates}
    explore = next((n for n in candidates if done[n] < settings.explore_runs), None)
    if explore is not None:
        order = [explore, *(n for n in order if n != explore)]
        why = f"exploring: {explore} has {done[explore]} of {settings.explore_runs} runs of {asset}"
    elif plan.platform is not None:
        why = f"the plan's choice ({settings.objective}): {plan.platform}"
    else:
        why = "no candidate is predicted to meet the deadline: the likeliest first"
    return AutoPlan(order=order, plan=plan, why=why)
