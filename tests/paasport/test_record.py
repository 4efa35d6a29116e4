"""The run record: what the resource writes reads back as the same record, partial metadata reads
as None, and a malformed value names its key."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from paasport.dagster import PaasportResource, spark_asset
from paasport.dagster.costing import cost_metadata
from paasport.dagster.history import materializations
from paasport.platforms import RunFacts
from paasport.pricing.breakdown import CostBreakdown
from paasport.pricing.catalog import load_catalog
from paasport.record import AttemptRecord, PlanRecord, RunCost, RunRecord, RunRecordError

JOB = Path(__file__).parent / "fixtures" / "count_job.py"
FACTS = RunFacts(
    platform="emr_serverless",
    profile="serverless",
    run_ids={"application_id": "app-1", "job_run_id": "run-1"},
    console_url="https://console.example/run-1",
    queue_s=1.23456,
    startup_s=2.0,
    run_s=61.5,
    extra={"pricing": {"region": "us-east-1", "executors": 3}},
)


@pytest.mark.spark
def test_a_recorded_run_reads_back_as_the_metadata_it_wrote(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "paasport.toml").write_text(
        'platform = "auto"\n[profiles.a]\nplatform = "local"\n[planner]\ncandidates = ["a"]\n'
    )
    monkeypatch.setenv("PAASPORT_CONFIG", str(tmp_path / "paasport.toml"))
    asset = spark_asset(name="counts", job=JOB, params={"output": str(tmp_path / "out")},
                        checks=["has_rows"])  # fmt: skip
    instance = dg.DagsterInstance.ephemeral()
    result = dg.materialize([asset], instance=instance, tags={"team": "t1"},
                            resources={"paasport": PaasportResource()})  # fmt: skip
    assert result.success
    recorded = next(materializations(instance, "counts")).metadata
    run = RunRecord.from_metadata(recorded)
    assert run.to_metadata() == recorded  # nothing lost, nothing added
    # Dagster's own metadata values read the same as their plain values
    raw = result.asset_materializations_for_node("counts")[0].metadata
    assert RunRecord.from_metadata(raw) == run
    assert (run.platform, run.profile, run.team, run.partition) == ("local", "a", "t1", "")
    assert run.facts.run_ids["spark_app_id"] == run.metrics["spark_app_id"]
    assert run.facts.run_s is not None and run.wall_time_s is not None
    assert run.cost is not None and run.cost.total == 0.0 and run.cost.basis
    assert run.plan is not None and run.plan.plan["order"] == ["a"]
    assert run.attempts is not None and [a.status for a in run.attempts] == ["success"]
    assert run.diagnostics and {"check", "passed"} <= set(run.diagnostics[0])
    assert run.spark_conf is not None and run.spark_conf["spark.sql.session.timeZone"] == "UTC"
    assert run.input_bytes is not None and "spark_stage_metrics" in run.metrics
    assert run.source is not None and run.source.startswith("the planner")


def test_the_platform_facts_and_cost_keys_are_those_of_the_facts_and_the_breakdown() -> None:
    record = RunRecord.of_run(FACTS)
    assert record.to_metadata() == FACTS.as_metadata()
    assert list(record.to_metadata()) == list(FACTS.as_metadata())  # in the same order
    assert RunRecord.from_metadata(FACTS.as_metadata()) == record
    local = RunFacts(platform="local", profile="local", run_s=3.0, extra={"pricing": {"cores": 2}})
    priced = cost_metadata(local, load_catalog(), dg.get_dagster_logger())
    assert RunRecord.from_metadata(priced).to_metadata() == priced
    breakdown = CostBreakdown(basis="billed", duration_s=3.0)
    assert RunRecord(cost=RunCost.of(breakdown)).to_metadata() == breakdown.as_metadata()


def test_every_orchestrator_key_round_trips() -> None:
    record = RunRecord.of_run(
        FACTS,
        cost=RunCost(1.5, 1.0, 0.25, 0.25, {"basis": "billed", "duration_s": 60.0}),
        team="data",
        project="webgraph",
        source="the planner (paasport.toml: platform)",
        wall_time_s=70.125,
        partition="2024-01-01",
        plan=PlanRecord({"platform": "serverless", "order": ["serverless"]}, 1.4, 58.0, 7.14, 3.4),
        attempts=[
            AttemptRecord("spot", "interrupted", 5.0, 0.1, 10, {"kind": "spot_loss"}),
            AttemptRecord("serverless", "success", 60.0, 1.5, 10),
        ],
        diagnostics=[{"check": "spark_skew", "passed": True}],
        input_bytes=10,
        spark_conf={"spark.sql.shuffle.partitions": "8"},
        metrics={"spark_tasks": 12, "output_rows": 3},
    )
    meta = record.to_metadata()
    assert RunRecord.from_metadata(meta) == record
    assert meta["attempts"][0] == {"platform": "spot", "status": "interrupted", "duration_s": 5.0,
                                   "cost_usd": 0.1, "input_bytes": 10,
                                   "detail": {"kind": "spot_loss"}}  # fmt: skip
    assert "detail" not in meta["attempts"][1]
    assert (meta["plan_predicted_cost_usd"], meta["plan_cost_error_pct"]) == (1.4, 7.14)
    assert record.duration_s == 60.0  # the priced duration first
    unknown = RunRecord.from_metadata({"spark_conf": "unavailable: Spark Connect"})
    assert unknown.spark_conf is None and unknown.spark_conf_unknown is not None
    assert unknown.to_metadata() == {"spark_conf": "unavailable: Spark Connect"}


def test_partial_and_older_metadata_reads_as_none() -> None:
    empty = RunRecord.from_metadata({})
    assert empty == RunRecord() and empty.to_metadata() == {} and empty.duration_s == 0.0
    old = RunRecord.from_metadata({"profile": "local", "diagnostics": []})
    assert (old.profile, old.platform, old.cost, old.attempts, old.plan) == (
        "local", None, None, None, None)  # fmt: skip
    assert old.diagnostics == []
    bare = RunRecord.from_metadata({"cost_usd_total": 0.3, "platform_run_s": 4.0})
    assert bare.cost == RunCost(0.3) and bare.duration_s == 4.0 and bare.cost.basis == ""
    # without a total, `cost` is not the record's: a user's own key, kept as it was
    theirs = RunRecord.from_metadata({"cost": 3.5, "attempts": [], "plan_x": 1})
    assert theirs.cost is None and theirs.metrics == {"cost": 3.5, "plan_x": 1}
    assert theirs.attempts == []
    assert Decimal(str(RunRecord.from_metadata({"cost_usd_total": 1}).cost.total)) == 1  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("metadata", "key"),
    [
        ({"cost_usd_total": "abc"}, "'cost_usd_total': expected a number, got str 'abc'"),
        ({"cost_usd_total": 1.0, "cost": [1]}, "'cost': expected a JSON object"),
        ({"cost_usd_total": 1.0, "cost": {"duration_s": "long"}}, "'cost.duration_s'"),
        ({"platform_run_s": True}, "'platform_run_s': expected a number, got bool"),
        ({"profile": 3}, "'profile': expected text"),
        ({"attempts": "3"}, "'attempts': expected a JSON list of objects"),
        ({"attempts": [{"platform": "a", "duration_s": "x"}]}, "'attempts[0].duration_s'"),
        ({"attempts": [{"status": "success"}]}, "'attempts[0].platform': missing"),
        ({"plan": "b"}, "'plan': expected a JSON object"),
        ({"input_bytes": 1.5}, "'input_bytes': expected a whole number"),
        ({"diagnostics": ["ok"]}, "'diagnostics': expected a JSON list of objects"),
    ],
)
def test_a_malformed_value_names_its_key(metadata: dict[str, Any], key: str) -> None:
    with pytest.raises(RunRecordError, match=re.escape(key)):
        RunRecord.from_metadata(metadata)
