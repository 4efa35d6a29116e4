"""Launch records and who counts as an orphan: fast, no Spark, no emulator."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any, ClassVar

import dagster as dg
import pytest

from paasport.job.params import JobParams
from paasport.platforms.base import Capabilities, JobSpec, LaunchRequest, ProfileBase, RunFacts
from paasport.platforms.launch_records import (
    FAILED,
    KEEP_ENDED_S,
    REAPED,
    RUNNING,
    STATE_DIR_ENV,
    SUCCEEDED,
    LaunchRecord,
    LaunchStore,
    pid_alive,
    process_started,
    record_ids,
    records_dir,
    safe_profile,
    search_dirs,
)
from paasport.platforms.orphans import collect, orphan_reason
from paasport.platforms.packaging import Artifacts
from paasport.platforms.remote import CapacityError, RemotePlatform, RemoteProfile

SECRET = "PLANTED-GC-SECRET-42"


def dead_pid() -> tuple[int, int | None]:
    """The pid (and start time) of a process that has ended and been reaped."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    started = process_started(child.pid)
    child.wait()
    return child.pid, started


def record(**fields: Any) -> LaunchRecord:
    base: dict[str, Any] = {
        "dagster_run_id": "run-1",
        "platform": "emr_serverless",
        "profile_name": "cloud",
        "profile": {"platform": "emr_serverless", "region": "us-east-1", "bucket": "b-1",
                    "application_id": "app1",
                    "execution_role_arn": "arn:aws:iam::123456789012:role/r"},
    }  # fmt: skip
    return LaunchRecord(**{**base, **fields})


def test_a_record_round_trips_through_its_file_written_atomically(tmp_path: Path) -> None:
    store = LaunchStore(tmp_path / "launches")
    first = record(asset="counts", partition="3", attempts=[{"job_run_id": "j1"}])
    store.write(first)
    (tmp_path / "launches" / "garbage.json").write_text("{not json")  # skipped, not fatal
    [back] = store.read()
    assert back == first
    assert back.pid == os.getpid() and back.hostname == socket.gethostname()
    # no temporary file is left beside it
    assert sorted(p.name for p in (tmp_path / "launches").iterdir()) == sorted(
        ["garbage.json", f"{first.id}.json"]
    )


def test_the_profile_is_recorded_without_spark_settings_or_secrets() -> None:
    profile = {
        "platform": "databricks",
        "host": f"https://user:{SECRET}@example.cloud.databricks.com",
        "spark_conf": {"spark.hadoop.fs.s3a.secret.key": SECRET},
        "tags": {"api_token": SECRET, "team": "data"},
    }
    safe = safe_profile(profile)
    assert "spark_conf" not in safe
    assert SECRET not in json.dumps(safe)
    assert safe["tags"]["team"] == "data"


def test_records_live_beside_a_persistent_instance_else_in_the_user_state_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(STATE_DIR_ENV, raising=False)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    user = tmp_path / "state" / "paasport" / "launches"
    assert records_dir(None) == user
    (tmp_path / "home").mkdir()
    with dg.instance_for_test(temp_dir=str(tmp_path / "home")) as instance:
        assert records_dir(instance) == tmp_path / "home" / "paasport" / "launches"
        assert search_dirs(instance) == [records_dir(instance), user]
    assert records_dir(dg.DagsterInstance.ephemeral()) == user  # it dies with its process
    monkeypatch.setenv(STATE_DIR_ENV, str(tmp_path / "forced"))
    assert records_dir(None) == tmp_path / "forced" / "launches"


def test_pid_liveness_knows_a_dead_a_zombie_and_a_reused_pid() -> None:
    assert pid_alive(os.getpid(), process_started(os.getpid()))
    pid, started = dead_pid()
    assert not pid_alive(pid, started)
    zombie = subprocess.Popen([sys.executable, "-c", "pass"])
    try:
        time.sleep(0.5)  # it has exited, but nobody has reaped it yet
        assert not pid_alive(zombie.pid, process_started(zombie.pid))
    finally:
        zombie.wait()
    # our own pid but another start time: the pid was reused by another process
    if process_started(os.getpid()) is not None:
        assert not pid_alive(os.getpid(), (process_started(os.getpid()) or 0) + 1)


def test_who_is_an_orphan() -> None:
    host = socket.gethostname()
    pid, started = dead_pid()
    alive_here = record()
    dead_here = record(pid=pid, pid_started=started)
    elsewhere = record(hostname="another-host")
    assert orphan_reason(alive_here, "STARTED", host) is None
    assert orphan_reason(alive_here, None, host) is None  # an ephemeral instance's run
    assert orphan_reason(alive_here, "FAILURE", host) == "Dagster run failure"
    assert orphan_reason(dead_here, "STARTED", host) == f"run worker (pid {pid}) is gone"
    assert orphan_reason(dead_here, None, host) == f"run worker (pid {pid}) is gone"
    assert orphan_reason(elsewhere, "STARTED", host) is None  # Dagster says it runs
    assert "unknown" in (orphan_reason(elsewhere, None, host) or "")
    assert orphan_reason(elsewhere, "CANCELED", host) == "Dagster run canceled"
    for status in (SUCCEEDED, REAPED):
        assert orphan_reason(record(status=status, pid=pid), "FAILURE", host) is None
    # a launch that failed may have left its run behind: looked at once its run has ended
    assert orphan_reason(record(status=FAILED), "FAILURE", host) == "Dagster run failure"


