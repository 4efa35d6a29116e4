"""The Databricks platforms against the emulated workspace: lost answers, throttling, capacity,
failures, cluster logs, tags, cancellation, many partitions at once.

Every run goes through Dagster, dagster-databricks' Pipes client, databricks-sdk over HTTP to
the emulator, and a real spark-submit of the job.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dagster as dg
import pyarrow.parquet as pq
import pytest

from paasport.dagster import PaasportResource, spark_asset
from paasport.testing.databricks import DatabricksEmulator, Faults
from support.children import run_partitions, start_child, wait_for
from support.results import error_text, metadata

JOB = Path(__file__).parents[1] / "fixtures" / "count_job.py"
pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def workspace() -> Iterator[DatabricksEmulator]:
    with DatabricksEmulator(slots=3) as running:
        yield running


@pytest.fixture(autouse=True)
def no_faults(workspace: DatabricksEmulator) -> Iterator[None]:
    yield
    workspace.set_faults(Faults())


def run(
    workspace: DatabricksEmulator, platform: str, out: Path, fail: str = "no", **profile: Any
) -> dg.ExecuteInProcessResult:
    asset = spark_asset(
        name="counts",
        job=JOB,
        params={"output": str(out), "n": "700", "fail": fail},
        checks=["has_rows"],
    )
    return dg.materialize(
        [asset],
        instance=dg.DagsterInstance.ephemeral(),
        resources={
            "paasport": PaasportResource(
                extra_profiles={"cloud": {**workspace.profile(platform), **profile}}
            )
        },
        run_config={"ops": {"counts": {"config": {"platform": "cloud"}}}},
        raise_on_error=False,
    )


def fired(workspace: DatabricksEmulator, since: float) -> list[str]:
    return [e["fault"] for e in workspace.events() if e["event"] == "fault" and e["t"] >= since]


def test_a_lost_submit_answer_is_retried_and_starts_exactly_one_run(
    workspace: DatabricksEmulator, tmp_path: Path
) -> None:
    # on the way, a burst of 429 and 503 at every kind of call (submit, get, DBFS): the first
    # call of each kind is answered throttled, then unavailable, then served
    bursts = {"call_throttles": 1, "server_errors": 1, "burst": 2}
    workspace.set_faults(Faults(lost_answers=1, throttles=2, **bursts))
    before, started = len(workspace.submitted()), time.time()
    result = run(workspace, "databricks", tmp_path / "out", cluster_log_path="dbfs:/cluster-logs")
    assert result.success, error_text(result, "counts")
    assert fired(workspace, started).count("lost_answers") == 1
    assert fired(workspace, started).count("throttles") == 2  # 429s the SDK waited out
    counts = workspace.faults_fired(started)
    for kind in ("submit", "get", "storage"):  # the SDK's own retries waited each burst out
        assert counts[f"call_throttles:{kind}"] >= 1 and counts[f"server_errors:{kind}"] >= 1
    calls = [c for c in workspace.workspace.calls if c[1] == "/api/2.2/jobs/runs/submit"]  # type: ignore[union-attr]
    assert len(calls) >= 2  # the SDK sent the submission again...
    assert len(workspace.submitted()) == before + 1  # ...and the workspace ran it once
    request = workspace.submitted()[-1]
    meta = metadata(result, "counts")
    assert request["idempotency_token"] == meta["platform_facts"]["idempotency_token"]
    assert sum(r["count"] for r in pq.read_table(tmp_path / "out").to_pylist()) == 700

    # the tags Dagster's client means to set reach the run, on the cluster, with ours
    tags = request["tasks"][0]["new_cluster"]["custom_tags"]
    assert (
        tags["paasport:asset"] == "counts"
        and tags["dagster/run-id"] == meta["platform_facts"]["tags"]["dagster/run-id"]
    )
    # what DBUs are billed on, and Databricks' own durations
    facts = meta["platform_facts"]
    assert facts["node_type_id"] == "m5d.xlarge" and facts["num_workers"] == 2
    assert facts["availability"] == "SPOT_WITH_FALLBACK" and facts["photon"] is False
    assert meta["platform_run_s"] > 0 and meta["platform_databricks_cluster_id"]
    # the cluster's driver log was delivered to DBFS, where Dagster's log readers look
    logs = workspace.workdir / "dbfs" / "cluster-logs" / meta["platform_databricks_cluster_id"]
    assert (logs / "driver" / "stderr").is_file()


def test_capacity_error_at_start_is_retried(workspace: DatabricksEmulator, tmp_path: Path) -> None:
    workspace.set_faults(Faults(capacity_errors=1, slow_start_s=2))
    started = time.time()
    result = run(workspace, "databricks", tmp_path / "out", retry_backoff_s=0.5)
    assert result.success, error_text(result, "counts")
    meta = metadata(result, "counts")
    assert meta["platform_facts"]["attempts"] == 2
    assert meta["platform_startup_s"] >= 2  # the slow start is in Databricks' setup duration
    assert fired(workspace, started).count("capacity_errors") == 1


def test_a_failing_job_fails_the_asset_with_the_drivers_error(
    workspace: DatabricksEmulator, tmp_path: Path
) -> None:
    result = run(workspace, "databricks_serverless", tmp_path / "out", fail="yes")
    assert not result.success
    text = error_text(result, "counts")
    assert "ended FAILED" in text and "RuntimeError: asked to fail" in text
    assert not (tmp_path / "out").exists()


def test_spot_loss_is_reported_as_such(workspace: DatabricksEmulator, tmp_path: Path) -> None:
    workspace.set_faults(Faults(spot_loss=1, spot_loss_after_s=1))
    result = run(workspace, "databricks", tmp_path / "out")
    assert not result.success
    text = error_text(result, "counts")
    assert "SpotLossError" in text and "SPOT_INSTANCE_TERMINATION" in text
    assert not (tmp_path / "out").exists()  # nothing half-written is visible


def test_killing_the_dagster_run_cancels_the_databricks_run(
    workspace: DatabricksEmulator, tmp_path: Path
) -> None:
    runs = workspace.workspace.runs  # type: ignore[union-attr]
    before = set(runs.runs)
    child = start_child(JOB, tmp_path / "out", workspace.profile("databricks"), sleep_s="120")
    try:

        def running() -> list[Any]:
            return [
                r for i, r in runs.runs.items() if i not in before and r.life_cycle == "RUNNING"
            ]

        wait_for(running, 120, "the Databricks run to start")
        run_ = running()[0]
        time.sleep(3)  # the job is starting Spark
        killed_at = time.time()
        child.send_signal(signal.SIGINT)  # what Dagster's run termination does to a run worker
        wait_for(lambda: run_.ended, 30, "the Databricks run to end")
        assert run_.result == "CANCELED" and run_.cancelled
        assert run_.ended - killed_at <= 15
        assert child.wait(timeout=60) != 0
    finally:
        if child.poll() is None:
            child.kill()


@pytest.mark.parametrize("platform", ["databricks"])
def test_four_partitions_at_once(
    workspace: DatabricksEmulator, tmp_path: Path, platform: str
) -> None:
    keys = [str(i) for i in range(1, 5)]  # four spark-submits: two cores run two at a time
    before = len(workspace.submitted())
    results = run_partitions(JOB, tmp_path, workspace.profile(platform), keys)
    for key in keys:  # every output is correct
        rows = pq.read_table(tmp_path / key).to_pylist()
        assert sum(r["count"] for r in rows) == 700 * int(key), key
    requests = workspace.submitted()[before:]
    assert len(requests) == 4
    # Pipes context and messages: one location per run, none shared
    where = [_pipes_locations(r) for r in requests]
    assert len({w for pair in where for w in pair}) == 8
    # artifacts: content-addressed, shared by the runs of this code version
    assert len({(f["script_uri"], f["wheel_uri"]) for f in results}) == 1
    assert len({f["idempotency_token"] for f in results}) == 4


def _pipes_locations(request: dict[str, Any]) -> tuple[str, str]:
    """The context and messages params Dagster's client gave the task (env or CLI args)."""
    import base64
    import json
    import zlib

    task = request["tasks"][0]
    env = (task.get("new_cluster") or {}).get("spark_env_vars") or {}
    if "DAGSTER_PIPES_CONTEXT" in env:
        raw = [env["DAGSTER_PIPES_CONTEXT"], env["DAGSTER_PIPES_MESSAGES"]]
    else:
        params = task["spark_python_task"]["parameters"]
        raw = [
            params[params.index(f) + 1]
            for f in ("--dagster-pipes-context", "--dagster-pipes-messages")
        ]
    decoded = [json.loads(zlib.decompress(base64.b64decode(v))) for v in raw]
    return decoded[0]["path"], decoded[1]["path"]


