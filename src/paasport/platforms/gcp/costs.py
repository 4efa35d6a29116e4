"""Cost model of Dataproc on Compute Engine: VMs, persistent disks and the Dataproc fee."""

from __future__ import annotations

import re
from decimal import Decimal

from paasport.platforms.aws.costs import basis
from paasport.platforms.base import RunFacts
from paasport.pricing.breakdown import CostBreakdown, gb_hours_as_months, hours
from paasport.pricing.catalog import Catalog

#: Dataproc's boot disk when the profile sets none
DEFAULT_BOOT_DISK_GB = 500


def machine_vcpus(machine_type: str) -> int:
    match = re.search(r"-(\d+)$", machine_type)
    if not match:
        raise ValueError(f"cannot tell the vCPUs of machine type '{machine_type}'")
    return int(match.group(1))


def dataproc_cost(facts: RunFacts, catalog: Catalog) -> CostBreakdown:
    """A per-run cluster is billed for its whole life (create to delete); a job on an existing
    cluster is charged the whole cluster for the job's time."""
    p = facts.extra["pricing"]
    region = p["region"]
    cluster_s = facts.extra.get("cluster_s")
    seconds = (
        float(cluster_s)
        if cluster_s
        else sum(v or 0.0 for v in (facts.queue_s, facts.startup_s, facts.run_s))
    )
    out = CostBreakdown(basis=basis(facts), duration_s=seconds)
    if not cluster_s:
        out.assume("the job is charged the whole cluster for its duration")
    fee = catalog.get("dataproc", "vcpu", region)
    disk_gb = p.get("boot_disk_gb")
    if disk_gb is None:
        disk_gb = DEFAULT_BOOT_DISK_GB
        out.assume(f"Dataproc's default boot disk of {DEFAULT_BOOT_DISK_GB} GB per VM")
    disk = catalog.get("gce_disk", p.get("disk_type", "pd-standard"), region)
    for group in p["groups"]:
        machine, count, role = group["machine_type"], int(group["count"]), group["role"]
        if not count:
            continue
        vm = catalog.get("gce", machine, region)
        h = hours(seconds, vm.min_billed_s)
        if group.get("preemptible"):
            ratio = catalog.get("gce_spot", machine.split("-", 1)[0], region)
            out.add(
                "compute", f"{count} x {machine} spot ({role})", count * h, vm, factor=ratio.price
            )
            out.assume(ratio.assumption)
        else:
            out.add("compute", f"{count} x {machine} ({role})", count * h, vm)
        cpus = count * machine_vcpus(machine)
        out.add("platform", f"Dataproc fee, {cpus} vCPU ({role})", cpus * h, fee)
        gb = Decimal(count * int(disk_gb))
        out.add("storage", f"{count} x {disk_gb} GB {disk.item} ({role})",
                gb_hours_as_months(gb, h), disk)  # fmt: skip
    return out
