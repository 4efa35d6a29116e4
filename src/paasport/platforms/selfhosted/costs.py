"""local, standalone and connect: your own machines, at the catalog's core-hour price."""

from __future__ import annotations

from decimal import Decimal

from paasport.platforms.base import RunFacts
from paasport.pricing.breakdown import MEASURED, CostBreakdown, hours
from paasport.pricing.catalog import Catalog


def cost(facts: RunFacts, catalog: Catalog) -> CostBreakdown:
    pricing = facts.extra.get("pricing", {})
    cores = Decimal(int(pricing.get("cores") or 1))
    seconds = (facts.startup_s or 0.0) + (facts.run_s or 0.0)
    out = CostBreakdown(basis=MEASURED, duration_s=seconds)
    price = catalog.get("self_hosted", "core", pricing.get("region", "*"))
    out.add("compute", f"{cores} cores for {seconds:.0f} s", cores * hours(seconds), price)
    return out