def test_an_artifact_uploaded_by_many_runs_at_once_lands_once(
    workspace: DatabricksEmulator, tmp_path: Path
) -> None:
    # partitions launched at once on a fresh workspace all upload the same wheel: DBFS refuses
    # every move onto it after the first, which must not fail the runs
    from concurrent.futures import ThreadPoolExecutor

    from databricks.sdk import WorkspaceClient

    from paasport.platforms.databricks.common import DbfsStore

    local = tmp_path / "job.py"
    local.write_bytes(b"print('the same bytes')\n" * 1000)
    store = DbfsStore(WorkspaceClient(host=workspace.host), "dbfs:/race")
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda _: store.put(local, "artifacts/abc/job.py"), range(4)))
    client = WorkspaceClient(host=workspace.host)
    listed = [f.path for f in client.dbfs.list("/race/artifacts/abc")]
    assert listed == ["/race/artifacts/abc/job.py"]  # no staging file left behind
    with client.dbfs.download("/race/artifacts/abc/job.py") as got:
        assert got.read() == local.read_bytes()


def test_a_two_hour_run_completes_and_is_costed_at_two_hours(
    workspace: DatabricksEmulator, tmp_path: Path
) -> None:
    """Longer than the SDK's 20-minute wait and boto's 30-minute waiters: the workspace's clock
    says the run took two hours (and some seconds); paasport's own wait sees it end, records
    Databricks' durations and prices the cluster for all of it."""
    workspace.set_faults(Faults(run_extra_s=7200))
    result = run(workspace, "databricks", tmp_path / "out")
    assert result.success, error_text(result, "counts")
    assert sum(r["count"] for r in pq.read_table(tmp_path / "out").to_pylist()) == 700
    meta = metadata(result, "counts")
    assert 7200 <= meta["platform_run_s"] < 7200 + 120  # Databricks' execution_duration
    assert meta["platform_facts"]["run_duration_s"] >= 7200
    cost = meta["cost"]
    assert 7200 <= cost["duration_s"] < 7200 + 180
    hours = cost["duration_s"] / 3600
    compute = sorted(line["quantity"] for line in cost["lines"] if line["part"] == "compute")
    # the driver and the 2 workers as VMs for the whole two hours, and their DBUs as long
    assert compute == [pytest.approx(hours), pytest.approx(2 * hours)]
    dbus = sorted(line["quantity"] for line in cost["lines"] if line["part"] == "platform")
    assert dbus == [pytest.approx(0.69 * hours), pytest.approx(2 * 0.69 * hours)]  # m5d.xlarge
    assert meta["cost_usd_total"] == pytest.approx(
        sum(line["usd"] for line in cost["lines"]), abs=1e-5
    )


def test_a_cancel_waits_out_its_burst_too(workspace: DatabricksEmulator) -> None:
    """The kind a successful run does not make, through the SDK client paasport builds: a
    429 and a 503 in a row, retried, then the workspace's real answer (no such run)."""
    from databricks.sdk.errors import NotFound

    from paasport.platforms.databricks.common import DatabricksProfile
    from paasport.platforms.databricks.common import workspace as client_of

    workspace.set_faults(Faults(call_throttles=1, server_errors=1, burst=2, burst_calls={"cancel"}))
    started = time.time()
    client = client_of(DatabricksProfile(platform="databricks", host=workspace.host))
    with pytest.raises(NotFound):
        client.jobs.cancel_run(987654)
    counts = workspace.faults_fired(started)
    assert counts["call_throttles:cancel"] == 1 and counts["server_errors:cancel"] == 1
