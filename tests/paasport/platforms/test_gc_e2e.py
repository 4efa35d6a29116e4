"""The orchestrator crash, on each remote platform family: a Dagster run worker is SIGKILLed
while its remote run is in flight; `paasport gc` finds the orphan from the launch record and
ends it (the run and the cluster paasport created) within one call; re-materializing the
partition then gives the correct output, once.

The killed run is held before Spark starts (the emulators' `slow_start_s`), so only the
re-materialization runs a Spark job: one per family.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dagster as dg
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from paasport.cli.main import app
from paasport.dagster import PaasportResource, spark_asset
from paasport.job.params import JobParams
from paasport.platforms.aws import emr_eks, emr_serverless, glue
from paasport.platforms.aws.orphans import EMR_ACTIVE, JOBS
from paasport.platforms.base import JobSpec, LaunchRequest
from paasport.platforms.databricks.orphans import ENDED
from paasport.platforms.launch_records import (
    REAPED,
    STATE_DIR_ENV,
    SUCCEEDED,
    LaunchRecord,
    LaunchStore,
    process_started,
    records_dir,
    safe_profile,
)
from paasport.platforms.orphans import collect
from paasport.platforms.packaging import Artifacts
from paasport.platforms.registry import get_platform_class
from paasport.testing.aws import BUCKET, AwsEmulator
from paasport.testing.databricks import DatabricksEmulator
from paasport.testing.faults import Faults
from paasport.testing.gcp import CLUSTER, PROJECT, REGION, GcpEmulator
from support.children import wait_for

pytestmark = pytest.mark.spark
JOB = Path(__file__).parents[1] / "fixtures" / "count_job.py"
KEYS = ["1", "2", "3"]
KEY = "3"  # the count job writes <output>/3 with 700 * 3 ids
runner = CliRunner()

#: a Dagster run worker: a persistent instance ($DAGSTER_HOME), one partition of the count job
_WORKER = textwrap.dedent(
    """
    import json, sys
    import dagster as dg
    from paasport.dagster import PaasportResource, spark_asset
    job, out, profile, key = sys.argv[1:5]
    asset = spark_asset(name="counts", job=job, params={"output": out, "n": "700"},
                        checks=["has_rows"],
                        partitions_def=dg.StaticPartitionsDefinition(["1", "2", "3"]))
    dg.materialize(
        [asset], instance=dg.DagsterInstance.get(), partition_key=key,
        resources={"paasport": PaasportResource(extra_profiles={"cloud": json.loads(profile)})},
        run_config={"ops": {"counts": {"config": {"platform": "cloud"}}}},
    )
    """
)


class Emulators:
    """One emulator per family, started on first use and kept for the module. The emulator
    objects themselves (not only their profiles) are needed: faults, and what they run."""

    def __init__(self) -> None:
        self.stack = ExitStack()
        self.running: dict[str, Any] = {}

    def __getitem__(self, family: str) -> Any:
        if family not in self.running:
            start: dict[str, Callable[[], AbstractContextManager[Any]]] = {
                "aws": AwsEmulator,
                "databricks": DatabricksEmulator,
                "gcp": GcpEmulator,
            }
            self.running[family] = self.stack.enter_context(start[family]())
        return self.running[family]


@pytest.fixture(scope="module")
def emulators() -> Iterator[Emulators]:
    pool = Emulators()
    with pool.stack:
        yield pool


def _gcp_clusters(gcp: GcpEmulator) -> list[Any]:
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import dataproc_v1 as dp

    client = dp.ClusterControllerClient(
        transport="rest",
        credentials=AnonymousCredentials(),
        client_options={"api_endpoint": gcp.endpoint_url},
    )
    return list(client.list_clusters(project_id=PROJECT, region=REGION))


def _emr_active(aws: AwsEmulator) -> list[str]:
    clusters = aws.client("emr").list_clusters(ClusterStates=[*EMR_ACTIVE, "TERMINATING"])
    return [c["Id"] for c in clusters["Clusters"]]


def _databricks_active(dbx: DatabricksEmulator) -> list[str]:
    assert dbx.workspace is not None
    runs = dbx.workspace.runs.runs.values()
    return [f"run {r.run_id}" for r in runs if r.life_cycle not in ENDED]


def _dataproc_active(gcp: GcpEmulator) -> list[str]:
    jobs = gcp.jobs().list_jobs(project_id=PROJECT, region=REGION)
    ended = {"DONE", "ERROR", "CANCELLED", "ATTEMPT_FAILURE"}
    out = [f"job {j.reference.job_id}" for j in jobs if j.status.state.name not in ended]
    # the emulated project's own cluster is the user's: it stays
    return out + [
        f"cluster {c.cluster_name}" for c in _gcp_clusters(gcp) if c.cluster_name != CLUSTER
    ]


@dataclass(frozen=True)
class Family:
    emulator: str
    profile: Callable[[Any], dict[str, Any]]
    #: the recorded id that says the remote run (not only its cluster) was submitted
    submitted: str
    #: the remote runs and clusters still running or starting, as the emulator sees them
    active: Callable[[Any], list[str]]
    #: how long a remote run is held before Spark starts
    slow_start_s: float
    #: what gc must end: the run, and the cluster paasport created for it
    ends: tuple[str, ...]
    #: the record loses its ids, as if the worker died between the submit's answer and the
    #: record's write: the resource's paasport tags must find it
    forget_ids: bool = False


FAMILIES = {
    # EMR on EC2: the cluster is the run (a new one per launch, its step the job)
    "emr": Family(
        "aws",
        lambda e: e.profile("emr"),
        "emr_cluster_id",
        _emr_active,
        120,
        ("emr cluster",),
        forget_ids=True,
    ),
    # a one-time run on a new job cluster: cancelling the run ends its cluster
    "databricks": Family(
        "databricks",
        lambda e: e.profile("databricks"),
        "databricks_run_id",
        _databricks_active,
        120,
        ("databricks run",),
    ),
    # the per-run cluster must come up for the job to be submitted: a short hold, twice
    "dataproc": Family(
        "gcp",
        lambda e: e.profile(per_run_cluster=True),
        "dataproc_job_id",
        _dataproc_active,
        3,
        ("dataproc job", "dataproc cluster"),
    ),
}


def _records(home: Path) -> list[LaunchRecord]:
    return LaunchStore(home / "paasport" / "launches").read()


def _gc(*args: str) -> dict[str, Any]:
    result = runner.invoke(app, ["gc", "--json", *args])
    assert result.exit_code == 0, result.output
    answer: dict[str, Any] = json.loads(result.output)
    return answer


@pytest.mark.parametrize("platform", list(FAMILIES))
def test_gc_ends_what_a_sigkilled_run_worker_left_and_a_rerun_is_exact(
    platform: str, emulators: Emulators, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    family = FAMILIES[platform]
    emulator = emulators[family.emulator]
    profile = family.profile(emulator)
    home = tmp_path / "dagster"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.delenv(STATE_DIR_ENV, raising=False)  # records go beside the instance
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.chdir(tmp_path)  # gc reads no paasport.toml of the repository
    out = tmp_path / "out"
    assert family.active(emulator) == []

    emulator.set_faults(Faults(slow_start_s=family.slow_start_s))
    worker = subprocess.Popen(
        [sys.executable, "-c", _WORKER, str(JOB), str(out), json.dumps(profile), KEY],
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(
            lambda: (
                any(family.submitted in r.ids() for r in _records(home)) and family.active(emulator)
            ),
            120,
            "the remote run to be submitted and recorded",
        )
        os.kill(worker.pid, signal.SIGKILL)  # no handler runs: nothing cancels the remote run
        worker.wait(timeout=30)
    finally:
        if worker.poll() is None:
            os.kill(worker.pid, signal.SIGKILL)
            worker.wait()
    left = family.active(emulator)
    assert left, "the remote run should still be in flight after the crash"
    [crashed] = _records(home)
    assert crashed.status == "running" and crashed.pid == worker.pid
    if family.forget_ids:
        crashed.attempts = [{}]
        LaunchStore(home / "paasport" / "launches").write(crashed)

    dry = _gc("--dry-run")
    [found] = dry["orphans"]
    assert found["dagster_run_id"] == crashed.dagster_run_id
    assert found["why"] == f"run worker (pid {worker.pid}) is gone"
    assert found["action"].startswith("would end")
    assert family.active(emulator) == left  # a dry run ends nothing

    done = _gc()
    [ended] = done["orphans"]
    assert ended["action"].startswith("ended") and "still ending" not in ended["action"]
    assert all(f"ended {kind}" in ended["action"] or f", {kind}" in ended["action"]
               for kind in family.ends), ended  # fmt: skip
    # nothing is left running or starting, not even the cluster paasport created
    wait_for(lambda: family.active(emulator) == [], 20, f"{family.active(emulator)} to end")
    assert [r.status for r in _records(home)] == [REAPED]
    assert _gc()["orphans"] == []

    emulator.set_faults(Faults())
    asset = spark_asset(
        name="counts",
        job=JOB,
        params={"output": str(out), "n": "700"},
        checks=["has_rows"],
        partitions_def=dg.StaticPartitionsDefinition(KEYS),
    )
    with dg.DagsterInstance.get() as instance:
        result = dg.materialize(
            [asset],
            instance=instance,
            partition_key=KEY,
            resources={"paasport": PaasportResource(extra_profiles={"cloud": profile})},
            run_config={"ops": {"counts": {"config": {"platform": "cloud"}}}},
        )
        assert result.success
        events = instance.fetch_materializations(dg.AssetKey("counts"), limit=10).records
    # correct and once: every id counted exactly once, one materialization of the partition
    rows = pq.read_table(out / KEY).to_pylist()
    assert sum(r["count"] for r in rows) == 700 * int(KEY) and len(rows) == 7
    assert [e.partition_key for e in events] == [KEY]
    assert sorted(r.status for r in _records(home)) == sorted([REAPED, SUCCEEDED])
    # the rerun's own cluster is deleted by the platform as it ends (Dataproc: asynchronously)
    wait_for(lambda: family.active(emulator) == [], 20, "the rerun's remotes to end")


def _start_aws_job_run(aws: AwsEmulator, platform: str) -> dict[str, str]:
    """A job run as the platform submits it (its own request builder), never to be run: held
    in the emulator's slow start until gc cancels it."""
    cls = get_platform_class(platform)
    profile: Any = cls.profile_model.model_validate(aws.profile(platform))
    params = JobParams(asset="counts", partition_key="1", run_id="a-crashed-run")
    conf = {"spark.sql.shuffle.partitions": "4"}  # a launch always has some
    request = LaunchRequest(job=JobSpec(script=JOB, name="counts"), params=params, spark_conf=conf)
    art = Artifacts(f"s3://{BUCKET}/never-run.py", None, "v0")
    if platform == "emr_serverless":
        started = aws.client("emr-serverless").start_job_run(
            **emr_serverless.start_job_run_params(profile, request, art)
        )
        return {"application_id": started["applicationId"], "job_run_id": started["jobRunId"]}
    if platform == "emr_eks":
        started = aws.client("emr-containers").start_job_run(
            **emr_eks.start_job_run_params(profile, request, art)
        )
        return {"virtual_cluster_id": started["virtualClusterId"], "job_run_id": started["id"]}
    client, name = aws.client("glue"), "paasport-orphan"
    glue.ensure_job(client, profile, name, art)
    started = client.start_job_run(**glue.start_job_run_params(profile, name, request, art))
    return {"glue_job_name": name, "glue_job_run_id": started["JobRunId"]}


