"""Bursts of throttled and failing calls: the fault book's arithmetic, how each emulator names
a request's call kind, and that each library's own retries outlast a burst (no Spark here)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from paasport.testing.aws.call_faults import action_kind, rest_action
from paasport.testing.databricks.server import call_kind
from paasport.testing.faults import CALL_KINDS, FaultBook, Faults, write_faults
from paasport.testing.gcp.dataproc_api import dataproc_call_kind


def book(tmp_path: Path, faults: Faults) -> FaultBook:
    write_faults(tmp_path / "faults.json", faults)
    return FaultBook(tmp_path / "faults.json", tmp_path / "events.jsonl")


def test_bursts_alternate_with_one_call_served_between_them(tmp_path: Path) -> None:
    faults = book(tmp_path, Faults(call_throttles=4, server_errors=2, burst=3))
    answers = [faults.take_call("submit") for _ in range(10)]
    t, e = "call_throttles", "server_errors"
    assert answers == [t, e, t, None, e, t, t, None, None, None]


def test_each_call_kind_has_its_own_bursts(tmp_path: Path) -> None:
    faults = book(tmp_path, Faults(server_errors=2, burst=2))
    for kind in CALL_KINDS:
        assert [faults.take_call(kind) for _ in range(3)] == ["server_errors"] * 2 + [None]
    assert faults.fired["server_errors"] == 2 * len(CALL_KINDS)
    assert faults.fired["server_errors:storage"] == 2
    events = [json.loads(line) for line in (tmp_path / "events.jsonl").read_text().splitlines()]
    assert {e["call"] for e in events} == set(CALL_KINDS)


def test_only_the_chosen_kinds_fail_and_old_throttles_keep_their_meaning(tmp_path: Path) -> None:
    faults = book(tmp_path, Faults(throttles=1, call_throttles=1, burst_calls={"get"}))
    assert faults.take_call("submit") is None and faults.take_call("storage") is None
    assert faults.take_call("get") == "call_throttles"
    assert faults.take("throttles") and not faults.take("throttles")  # a count of its own


def test_new_faults_start_the_bursts_again(tmp_path: Path) -> None:
    faults = book(tmp_path, Faults(server_errors=1))
    assert faults.take_call("get") == "server_errors" and faults.take_call("get") is None
    time.sleep(0.01)  # a new modification time
    write_faults(tmp_path / "faults.json", Faults(server_errors=1))
    assert faults.take_call("get") == "server_errors"


def test_a_burst_is_bounded() -> None:
    with pytest.raises(ValueError, match="burst"):
        Faults(burst=0)
    with pytest.raises(ValueError, match="burst_calls"):
        Faults.model_validate({"burst_calls": ["submit", "describe"]})


@pytest.mark.parametrize(
    ("action", "kind"),
    [
        ("StartJobRun", "submit"),
        ("RunJobFlow", "submit"),
        ("AddJobFlowSteps", "submit"),
        ("CreateJob", "submit"),
        ("GetJobRun", "get"),
        ("DescribeCluster", "get"),
        ("ListSteps", "list"),
        ("BatchStopJobRun", "cancel"),
        ("TerminateJobFlows", "cancel"),
        ("CancelSteps", "cancel"),
    ],
)
def test_aws_actions_by_kind(action: str, kind: str) -> None:
    assert action_kind(action) == kind


@pytest.mark.parametrize(
    ("method", "path", "kind"),
    [
        ("POST", "/applications/app1/jobruns", "submit"),
        ("GET", "/applications/app1/jobruns/r1", "get"),
        ("GET", "/applications/app1/jobruns", "list"),
        ("DELETE", "/virtualclusters/vc1/jobruns/r1", "cancel"),
    ],
)
def test_aws_rest_calls_by_kind(method: str, path: str, kind: str) -> None:
    assert rest_action(method, path)[1] == kind


@pytest.mark.parametrize(
    ("method", "path", "kind"),
    [
        ("POST", "/api/2.2/jobs/runs/submit", "submit"),
        ("GET", "/api/2.2/jobs/runs/get", "get"),
        ("GET", "/api/2.2/jobs/runs/get-output", "get"),
        ("POST", "/api/2.2/jobs/runs/cancel", "cancel"),
        ("GET", "/api/2.2/jobs/runs/list", "list"),
        ("POST", "/api/2.0/dbfs/create", "storage"),
        ("PUT", "/api/2.0/fs/files/Volumes/a/b/c/x", "storage"),
    ],
)
def test_databricks_calls_by_kind(method: str, path: str, kind: str) -> None:
    assert call_kind(method, path) == kind


@pytest.mark.parametrize(
    ("method", "rest", "kind"),
    [
        ("POST", "jobs:submit", "submit"),
        ("POST", "clusters", "submit"),
        ("GET", "jobs/j1", "get"),
        ("GET", "operations/o1", "get"),
        ("GET", "jobs", "list"),
        ("POST", "jobs/j1:cancel", "cancel"),
        ("DELETE", "clusters/c1", "cancel"),
    ],
)
def test_dataproc_calls_by_kind(method: str, rest: str, kind: str) -> None:
    assert dataproc_call_kind(method, rest) == kind
