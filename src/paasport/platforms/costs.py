"""What a run cost: the billed amounts when the facts carry them, else the platform's cost
model (named by its registry entry, kept in its provider's `costs.py`).

A model reads the durations of the facts and `facts.extra["pricing"]`, the resources the
platform put there (instance types and counts, workers, region); see each platform's
`pricing_facts`. Billed money amounts (`facts.extra["billed_usd"]`) win over any model.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from paasport.platforms.base import RunFacts
from paasport.platforms.registry import REGISTRY
from paasport.pricing.breakdown import BILLED, PARTS, CostBreakdown
from paasport.pricing.catalog import Catalog

CostModel = Callable[[RunFacts, Catalog], CostBreakdown]


def billed_cost(facts: RunFacts) -> CostBreakdown | None:
    """The platform's (or the billing export's) money amounts, when the facts carry them."""
    billed = facts.extra.get("billed_usd")
    if not billed:
        return None
    unknown = set(billed) - set(PARTS)
    if unknown:
        raise ValueError(f"billed_usd: unknown parts {sorted(unknown)} (known: {list(PARTS)})")
    duration = sum(v or 0.0 for v in (facts.queue_s, facts.startup_s, facts.run_s))
    out = CostBreakdown(basis=BILLED, duration_s=duration)
    for part in PARTS:
        if part in billed:
            out.add_amount(part, f"billed {part}", Decimal(str(billed[part])), "billing")
    return out


def cost_of(facts: RunFacts, catalog: Catalog) -> CostBreakdown:
    """What the run described by `facts` cost (MissingPriceError names a missing price)."""
    billed = billed_cost(facts)
    if billed is not None:
        return billed
    found = REGISTRY.get(facts.platform)
    if found is None:
        raise KeyError(f"no cost model for platform '{facts.platform}'")
    return found.cost(facts, catalog)
