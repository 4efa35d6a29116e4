from __future__ import annotations

from typing import Any, cast

import pytest

from paasport.tuning import TUNABLE, objective, tuning_run
from paasport.tuning.space import GiB, MiB, format_size, parse_size, to_spark, value_of


def test_parses_a_full_record() -> None:
    run = tuning_run(
        {
            "spark_conf": {"spark.sql.shuffle.partitions": "64", "spark.app.name": "x"},
            "input_bytes": 2 * GiB,
            "spark_time_s": 30.0,
            "cost_usd_total": 0.5,
            "diagnostics": [{"check": "spark_gc", "passed": False, "evidence": {"a": 1}}],
            "tuning_trial": {"id": 3, "settings": {"spark.sql.shuffle.partitions": "8"}},
            "tuning_decision": "pending",
            "tuning_failed": True,
        }
    )
    assert run.settings == {"spark.sql.shuffle.partitions": "64"}
    assert (run.input_bytes, run.spark_time_s, run.cost_usd) == (2 * GiB, 30.0, 0.5)
    assert run.success is False
    assert run.findings == [
        {"check": "spark_gc", "passed": False, "evidence": {"a": 1}, "advice": ""}
    ]
    assert run.finding("spark_gc") is not None and run.finding("spark_spill") is None
    assert run.trial == {"id": 3, "settings": {"spark.sql.shuffle.partitions": "8"}, "why": []}
    assert run.decision == "pending"


def test_objective_is_cost_then_time_per_gib() -> None:
    def obj(**meta: Any) -> float | None:
        return objective(tuning_run(meta))

    assert obj(cost_usd_total=1.0, spark_time_s=100.0, input_bytes=4 * GiB) == 0.25
    assert obj(cost_usd_total=0.0, spark_time_s=100.0, input_bytes=4 * GiB) == 25.0
    assert obj(spark_time_s=100.0, input_bytes=0) == 100.0
    assert obj(spark_time_s=100.0) == 100.0
    assert obj() is None


GARBAGE: list[object] = [
    None,
    [],
    "spark_conf",
    {"spark_conf": "x", "input_bytes": "big", "spark_time_s": float("nan")},
    {"spark_conf": {"spark.sql.shuffle.partitions": None, 3: 4}, "cost_usd_total": True},
    {"diagnostics": [1, None, {"check": 3}, {"check": "spark_gc", "evidence": "x"}]},
    {"diagnostics": "all good", "tuning_trial": {"id": "a"}, "tuning_decision": 3},
    {"tuning_trial": {"id": 1, "settings": [1], "why": "x"}, "tuning_failed": "yes"},
    {"input_bytes": -5, "spark_time_s": "12", "cost_usd_total": float("inf")},
]


@pytest.mark.parametrize("meta", GARBAGE)
def test_malformed_metadata_never_raises(meta: object) -> None:
    run = tuning_run(cast(Any, meta))
    assert isinstance(run.settings, dict) and isinstance(run.findings, list)
    assert run.input_bytes is None or run.input_bytes >= 0
    objective(run)


def test_spark_sizes() -> None:
    assert parse_size("128m") == 128 * MiB
    assert parse_size("1g") == GiB
    assert parse_size("10485760b") == 10 * MiB
    assert parse_size("10485760") == 10 * MiB
    assert parse_size("4096", "m") == 4 * GiB
    assert parse_size("-1") == -1
    assert parse_size("lots") is None and parse_size(None) is None
    assert [format_size(n) for n in (GiB, 128 * MiB, 4096, 1000)] == ["1g", "128m", "4k", "1000b"]


def test_values_are_bounded_spark_strings() -> None:
    assert set(TUNABLE) >= {"spark.sql.shuffle.partitions", "spark.executor.memory"}
    assert to_spark("spark.sql.shuffle.partitions", 99999) == "4000"
    assert to_spark("spark.executor.memory", 256 * GiB) == "64g"
    assert to_spark("spark.sql.autoBroadcastJoinThreshold", -1) == "-1"
    assert to_spark("spark.sql.adaptive.enabled", True) == "true"
    assert value_of("spark.sql.files.maxPartitionBytes", {}) == 128 * MiB
