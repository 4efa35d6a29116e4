"""Cost models of Databricks: classic job clusters (VMs + DBUs) and serverless jobs (DBUs)."""

from __future__ import annotations

from decimal import Decimal

from paasport.platforms.aws.costs import basis, family
from paasport.platforms.base import RunFacts
from paasport.pricing.breakdown import CostBreakdown, hours
from paasport.pricing.catalog import Catalog, MissingPriceError

SPOT_AVAILABILITY = {"SPOT", "SPOT_WITH_FALLBACK"}


def classic_cost(facts: RunFacts, catalog: Catalog) -> CostBreakdown:
    """Driver and workers as VMs for set-up, run and clean-up, plus their DBUs at the jobs
    compute price (Photon: more DBUs per hour at the Photon SKU)."""
    p = facts.extra["pricing"]
    if not p.get("node_type"):
        raise MissingPriceError(
            "an existing Databricks cluster's node types are not in the run facts; "
            "its cost is on the cluster's own bill"
        )
    region = p["region"]
    seconds = sum(v or 0.0 for v in (facts.startup_s, facts.run_s, facts.extra.get("cleanup_s")))
    out = CostBreakdown(basis=basis(facts), duration_s=seconds)
    photon = bool(p.get("photon"))
    sku = catalog.get("databricks_dbu", "jobs_compute_photon" if photon else "jobs_compute", "*")
    multiplier = Decimal(1)
    if photon:
        ratio = catalog.get("databricks_dbu", "photon_multiplier", "*")
        multiplier = ratio.price
        out.assume(ratio.assumption)
    workers = int(p.get("workers") or 0)
    spot = p.get("availability") in SPOT_AVAILABILITY
    for role, node, count in (
        ("driver", p["driver_node_type"], 1),
        ("worker", p["node_type"], workers),
    ):
        if not count:
            continue
        ec2 = catalog.get("ec2", node, region)
        h = hours(seconds, ec2.min_billed_s)
        if spot and role == "worker":
            ratio = catalog.get("ec2_spot", family(node), region)
            out.add(
                "compute", f"{count} x {node} spot ({role})", count * h, ec2, factor=ratio.price
            )
            out.assume(ratio.assumption)
        else:
            out.add("compute", f"{count} x {node} on-demand ({role})", count * h, ec2)
        dbu = catalog.get("databricks_node", node, "*").price * multiplier
        out.add("platform", f"{count} x {node} at {dbu} DBU/h ({role})", count * dbu * h, sku)
    if p.get("autoscale"):
        out.assume("an autoscaling cluster is priced at its maximum workers (an upper bound)")
    return out


def serverless_cost(facts: RunFacts, catalog: Catalog) -> CostBreakdown:
    """Serverless jobs bill DBUs that include the machines; without the billing table the
    DBUs are the run's hours times the catalog's consumption assumption."""
    seconds = (facts.startup_s or 0.0) + (facts.run_s or 0.0)
    out = CostBreakdown(basis=basis(facts), duration_s=seconds)
    sku = catalog.get("databricks_dbu", "jobs_serverless", "*")
    billed_dbus = facts.extra.get("billed_dbus")
    if billed_dbus is not None:
        out.add("platform", "billed DBUs", Decimal(str(billed_dbus)), sku)
        return out
    rate = catalog.get("databricks_dbu", "serverless_dbu_per_hour", "*")
    out.add("platform", f"{rate.price} DBU/h for the run", rate.price * hours(seconds), sku)
    out.assume(rate.assumption)
    return out
