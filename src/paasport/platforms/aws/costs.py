"""Cost models of the AWS platforms: EMR, EMR Serverless, EMR on EKS and Glue.

Serverless charges (EMR Serverless vCPU/GB-hours, Glue DPU-hours) include the machines; they
are booked as the platform part, with extra storage as storage.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from paasport.platforms.base import RunFacts
from paasport.pricing.breakdown import (
    BILLED_USAGE,
    ESTIMATE,
    MEASURED,
    CostBreakdown,
    gb_hours_as_months,
    hours,
)
from paasport.pricing.catalog import Catalog

#: Glue DPUs per worker type
GLUE_DPUS: dict[str, Decimal] = {
    "G.025X": Decimal("0.25"),
    **{f"G.{n}X": Decimal(n) for n in (1, 2, 4, 8)},
}


def basis(facts: RunFacts, measured: str = MEASURED) -> str:
    return ESTIMATE if facts.extra.get("estimate") else measured


def family(instance_type: str) -> str:
    return instance_type.split(".", 1)[0]


def vcpus(instance_type: str) -> int:
    """vCPUs of an EC2 type from its size (xlarge: 4, 4xlarge: 16, large: 2)."""
    size = instance_type.split(".", 1)[-1]
    if size == "large":
        return 2
    match = re.fullmatch(r"(\d*)xlarge", size)
    if not match:
        raise ValueError(f"cannot tell the vCPUs of instance type '{instance_type}'")
    return 4 * int(match.group(1) or 1)


def default_emr_ebs_gb(instance_type: str) -> int:
    """EMR's default EBS storage when a profile configures none: instance-store types get
    none, others about 64 GB per xlarge, at most 1 TB."""
    if family(instance_type) in {"i3", "i4i", "m5d", "r5d", "c5d"}:
        return 0
    return min(1024, 16 * vcpus(instance_type))


def emr_cost(facts: RunFacts, catalog: Catalog) -> CostBreakdown:
    """Every instance billed per second (1-minute minimum) for the cluster's whole life:
    start-up, the step and the idle time until termination, plus the EMR fee and EBS."""
    p = facts.extra["pricing"]
    region = p["region"]
    seconds = (facts.queue_s or 0.0) + (facts.startup_s or 0.0) + (facts.run_s or 0.0)
    out = CostBreakdown(basis=basis(facts), duration_s=seconds)
    for group in p["instances"]:
        itype, role = group["type"], group["role"].lower()
        on_demand, spot = int(group.get("on_demand", 0)), int(group.get("spot", 0))
        count = on_demand + spot
        if not count:
            continue
        ec2 = catalog.get("ec2", itype, region)
        h = hours(seconds, ec2.min_billed_s)
        if on_demand:
            out.add("compute", f"{on_demand} x {itype} on-demand ({role})", on_demand * h, ec2)
        if spot:
            ratio = catalog.get("ec2_spot", family(itype), region)
            out.add("compute", f"{spot} x {itype} spot ({role})", spot * h, ec2, factor=ratio.price)
            out.assume(ratio.assumption)
        fee = catalog.get("emr", itype, region)
        out.add("platform", f"EMR fee {count} x {itype} ({role})", count * h, fee)
        gb = group.get("ebs_gb")
        if gb is None:
            gb = default_emr_ebs_gb(itype)
            out.assume("EMR's default EBS storage per instance size (gp2), none configured")
        if gb:
            ebs = catalog.get("ebs", group.get("ebs_type", "gp2"), region)
            what = f"{count} x {gb} GB EBS ({role})"
            out.add("storage", what, gb_hours_as_months(Decimal(count * gb), h), ebs)
        if group.get("assumption"):
            out.assume(group["assumption"])
    return out


def _usage(billed: dict[str, Any], key: str) -> Decimal:
    return Decimal(str(billed.get(key) or 0))


def emr_serverless_cost(facts: RunFacts, catalog: Catalog) -> CostBreakdown:
    """Billed vCPU-hours, GB-hours and storage GB-hours when the job run reports them
    (billedResourceUtilization), else the workers' resources for the run (1-minute minimum)."""
    p = facts.extra["pricing"]
    region, arch = p["region"], p.get("architecture", "x86_64")
    seconds = (facts.startup_s or 0.0) + (facts.run_s or 0.0)
    vcpu = catalog.get("emr_serverless", f"{arch}.vcpu", region)
    memory = catalog.get("emr_serverless", f"{arch}.memory", region)
    billed = facts.extra.get("billed_resource_utilization") or {}
    if billed:
        out = CostBreakdown(basis=basis(facts, BILLED_USAGE), duration_s=seconds)
        out.add("platform", "billed vCPU-hours", _usage(billed, "vCPUHour"), vcpu)
        out.add("platform", "billed memory GB-hours", _usage(billed, "memoryGBHour"), memory)
        storage = _usage(billed, "storageGBHour")
        if storage:
            price = catalog.get("emr_serverless", "storage", region)
            out.add("storage", "billed storage GB-hours", storage, price)
        return out
    out = CostBreakdown(basis=basis(facts), duration_s=seconds)
    workers = Decimal(int(p["workers"]))
    h = hours(seconds, vcpu.min_billed_s)
    out.add("platform", f"{workers} workers x {p['worker_vcpu']} vCPU",
            workers * Decimal(str(p["worker_vcpu"])) * h, vcpu)  # fmt: skip
    out.add("platform", f"{workers} workers x {p['worker_memory_gb']} GB",
            workers * Decimal(str(p["worker_memory_gb"])) * h, memory)  # fmt: skip
    out.assume(f"{workers} workers (driver and executors) as configured, for the whole run")
    return out


