"""`platform = "auto"` in Dagster: the asset's history from the instance's event log, handed to
the planner (`planner/plan.py`, which `paasport plan` calls too)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from paasport.config import ProjectConfig
from paasport.dagster.history import materializations
from paasport.planner.history import Attempt, attempts_of
from paasport.planner.plan import AssetPlan, Overrides, plan_asset
from paasport.pricing.catalog import Catalog
from paasport.record import RunRecord


def history_for(instance: Any, asset: str) -> list[Attempt]:
    """Every earlier attempt of `asset`, keyed by profile name, oldest first."""
    return [
        attempt
        for m in materializations(instance, asset)
        for attempt in attempts_of(RunRecord.from_metadata(m.metadata), asset, m.partition)
    ]


def plan_from_instance(
    instance: Any,
    project: ProjectConfig,
    asset: str,
    partition: str | None,
    usd_per_hour: Callable[[str], float | None],
    catalog: Catalog | None = None,
    asked: Overrides | None = None,
) -> tuple[AssetPlan, list[Attempt]]:
    """The plan for `asset` on the history the instance holds, and that history."""
    history = history_for(instance, asset)
    return plan_asset(project, asset, partition, history, usd_per_hour, catalog, asked), history
