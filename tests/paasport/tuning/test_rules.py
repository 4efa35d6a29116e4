from __future__ import annotations

from typing import Any

from paasport.tuning import TuningRun, rule_proposal
from paasport.tuning.space import GiB, MiB

GOOD = {
    "spark.sql.shuffle.partitions": "8",
    "spark.sql.adaptive.enabled": "true",
    "spark.sql.autoBroadcastJoinThreshold": "10m",
    "spark.sql.files.maxPartitionBytes": "128m",
}


def failed(check: str, advice: str = "", **evidence: Any) -> dict[str, Any]:
    return {"check": check, "passed": False, "evidence": evidence, "advice": advice}


def run(settings: dict[str, str], *findings: dict[str, Any], **kw: Any) -> TuningRun:
    values: dict[str, Any] = {"input_bytes": GiB, "spark_time_s": 60.0, "cost_usd": None}
    values.update(kw)
    return TuningRun(settings=settings, success=True, findings=list(findings), **values)


def test_planted_bad_settings_are_fixed_with_one_reason_each() -> None:
    bad = {
        "spark.sql.shuffle.partitions": "3000",
        "spark.sql.adaptive.enabled": "false",
        "spark.sql.autoBroadcastJoinThreshold": "-1",
    }
    missed = failed("spark_broadcast", small_side_bytes=20 * MiB, large_side_bytes=5 * GiB)
    changes, why = rule_proposal(run(bad, missed), bad, cores=2)
    assert changes == {
        "spark.sql.adaptive.enabled": "true",
        "spark.sql.shuffle.partitions": "6",
        "spark.sql.autoBroadcastJoinThreshold": "32m",
    }
    assert len(why) == 3
    assert all(w.split("=", 1)[0] in changes for w in why)


def test_well_tuned_settings_get_no_change() -> None:
    passed = {"check": "spark_gc", "passed": True, "evidence": {}, "advice": ""}
    assert rule_proposal(run(GOOD, passed), GOOD, cores=2) == ({}, [])


def test_broadcast_minus_one_alone_is_left_alone() -> None:
    own = {**GOOD, "spark.sql.autoBroadcastJoinThreshold": "-1"}
    assert rule_proposal(run(own), own, cores=2) == ({}, [])


def test_spill_and_gc_double_the_memory_within_bounds() -> None:
    own = {**GOOD, "spark.executor.memory": "4g"}
    spill = failed("spark_spill", "spark.sql.shuffle.partitions=8", suggested_partitions=8)
    changes, why = rule_proposal(run(own, spill, failed("spark_gc")), own, cores=2)
    assert changes == {"spark.executor.memory": "8g"}
    assert "spark_spill and spark_gc" in why[0]
    top = {**own, "spark.executor.memory": "64g"}
    assert rule_proposal(run(top, spill), top, cores=2) == ({}, [])


def test_gc_on_the_driver_raises_driver_memory() -> None:
    gc = failed("spark_gc", "spark.driver.memory=4g (twice today's 2.0 GiB)")
    own = {**GOOD, "spark.driver.memory": "2g"}
    assert rule_proposal(run(own, gc), own, cores=2)[0] == {"spark.driver.memory": "4g"}


def test_spill_with_more_partitions_suggested() -> None:
    spill = failed("spark_spill", "spark.sql.shuffle.partitions=40", suggested_partitions=40)
    changes, _ = rule_proposal(run(GOOD, spill), GOOD, cores=2)
    assert changes == {"spark.sql.shuffle.partitions": "40", "spark.executor.memory": "2g"}


def test_idle_cores_mean_fewer_executors() -> None:
    own = {**GOOD, "spark.executor.instances": "10"}
    idle = failed("spark_idle_cores", "spark.executor.instances=3", suggested_executors=3)
    assert rule_proposal(run(own, idle), own, cores=4)[0] == {"spark.executor.instances": "3"}


def test_shuffle_partitions_follow_the_shuffled_bytes() -> None:
    changes, why = rule_proposal(run(GOOD, shuffle_bytes=100 * GiB), GOOD, cores=2)
    assert changes == {"spark.sql.shuffle.partitions": "800"}
    assert "128 MiB" in why[0]
    near = rule_proposal(run(GOOD, shuffle_bytes=2 * GiB), GOOD, cores=2)
    assert near == ({}, [])


def test_split_size_from_input_and_cores() -> None:
    own = {**GOOD, "spark.sql.files.maxPartitionBytes": "1g"}
    changes, _ = rule_proposal(run(own, input_bytes=256 * MiB), own, cores=4)
    assert changes == {"spark.sql.files.maxPartitionBytes": "32m"}
