"""`platform = "auto"` in Dagster: its configuration, and the history it reads from the instance."""

from __future__ import annotations

from typing import Any

import dagster as dg
import pytest

from paasport.config import ConfigError, parse_config
from paasport.dagster.auto import history_for
from paasport.record import AttemptRecord, RunCost, RunRecord

PROFILES: dict[str, Any] = {"a": {"platform": "local"}, "b": {"platform": "local"}}


def test_auto_needs_candidates_that_resolve() -> None:
    with pytest.raises(ConfigError, match=r"'auto' needs \[planner\] candidates"):
        parse_config({"platform": "auto"}, None)
    with pytest.raises(
        ConfigError, match=r"planner.candidates\[1\]: unknown platform or profile 'c'"
    ):
        parse_config({"platform": "auto", "profiles": PROFILES,
                      "planner": {"candidates": ["a", "c"]}}, None)  # fmt: skip


def test_history_reads_every_attempt_of_the_recorded_runs_oldest_first() -> None:
    failover = RunRecord(
        profile="b",
        cost=RunCost(0.2),
        attempts=[AttemptRecord("a", "interrupted", 5, 0.1, 7, {"kind": "spot_loss"}),
                  AttemptRecord("b", "success", 9, 0.2, 7)],
    )  # fmt: skip
    plain = RunRecord(profile="a", cost=RunCost(0.3, breakdown={"duration_s": 4.0}), input_bytes=11)
    unpriced = RunRecord(profile="a")  # a run that could not be priced teaches nothing
    partitions = dg.StaticPartitionsDefinition(["p1", "p2"])
    with dg.instance_for_test() as instance:
        for record, partition in ((failover, "p1"), (plain, "p2"), (unpriced, "p2")):

            @dg.asset(name="x", partitions_def=partitions)
            def x() -> dg.MaterializeResult:
                meta = record.to_metadata()  # noqa: B023  # materialized at once, in the loop
                return dg.MaterializeResult(
                    metadata={k: dg.MetadataValue.json(v) if isinstance(v, dict | list) else v
                              for k, v in meta.items()})  # fmt: skip

            assert dg.materialize([x], instance=instance, partition_key=partition).success
        got = history_for(instance, "x")
    assert [(a.platform, a.status, a.partition) for a in got] == [
        ("a", "interrupted", "p1"), ("b", "success", "p1"), ("a", "success", "p2")]  # fmt: skip
    assert got[2].duration_s == 4.0 and got[2].input_bytes == 11 and got[2].cost_usd == 0.3
