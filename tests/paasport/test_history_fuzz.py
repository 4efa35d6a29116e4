"""Malformed and partial run history, generated: recorded metadata with any subset of the real
keys, each value plausible or broken (wrong kind, NaN, infinity, negative, huge, nested
garbage), and history files of arbitrary bytes. Every reader returns a value or raises its
documented error naming the key or the record; nothing else escapes.

Seeded and bounded by the `paasport` hypothesis profile (tests/conftest.py).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paasport.diagnostics.findings import ALL_CHECKS, REGRESSION_CHECKS
from paasport.diagnostics.regression import regressions
from paasport.planner.history import (
    Attempt,
    HistoryError,
    PlanRequest,
    attempts_of,
    read_history,
    read_requests,
)
from paasport.planner.plan import plan_request
from paasport.record import RunRecord, RunRecordError
from paasport.reports.records import record_from, run_totals
from paasport.tuning import TUNABLE, plan_next, tuning_run
from paasport.tuning.report import tuning_report

ABSURD = [0, -1, -0.0, 1e-300, 10**30, -(10**30), 10**400, 1e308, math.nan, math.inf, -math.inf]
NUMBERS = st.one_of(
    st.integers(0, 10**12), st.floats(0, 1e6), st.sampled_from(ABSURD), st.integers(), st.floats()
)
TEXT = st.one_of(st.text(max_size=12), st.sampled_from(["", "x" * 5000, "ünï ☃", "\x00"]))
SCALARS = st.one_of(st.none(), st.booleans(), NUMBERS, TEXT)
GARBAGE = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=6,
)


def noisy(good: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly a plausible value (so the readers get past the first key), sometimes garbage."""
    return st.one_of(good, good, GARBAGE)


def record_of(fields: dict[str, st.SearchStrategy[Any]]) -> st.SearchStrategy[dict[str, Any]]:
    """A JSON object with any subset of `fields`, each plausible or not."""
    return st.fixed_dictionaries({}, optional={k: noisy(v) for k, v in fields.items()})


SIZES = st.one_of(
    st.sampled_from(
        [
            "128m",
            "1g",
            "-1",
            "200",
            "lots",
            "-1g",
            "9" * 400 + "g",
            "1e400",
            "12 parsecs",
            "0",
            "4000000",
        ]
    ),
    NUMBERS,
    st.booleans(),
)
SPARK_CONF = st.dictionaries(
    st.sampled_from([*TUNABLE, "spark.master", "spark.executor.cores"]), noisy(SIZES), max_size=4
)
STATUS = st.sampled_from(["success", "failed", "interrupted", "weird"])
ATTEMPT = record_of(
    {
        "platform": st.sampled_from(["a", "b"]),
        "status": STATUS,
        "duration_s": NUMBERS,
        "cost_usd": NUMBERS,
        "input_bytes": NUMBERS,
        "detail": GARBAGE,
    }
)
FINDING = record_of(
    {
        "check": st.sampled_from(ALL_CHECKS),
        "passed": st.booleans(),
        "evidence": GARBAGE,
        "advice": TEXT,
    }
)
TRIAL = record_of({"id": st.integers(0, 3), "settings": SPARK_CONF, "why": st.lists(TEXT)})
STAGE = record_of(
    {
        k: NUMBERS
        for k in (
            "stage_id",
            "duration_ms",
            "tasks",
            "executor_run_time_ms",
            "jvm_gc_time_ms",
            "input_bytes",
            "shuffle_read_bytes",
            "memory_spilled_bytes",
            "disk_spilled_bytes",
        )
    }
    | {"name": TEXT, "task_time_quantiles_ms": st.lists(NUMBERS, max_size=6)}
)
EXECUTOR = record_of(
    {
        "is_driver": st.booleans(),
        "cores": NUMBERS,
        "max_memory_bytes": NUMBERS,
        "peak_heap_bytes": NUMBERS,
        "max_heap_bytes": NUMBERS,
    }
)
#: every key a materialization records that some reader reads (see RunRecord.to_metadata,
#: paasport.job.metrics, the tuning and planner keys)
METADATA = record_of(
    {
        "platform": st.sampled_from(["local", "emr"]),
        "profile": st.sampled_from(["a", "b"]),
        "platform_job_run_id": TEXT,
        "platform_console_url": TEXT,
        **{f"platform_{t}": NUMBERS for t in ("queue_s", "startup_s", "run_s")},
        "platform_facts": GARBAGE,
        "platform_source": TEXT,
        **{f"cost_usd_{p}": NUMBERS for p in ("total", "compute", "storage", "platform")},
        "cost": record_of({"basis": TEXT, "duration_s": NUMBERS, "lines": GARBAGE}),
        "cost_error": TEXT,
        "team": TEXT,
        "project": TEXT,
        "wall_time_s": NUMBERS,
        "job_time_s": NUMBERS,
        "spark_time_s": NUMBERS,
        "partition": TEXT,
        "plan": GARBAGE,
        **{
            f"plan_{k}": NUMBERS
            for k in (
                "predicted_cost_usd",
                "predicted_duration_s",
                "cost_error_pct",
                "duration_error_pct",
            )
        },
        "attempts": st.lists(ATTEMPT, max_size=3),
        "diagnostics": st.lists(FINDING, max_size=3),
        "input_bytes": NUMBERS,
        "output_rows": NUMBERS,
        "spark_conf": st.one_of(SPARK_CONF, TEXT),
        "spark_cores": NUMBERS,
        "spark_executor_count": NUMBERS,
        "spark_shuffle_read_bytes": NUMBERS,
        "spark_stage_metrics": st.lists(STAGE, max_size=2),
        "spark_executors": st.lists(EXECUTOR, max_size=2),
        "tuning_trial": TRIAL,
        "tuning_decision": st.sampled_from(["accepted", "rolled back", "pending", "kept"]),
        "tuning_failed": st.booleans(),
    }
)