def emr_eks_cost(facts: RunFacts, catalog: Catalog) -> CostBreakdown:
    """The EMR on EKS fee on the requested vCPUs and memory, plus the nodes' share."""
    p = facts.extra["pricing"]
    region = p["region"]
    seconds = (facts.startup_s or 0.0) + (facts.run_s or 0.0)
    out = CostBreakdown(basis=basis(facts), duration_s=seconds)
    cpu, gb = Decimal(str(p["vcpus"])), Decimal(str(p["memory_gb"]))
    vcpu_fee = catalog.get("emr_eks", "vcpu", region)
    h = hours(seconds, vcpu_fee.min_billed_s)
    out.add("platform", f"EMR on EKS fee, {cpu} vCPU", cpu * h, vcpu_fee)
    out.add(
        "platform", f"EMR on EKS fee, {gb} GB", gb * h, catalog.get("emr_eks", "memory", region)
    )
    node = p["node_instance_type"]
    ec2 = catalog.get("ec2", node, region)
    share = cpu / vcpus(node)
    out.add("compute", f"{share:.2f} of a {node} node", share * h, ec2)
    out.assume(f"the EKS nodes' cost is shared by requested vCPUs, priced as {node}")
    return out


def glue_cost(facts: RunFacts, catalog: Catalog) -> CostBreakdown:
    """DPU-hours at the standard or flex price; billed DPU-seconds when Glue reports them."""
    p = facts.extra["pricing"]
    region = p["region"]
    seconds = (facts.startup_s or 0.0) + (facts.run_s or 0.0)
    price = catalog.get("glue", p.get("execution_class", "standard").lower(), region)
    dpu_seconds = facts.extra.get("dpu_seconds")
    if dpu_seconds:
        out = CostBreakdown(basis=basis(facts, BILLED_USAGE), duration_s=seconds)
        out.add("platform", "billed DPU-hours", Decimal(str(dpu_seconds)) / 3600, price)
        return out
    out = CostBreakdown(basis=basis(facts), duration_s=seconds)
    dpus = int(p["workers"]) * GLUE_DPUS[p["worker_type"]]
    out.add("platform", f"{dpus} DPU ({p['workers']} x {p['worker_type']})",
            dpus * hours(seconds, price.min_billed_s), price)  # fmt: skip
    return out
