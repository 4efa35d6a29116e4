"""The budget guard: a running cost estimate checked at every poll against the asset's cap
and what is left of the run's cap; over it, the remote run is cancelled."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from paasport.platforms.base import LaunchRequest, Platform, RunFacts
from paasport.platforms.costs import cost_of
from paasport.pricing.breakdown import CostBreakdown
from paasport.pricing.catalog import Catalog


def running_estimate(
    platform: Platform, request: LaunchRequest, catalog: Catalog
) -> Callable[[float], CostBreakdown]:
    """Seconds since launch -> the cost so far, from the profile's resources (facts to come)."""
    pricing = platform.pricing_facts(request)

    def estimate(elapsed_s: float) -> CostBreakdown:
        facts = RunFacts(
            platform=platform.name,
            profile=platform.profile_name,
            run_s=elapsed_s,
            extra={"pricing": pricing, "estimate": True},
        )
        return cost_of(facts, catalog)

    return estimate


@dataclass
class Cap:
    usd: Decimal
    what: str  # how the message names it, e.g. "the asset's cap of $5.00"


def tightest_cap(
    asset_cap: float | None, run_cap: float | None, spent_in_run: Decimal
) -> Cap | None:
    caps = []
    if asset_cap is not None:
        caps.append(Cap(Decimal(str(asset_cap)), f"the asset's cap of ${asset_cap:.2f}"))
    if run_cap is not None:
        left = Decimal(str(run_cap)) - spent_in_run
        what = (
            f"the ${left:.2f} left of the run's cap of ${run_cap:.2f} "
            f"(${spent_in_run:.2f} spent by earlier steps)"
        )
        caps.append(Cap(left, what))
    return min(caps, key=lambda c: c.usd) if caps else None


@dataclass
class BudgetGuard:
    """Called at every poll: returns why to cancel, or None while under the cap."""

    estimate: Callable[[float], CostBreakdown]
    cap: Cap
    log: Callable[[str], None] = lambda _: None
    clock: Callable[[], float] = time.monotonic
    started: float = field(default=0.0)
    last: CostBreakdown | None = None

    def __post_init__(self) -> None:
        self.started = self.started or self.clock()

    def __call__(self) -> str | None:
        elapsed = self.clock() - self.started
        self.last = self.estimate(elapsed)
        total = self.last.total
        if total <= self.cap.usd:
            return None
        return (
            f"estimated cost ${total:.4f} after {elapsed:.0f} s exceeds {self.cap.what}; "
            "the run was cancelled"
        )

    def metadata(self) -> dict[str, Any]:
        out: dict[str, Any] = {"budget_cap_usd": float(self.cap.usd)}
        if self.last is not None:
            out["budget_estimate_usd"] = float(self.last.total)
        return out