@pytest.mark.parametrize("platform", ["emr_serverless", "emr_eks", "glue"])
def test_gc_cancels_an_orphaned_job_run_of_each_aws_job_service(
    platform: str, emulators: Emulators, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The other AWS platforms' reapers, cheaply: no worker process and no Spark, a record as
    a killed worker leaves it, and gc's own collection."""
    aws = emulators["aws"]
    monkeypatch.setenv(STATE_DIR_ENV, str(tmp_path))
    aws.set_faults(Faults(slow_start_s=120))
    try:
        ids = _start_aws_job_run(aws, platform)
        dead = subprocess.Popen([sys.executable, "-c", "pass"])
        started = process_started(dead.pid)
        dead.wait()
        record = LaunchRecord(
            dagster_run_id="a-crashed-run",
            platform=platform,
            profile_name="cloud",
            profile=safe_profile(aws.profile(platform)),
            pid=dead.pid,
            pid_started=started,
            attempts=[ids],
        )
        LaunchStore(records_dir(None)).write(record)
        [finding] = collect(None, wait_s=30).findings
    finally:
        aws.set_faults(Faults())
    kind = JOBS[platform]
    assert finding.action == f"ended {kind.kind} {':'.join(ids[k] for k in kind.keys)}"
    client = aws.client(kind.service)
    final = {"emr_serverless": "CANCELLED", "emr_eks": "CANCELLED", "glue": "STOPPED"}[platform]
    wait_for(lambda: kind.state(client, ids) == final, 20, f"the {kind.kind} to be {final}")
    [back] = LaunchStore(records_dir(None)).read()
    assert back.status == REAPED
