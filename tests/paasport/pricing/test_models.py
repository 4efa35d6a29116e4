"""Each platform's cost model against a hand calculation from the packaged catalog's prices."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from paasport.platforms import RunFacts
from paasport.platforms.costs import cost_of
from paasport.pricing.breakdown import BILLED, BILLED_USAGE, ESTIMATE, MEASURED, CostBreakdown
from paasport.pricing.catalog import Catalog, MissingPriceError, PricingSettings, load_catalog


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


def facts(platform: str, pricing: dict[str, Any], **kw: Any) -> RunFacts:
    extra = {"pricing": pricing, **kw.pop("extra", {})}
    return RunFacts(platform=platform, profile=platform, extra=extra, **kw)


def parts(cost: CostBreakdown) -> tuple[Decimal, Decimal, Decimal, Decimal]:
    return cost.part("compute"), cost.part("storage"), cost.part("platform"), cost.total


def d(text: str) -> Decimal:
    return Decimal(text)


def test_emr_cluster_of_one_m5_xlarge_and_four_r5_4xlarge_for_two_hours(catalog: Catalog) -> None:
    run = facts(
        "emr",
        {
            "region": "us-east-1",
            "instances": [
                {"role": "MASTER", "type": "m5.xlarge", "on_demand": 1, "spot": 0},
                {"role": "CORE", "type": "r5.4xlarge", "on_demand": 4, "spot": 0},
            ],
        },
        startup_s=600.0,  # start-up is billed too: the cluster lived 2 h
        run_s=6600.0,
    )
    cost = cost_of(run, catalog)
    # EC2: 0.192 x 2 h + 4 x 1.008 x 2 h; EMR fee: 0.048 x 2 + 4 x 0.252 x 2
    # EBS (EMR's default gp2: 64 GB on the xlarge, 256 GB on each 4xlarge): 1088 GB x 2 h / 730
    # h a month x $0.10 a GB-month = 0.298082
    assert parts(cost) == (d("8.448"), d("0.298082"), d("2.112"), d("10.858082"))
    assert cost.basis == MEASURED and cost.duration_s == 7200
    assert any("default EBS" in a for a in cost.assumptions)


def test_emr_spot_task_nodes_and_the_one_minute_minimum(catalog: Catalog) -> None:
    run = facts(
        "emr",
        {
            "region": "us-west-2",
            "instances": [
                {"role": "TASK", "type": "r5.xlarge", "on_demand": 0, "spot": 2, "ebs_gb": 0},
            ],
        },
        startup_s=10.0,
        run_s=20.0,  # 30 s of life is billed as 60 s
    )
    cost = cost_of(run, catalog)
    minute = Decimal(60) / 3600
    # spot at 35 % of the on-demand 0.252, the fee on the full on-demand price
    assert cost.part("compute") == (2 * minute * d("0.252") * d("0.35")).quantize(d("0.000001"))
    assert cost.part("platform") == (2 * minute * d("0.063")).quantize(d("0.000001"))
    assert any("35 % of on-demand" in a for a in cost.assumptions)


def test_emr_serverless_bills_its_reported_usage(catalog: Catalog) -> None:
    billed = {"vCPUHour": 10, "memoryGBHour": 40, "storageGBHour": 5}
    run = facts("emr_serverless", {"region": "us-east-1"}, run_s=900.0,
                extra={"billed_resource_utilization": billed})  # fmt: skip
    # 10 x 0.052624 + 40 x 0.0057785; storage 5 x 0.000111
    assert parts(cost_of(run, catalog)) == (0, d("0.000555"), d("0.75738"), d("0.757935"))
    assert cost_of(run, catalog).basis == BILLED_USAGE
    arm = facts("emr_serverless", {"region": "us-east-1", "architecture": "arm64"},
                extra={"billed_resource_utilization": billed})  # fmt: skip
    assert cost_of(arm, catalog).part("platform") == d("0.60606")  # 10 x 0.042094 + 40 x 0.004628


def test_emr_serverless_estimate_from_workers(catalog: Catalog) -> None:
    run = facts(
        "emr_serverless",
        {"region": "us-east-1", "workers": 4, "worker_vcpu": 4, "worker_memory_gb": 16},
        run_s=1800.0,
        extra={"estimate": True},
    )
    cost = cost_of(run, catalog)
    # 16 vCPU x 0.5 h x 0.052624 + 64 GB x 0.5 h x 0.0057785
    assert cost.part("platform") == d("0.605904")
    assert cost.basis == ESTIMATE


def test_emr_on_eks_fee_and_node_share(catalog: Catalog) -> None:
    run = facts(
        "emr_eks",
        {"region": "us-east-1", "vcpus": 9, "memory_gb": 37, "node_instance_type": "m5.xlarge"},
        run_s=3600.0,
    )
    cost = cost_of(run, catalog)
    # fee: 9 x 0.01012 + 37 x 0.00111125; nodes: 9/4 of an m5.xlarge (0.192/h)
    assert parts(cost) == (d("0.432"), 0, d("0.132196"), d("0.564196"))


def test_glue_billed_dpu_seconds_and_estimate_with_minimum(catalog: Catalog) -> None:
    billed = facts("glue", {"region": "us-east-1"}, run_s=3600.0, extra={"dpu_seconds": 7200})
    assert cost_of(billed, catalog).total == d("0.88")  # 2 DPU-h x 0.44
    short = facts("glue", {"region": "us-east-1", "workers": 10, "worker_type": "G.2X"}, run_s=30.0)
    assert cost_of(short, catalog).total == d("0.146667")  # 20 DPU x 60 s minimum x 0.44
    flex = facts(
        "glue",
        {"region": "us-east-1", "workers": 2, "worker_type": "G.1X", "execution_class": "FLEX"},
        run_s=3600.0,
    )
    assert cost_of(flex, catalog).total == d("0.58")  # 2 DPU-h x 0.29


DATABRICKS = {"region": "us-east-1", "driver_node_type": "m5.xlarge", "node_type": "r5.4xlarge",
              "workers": 4, "photon": False, "availability": "ON_DEMAND"}  # fmt: skip


def test_databricks_job_cluster_vms_and_dbus(catalog: Catalog) -> None:
    run = facts("databricks", DATABRICKS, startup_s=300.0, run_s=3300.0)
    # VMs: 0.192 + 4 x 1.008 for 1 h; DBUs: (0.69 + 4 x 3.6) x $0.15
    assert parts(cost_of(run, catalog)) == (d("4.224"), 0, d("2.2635"), d("6.4875"))
    photon = facts("databricks", {**DATABRICKS, "photon": True}, startup_s=300.0, run_s=3300.0)
    assert cost_of(photon, catalog).part("platform") == d("6.56415")  # 15.09 x 2.9 x 0.15
    spot = facts("databricks", {**DATABRICKS, "availability": "SPOT_WITH_FALLBACK"}, run_s=3600.0)
    # the driver stays on-demand; the workers at 35 % of on-demand
    assert cost_of(spot, catalog).part("compute") == d("1.6032")  # 0.192 + 4 x 1.008 x 0.35


def test_databricks_existing_cluster_cannot_be_priced(catalog: Catalog) -> None:
    run = facts("databricks", {"existing_cluster_id": "0101-abc"}, run_s=60.0)
    with pytest.raises(MissingPriceError, match="existing Databricks cluster"):
        cost_of(run, catalog)


def test_databricks_serverless_dbus(catalog: Catalog) -> None:
    assumed = facts("databricks_serverless", {}, run_s=1800.0)
    cost = cost_of(assumed, catalog)
    assert cost.total == d("0.7")  # 0.5 h x 4 DBU/h x $0.35
    assert any("assumption" in a for a in cost.assumptions)
    billed = facts("databricks_serverless", {}, run_s=1800.0, extra={"billed_dbus": 3})
    assert cost_of(billed, catalog).total == d("1.05")


def test_dataproc_per_run_cluster_for_its_whole_life(catalog: Catalog) -> None:
    run = facts(
        "dataproc",
        {
            "region": "us-central1",
            "boot_disk_gb": 100,
            "groups": [
                {"role": "master", "machine_type": "n2-standard-4", "count": 1},
                {"role": "workers", "machine_type": "n2-standard-4", "count": 2},
                {
                    "role": "secondary_workers",
                    "machine_type": "n2-standard-4",
                    "count": 2,
                    "preemptible": True,
                },
            ],
        },
        run_s=1200.0,
        extra={"cluster_s": 3600.0},
    )
    cost = cost_of(run, catalog)
    # VMs: 3 x 0.194236 + 2 x 0.194236 x 0.3; fee: 20 vCPU x 0.01; disks: 500 GB x 1/730 x 0.04
    assert parts(cost) == (d("0.69925"), d("0.027397"), d("0.2"), d("0.926647"))
    assert cost.duration_s == 3600


def test_self_hosted_price_from_the_project_config() -> None:
    override = {"service": "self_hosted", "item": "core", "price": "0.05", "unit": "core-hour"}
    catalog = load_catalog(PricingSettings.model_validate({"prices": [override]}))
    run = facts("standalone", {"cores": 4}, run_s=1800.0)
    assert cost_of(run, catalog).total == d("0.1")
    assert cost_of(run, load_catalog()).total == 0  # packaged: your machines are free until priced


def test_billed_amounts_win_and_add_up_to_the_cent(catalog: Catalog) -> None:
    billed = {"compute": 0.32, "storage": 0.01, "platform": 0.07}
    run = facts("emr", {}, run_s=0.35 * 3600, extra={"billed_usd": billed})
    cost = cost_of(run, catalog)
    assert parts(cost) == (d("0.32"), d("0.01"), d("0.07"), d("0.40"))
    assert cost.basis == BILLED
    meta = cost.as_metadata()
    assert meta["cost_usd_total"] == 0.4 and meta["cost"]["basis"] == BILLED


def test_discounts_apply_to_money_not_to_ratios_or_dbu_rates() -> None:
    catalog = load_catalog(
        PricingSettings.model_validate({"discounts": {"ec2": "0.2", "ec2_spot": "0.5"}})
    )
    assert catalog.get("ec2", "r5.4xlarge", "us-east-1").price == d("0.8064")
    assert catalog.get("ec2_spot", "r5", "us-east-1").price == d("0.35")


@pytest.mark.parametrize("bad", ["1", "1.5", "-0.1", "NaN", "Infinity"])
def test_a_discount_is_a_fraction_below_one(bad: str) -> None:
    # 1 would make every run free and more than 1 would pay you: both are typos, not deals
    with pytest.raises(ValidationError, match=r"discounts\.ec2"):
        PricingSettings.model_validate({"discounts": {"ec2": bad}})


def test_a_missing_price_says_where_to_add_one(catalog: Catalog) -> None:
    run = facts("emr", {"region": "ap-south-1", "instances": [
        {"role": "CORE", "type": "m5.xlarge", "on_demand": 2}]}, run_s=60.0)  # fmt: skip
    with pytest.raises(MissingPriceError, match=r"ec2 'm5.xlarge' in region ap-south-1.*pricing"):
        cost_of(run, catalog)