def test_collect_leaves_the_living_alone_and_marks_an_orphan_with_nothing_running(
    tmp_path: Path,
) -> None:
    store = LaunchStore(tmp_path)
    pid, started = dead_pid()
    alive = record()
    # killed before its submit call returned: no ids, nothing on the service to end
    orphan = record(pid=pid, pid_started=started, attempts=[{}])
    old = record(status=SUCCEEDED, ended_at=time.time() - KEEP_ENDED_S - 1)
    for r in (alive, orphan, old):
        store.write(r)
    dry = collect(None, dry_run=True, folders=[tmp_path])
    assert [f.record.id for f in dry.findings] == [orphan.id] and dry.alive == 1
    assert {r.id: r.status for r in store.read()}[orphan.id] == RUNNING  # a dry run changes nothing
    done = collect(None, folders=[tmp_path])
    assert [(f.record.id, f.action) for f in done.findings] == [(orphan.id, "nothing left running")]
    statuses = {r.id: r.status for r in store.read()}
    assert statuses == {alive.id: RUNNING, orphan.id: REAPED}  # the old ended record is pruned
    assert collect(None, folders=[tmp_path]).findings == []


class FolderStore:
    """Artifacts in a local folder (the hook's test needs somewhere to package to)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def has(self, key: str) -> bool:
        return (self.root / key).exists()

    def put(self, local: Path, key: str) -> None:
        (self.root / key).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(local, self.root / key)

    def uri(self, key: str) -> str:
        return str(self.root / key)


class FakeProfile(RemoteProfile):
    platform: str = "fake"


class Scripted(RemotePlatform[FakeProfile]):
    """A remote platform whose run_once reports ids the way the real ones do, then fails with
    a capacity error, succeeds, or fails for good, as told."""

    name: ClassVar[str] = "fake"
    capabilities: ClassVar[Capabilities] = Capabilities()
    profile_model: ClassVar[type[ProfileBase]] = FakeProfile
    outcomes: list[str]
    store: Path
    seen: list[LaunchRecord]

    def capacity_retries(self) -> tuple[int, float]:
        return 1, 0.0

    def artifact_store(self) -> tuple[Any, Any]:
        return FolderStore(self.store), None

    def run_once(
        self, context: Any, request: LaunchRequest, artifacts: Artifacts, storage: Any
    ) -> tuple[list[Any], RunFacts]:
        # written before the submit: the worker could die at this very line
        self.seen += LaunchStore(records_dir(None)).read()
        outcome = self.outcomes.pop(0)
        record_ids(job_run_id=f"run-{len(self.outcomes)}")
        if outcome == "capacity":
            raise CapacityError("no capacity")
        if outcome == "fail":
            raise RuntimeError("it broke")
        return [], RunFacts(platform="fake", profile="p")


@pytest.mark.parametrize("outcomes", [["capacity", "ok"], ["fail"]])
def test_a_launch_records_before_its_submit_each_attempt_s_ids_and_its_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, outcomes: list[str]
) -> None:
    monkeypatch.setenv(STATE_DIR_ENV, str(tmp_path / "state"))
    script = tmp_path / "job.py"
    script.write_text("print('hi')\n")
    platform = Scripted(FakeProfile(spark_conf={"spark.x.password": SECRET}), "p")
    platform.outcomes, platform.store, platform.seen = list(outcomes), tmp_path / "art", []
    context = SimpleNamespace(log=SimpleNamespace(info=print, warning=print))
    params = JobParams(asset="counts", partition_key="2", run_id="dagster-run-7")
    request = LaunchRequest(job=JobSpec(script=script, name="job"), params=params, spark_conf={})
    if outcomes == ["fail"]:
        with pytest.raises(RuntimeError):
            platform.launch(context, request)
    else:
        platform.launch(context, request)
    assert platform.seen and platform.seen[0].status == RUNNING
    assert platform.seen[0].dagster_run_id == "dagster-run-7"
    [final] = LaunchStore(records_dir(None)).read()
    assert (final.asset, final.partition, final.platform) == ("counts", "2", "fake")
    if outcomes == ["fail"]:
        assert final.status == FAILED and final.attempts == [{"job_run_id": "run-0"}]
    else:
        assert final.status == SUCCEEDED
        assert final.attempts == [{"job_run_id": "run-1"}, {"job_run_id": "run-0"}]
    assert SECRET not in (tmp_path / "state").joinpath("launches", f"{final.id}.json").read_text()
    record_ids(job_run_id="outside")  # no launch under way: nothing recorded, no error
    assert LaunchStore(records_dir(None)).read() == [final]