def read(meta: dict[str, Any]) -> RunRecord | None:
    """The record, or None after checking the error names a key the metadata has."""
    try:
        return RunRecord.from_metadata(meta)
    except RunRecordError as exc:
        message = str(exc)
        assert message.startswith("materialization metadata '"), message
        key = message.split("'")[1].split("[")[0].split(".")[0]
        assert key in meta, message
        return None


def history_of(metas: list[dict[str, Any]]) -> list[Attempt]:
    """The planner's history of those materializations that read as records."""
    return [a for m in metas if (r := read(m)) is not None for a in attempts_of(r, "edges", "p")]


@given(meta=METADATA)
def test_a_record_reads_or_names_its_bad_key(meta: dict[str, Any]) -> None:
    record = read(meta)
    if record is None:
        return
    assert math.isfinite(record.duration_s) and record.duration_s >= 0
    for attempt in attempts_of(record, "edges", None):
        assert math.isfinite(attempt.duration_s) and math.isfinite(attempt.cost_usd)
    # the cost report reads the same records
    cost = record_from("run-1", "edges", None, 1.7e9, meta)
    assert (cost is None) == (record.cost is None)
    if cost is not None:
        assert all(math.isfinite(v) for v in run_totals([cost])["run-1"].values())


@given(
    metas=st.lists(METADATA, max_size=4),
    input_bytes=st.one_of(st.integers(0, 10**12), st.sampled_from([0, 2**63 - 1])),
    deadline=st.none() | st.floats(1, 1e6),
)
def test_the_planner_plans_on_any_history_that_reads(
    metas: list[dict[str, Any]], input_bytes: int, deadline: float | None
) -> None:
    request = PlanRequest(
        asset="edges",
        input_bytes=input_bytes,
        platforms=["a", "b", "c"],
        deadline_s=deadline,
        budget_usd=10.0,
    )
    plan = plan_request(request, history_of(metas), {"c": 2.5}, explore_runs=1)
    assert set(plan.order) == {"a", "b", "c"}
    for candidate in plan.plan.candidates:
        if candidate.prediction is not None:
            assert not math.isnan(candidate.prediction.cost_usd), candidate
    plan.as_json()


#: paasport.toml's own settings (text; see the report for sizes of 400 digits there)
OWN = st.dictionaries(
    st.sampled_from(list(TUNABLE)),
    st.sampled_from(["128m", "1g", "-1", "200", "lots", "-1g", "0", "true"]),
)


@given(metas=st.lists(METADATA, max_size=4), own=OWN, deadline=st.none() | st.floats(1, 1e4))
def test_tuning_plans_on_any_history(
    metas: list[dict[str, Any]], own: dict[str, Any], deadline: float | None
) -> None:
    """Tuning parses anything (its documented contract) and plans on whatever it parsed."""
    runs = [tuning_run(m) for m in metas]
    nxt = plan_next(runs, own, deadline_s=deadline)
    assert set(nxt.settings) <= set(TUNABLE)
    report = tuning_report(runs, deadline_s=deadline, own=own)
    assert report["runs"] == len(runs)


@given(meta=METADATA, history=st.lists(METADATA, max_size=5))
def test_regression_checks_judge_any_metadata(
    meta: dict[str, Any], history: list[dict[str, Any]]
) -> None:
    """A malformed value is not a measurement: the regression checks judge without it."""
    assert {f.check for f in regressions(meta, history)} == set(REGRESSION_CHECKS)


#: history and request files: arbitrary bytes, JSON of the wrong shape, almost-valid lines
GOOD_LINE = (
    '{"asset": "edges", "platform": "a", "input_bytes": 10, "duration_s": 60.0, '
    '"cost_usd": 0.5, "status": "success"}'
)
FILE_BYTES = st.one_of(
    st.binary(max_size=120),
    st.text(max_size=120).map(str.encode),
    st.integers(0, len(GOOD_LINE)).map(lambda n: (GOOD_LINE + "\n" + GOOD_LINE[:n]).encode()),
    st.sampled_from(
        ["-1", "1e999", "NaN", "Infinity", str(10**400), '"x"', "[]", "{}", "null"]
    ).map(lambda v: GOOD_LINE.replace("60.0", v).replace(": 10,", f": {v},").encode()),
    st.sampled_from([b"[" * 100_000, b'{"a": ' * 100_000, b"[1, 2]", b"\xff\xfe", b"\n\n"]),
)


@pytest.fixture(scope="module")
def history_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz") / "runs.jsonl"


@given(data=FILE_BYTES)
def test_any_history_file_reads_or_names_file_and_line(history_file: Path, data: bytes) -> None:
    history_file.write_bytes(data)
    for reader in (read_history, read_requests):
        try:
            reader(history_file)
        except HistoryError as exc:
            assert str(exc).startswith(f"{history_file}:"), exc
