"""`paasport_gc_sensor`: the same gc as the CLI, evaluated as Dagster would on each tick."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

import paasport.dagster as pd
from paasport.platforms.launch_records import (
    REAPED,
    STATE_DIR_ENV,
    LaunchRecord,
    LaunchStore,
    process_started,
    records_dir,
)


def test_the_sensor_ends_orphans_on_its_interval_and_requests_no_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(STATE_DIR_ENV, str(tmp_path))
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    started = process_started(child.pid)
    child.wait()  # the run worker that wrote the record is dead
    orphan = LaunchRecord(
        dagster_run_id="gone",
        platform="databricks",
        profile_name="cloud",
        profile={"platform": "databricks", "host": "https://example.cloud.databricks.com"},
        pid=child.pid,
        pid_started=started,
        attempts=[{}],  # killed before the submit answered: nothing to cancel
    )
    store = LaunchStore(records_dir(None))
    store.write(orphan)
    sensor = pd.paasport_gc_sensor
    assert sensor.name == "paasport_gc_sensor" and sensor.minimum_interval_seconds == 300
    assert pd.gc_sensor(minimum_interval_seconds=60).minimum_interval_seconds == 60
    with dg.instance_for_test() as instance:
        result = sensor(dg.build_sensor_context(instance=instance))
    assert isinstance(result, dg.SkipReason)
    assert "handled 1 orphaned launch(es); 0 alive" in (result.skip_message or "")
    [back] = store.read()
    assert back.status == REAPED and "pid" in back.note
    # a definitions object takes it like any sensor
    dg.Definitions.validate_loadable(dg.Definitions(sensors=[sensor]))
