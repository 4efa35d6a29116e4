"""`paasport gc` against a real Dagster instance on disk: what it lists, what a dry run leaves,
that it marks what it handled and prints no secret. (Ending live remote runs on every platform
family is tests/paasport/platforms/test_gc_e2e.py.)"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest
from typer.testing import CliRunner

from paasport.cli.main import app
from paasport.platforms.launch_records import (
    REAPED,
    RUNNING,
    STATE_DIR_ENV,
    LaunchRecord,
    LaunchStore,
    records_dir,
    safe_profile,
)

runner = CliRunner()
SECRET = "PLANTED-GC-CLI-SECRET"


@pytest.fixture
def instance(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dg.DagsterInstance]:
    home = tmp_path / "dagster"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.delenv(STATE_DIR_ENV, raising=False)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.chdir(tmp_path)  # no paasport.toml: built-in defaults
    with dg.DagsterInstance.get() as got:
        yield got


@dg.asset
def tiny() -> int:
    return 1


def launch_record(run_id: str, **fields: object) -> LaunchRecord:
    profile = {"platform": "emr_serverless", "region": "us-east-1", "bucket": "b-1",
               "application_id": "app1", "execution_role_arn": "arn:aws:iam::123456789012:role/r",
               "tags": {"deploy_token": SECRET}}  # fmt: skip
    return LaunchRecord(
        dagster_run_id=run_id,
        platform="emr_serverless",
        profile_name="cloud",
        profile=safe_profile(profile),
        asset="counts",
        **fields,  # type: ignore[arg-type]
    )


def test_gc_lists_orphans_of_ended_runs_leaves_live_ones_and_marks_what_it_handled(
    instance: dg.DagsterInstance,
) -> None:
    ended = dg.materialize([tiny], instance=instance)  # a run that ended (SUCCESS)
    store = LaunchStore(records_dir(instance))
    # its launch never marked itself ended (the worker died after Dagster saw the step end);
    # killed before its submit returned, so no ids: nothing is left running on the service
    orphan = launch_record(ended.run_id, attempts=[{}])
    alive = launch_record("still-running-here")  # this process: alive
    store.write(orphan)
    store.write(alive)

    dry = runner.invoke(app, ["gc", "--dry-run", "--json"])
    assert dry.exit_code == 0, dry.output
    answer = json.loads(dry.output)
    assert answer["dry_run"] and answer["alive"] == 1
    [found] = answer["orphans"]
    assert (found["record"], found["why"]) == (orphan.id, "Dagster run success")
    assert found["action"] == "nothing left running"
    assert {r.id: r.status for r in store.read()} == {orphan.id: RUNNING, alive.id: RUNNING}

    table = runner.invoke(app, ["gc"], env={"COLUMNS": "200"})
    assert table.exit_code == 0, table.output
    assert "paasport gc" in table.output and ended.run_id in table.output
    assert "1 orphaned launch(es), 0 failed; 1 launch(es) still alive" in table.output
    assert {r.id: r.status for r in store.read()} == {orphan.id: REAPED, alive.id: RUNNING}
    # nothing printed or written holds the secret of the profile
    assert SECRET not in dry.output + table.output
    assert not any(SECRET in p.read_text() for p in records_dir(instance).iterdir())

    again = runner.invoke(app, ["gc", "--json"])
    assert json.loads(again.output)["orphans"] == []
    assert os.environ["DAGSTER_HOME"] in str(records_dir(instance))
