"""What the resource adds around a launch for cost: the budget guard before, the cost
metadata and attribution tags after."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from decimal import Decimal
from typing import Any

import dagster as dg

from paasport.config import ProjectConfig
from paasport.platforms import LaunchRequest, Platform, ProfileBase, RunFacts
from paasport.platforms.budget import BudgetGuard, running_estimate, tightest_cap
from paasport.platforms.costs import cost_of
from paasport.pricing.breakdown import CostBreakdown
from paasport.pricing.catalog import Catalog, MissingPriceError
from paasport.record import RunCost, RunRecord

ATTRIBUTION_KEYS = ("team", "project")


def attribution(
    profile: ProfileBase, asset_tags: Mapping[str, str], run_tags: Mapping[str, str]
) -> dict[str, str]:
    """`team` and `project` for cost reports: the profile's, the asset's, then the run's."""
    out: dict[str, str] = {}
    team = getattr(profile, "team", None)
    if team:
        out["team"] = team
    for source in (getattr(profile, "tags", {}), asset_tags, run_tags):
        out.update({k: v for k, v in source.items() if k in ATTRIBUTION_KEYS and v})
    return out


def spent_in_run(instance: Any, run_id: str) -> Decimal:
    """What the run's earlier materializations cost (the total of each one's record)."""
    spent = Decimal(0)
    records = instance.get_records_for_run(
        run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION
    ).records
    for record in records:
        materialization = record.event_log_entry.asset_materialization
        if materialization is None:
            continue
        cost = RunRecord.from_metadata(materialization.metadata).cost
        if cost is not None:
            spent += Decimal(str(cost.total))
    return spent


def budget_guard(
    context: dg.AssetExecutionContext,
    project: ProjectConfig,
    asset_cap: float | None,
    platform: Platform,
    request: LaunchRequest,
    catalog: Catalog,
) -> BudgetGuard | None:
    """The guard for this launch, or None without caps; it must price the run before launch
    (a missing price is a configuration error, raised before any cloud call)."""
    run_cap = project.max_run_cost_usd
    if asset_cap is None and run_cap is None:
        return None
    spent = spent_in_run(context.instance, context.run.run_id) if run_cap else Decimal(0)
    cap = tightest_cap(asset_cap, run_cap, spent)
    assert cap is not None
    estimate = running_estimate(platform, request, catalog)
    at_start = estimate(0.0)  # MissingPriceError here: nothing was launched
    context.log.info(
        f"budget guard: {cap.what}; the minimum charge at start is ${at_start.total:.4f}"
    )
    return BudgetGuard(estimate=estimate, cap=cap, log=context.log.info)


def run_cost(
    facts: RunFacts, catalog: Catalog, log: Any, failed: list[CostBreakdown] | None = None
) -> tuple[RunCost | None, str | None]:
    """What the materialization really cost, failed attempts' costs included; or, for a run
    that cannot be priced, why not (the job itself succeeded, so that is a warning, not a
    failure)."""
    try:
        cost = cost_of(facts, catalog)
        for spent in failed or []:
            cost.lines += [
                replace(line, what=f"failed attempt: {line.what}") for line in spent.lines
            ]
            for text in spent.assumptions:
                cost.assume(text)
        return RunCost.of(cost), None
    except (MissingPriceError, KeyError, ValueError) as exc:
        log.warning(f"the run's cost is unknown: {exc}")
        return None, str(exc)


def cost_metadata(
    facts: RunFacts, catalog: Catalog, log: Any, failed: list[CostBreakdown] | None = None
) -> dict[str, Any]:
    """The cost_usd_* keys and the breakdown (or `cost_error`), as the run record writes them."""
    cost, error = run_cost(facts, catalog, log, failed)
    return RunRecord(cost=cost, cost_error=error).to_metadata()
