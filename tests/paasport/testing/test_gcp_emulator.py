"""Dataproc against the GCP emulator: real runs, faults, cancellation, partitions at once.

Every run goes through Dagster, the dagster-gcp Pipes client, google-cloud-dataproc (REST) and
google-cloud-storage over HTTP to the emulator, and a real spark-submit of the job.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dagster as dg
import pyarrow.parquet as pq
import pytest
from google.api_core import exceptions as gexc
from google.cloud import dataproc_v1 as dp

from paasport.dagster import PaasportResource, spark_asset
from paasport.testing.gcp import BUCKET, CLUSTER, PROJECT, REGION, Faults, GcpEmulator
from support.results import error_text, metadata

JOB = Path(__file__).parents[1] / "fixtures" / "count_job.py"
pytestmark = pytest.mark.spark
PARTITIONS = dg.StaticPartitionsDefinition(["1", "2", "3"])


@pytest.fixture(scope="module")
def gcp() -> Iterator[GcpEmulator]:
    with GcpEmulator(slots=3) as running:
        yield running


@pytest.fixture(autouse=True)
def no_faults(gcp: GcpEmulator) -> Iterator[None]:
    yield
    gcp.set_faults(Faults())


def run(
    profile: dict[str, Any],
    out: Path,
    partition: str | None = None,
    **params: str,
) -> dg.ExecuteInProcessResult:
    asset = spark_asset(
        name="counts",
        job=JOB,
        params={"output": str(out), "n": "700", **params},
        partitions_def=PARTITIONS if partition else None,
        checks=["has_rows"],
    )
    return dg.materialize(
        [asset],
        instance=dg.DagsterInstance.ephemeral(),
        partition_key=partition,
        resources={"paasport": PaasportResource(extra_profiles={"cloud": profile})},
        run_config={"ops": {"counts": {"config": {"platform": "cloud"}}}},
        raise_on_error=False,
    )


def events(gcp: GcpEmulator, kind: str, since: float) -> list[dict[str, Any]]:
    return [e for e in gcp.events() if e["event"] == kind and e["t"] >= since]


def fired(gcp: GcpEmulator, since: float) -> list[str]:
    return [e["fault"] for e in events(gcp, "fault", since)]


def total(out: Path) -> int:
    return sum(r["count"] for r in pq.read_table(out).to_pylist())


def test_partitions_at_once_on_per_run_clusters_through_faults(
    gcp: GcpEmulator, tmp_path: Path
) -> None:
    """Two partitions at once, each on its own cluster; on the way: throttled calls, a
    cluster without zone capacity, a submission whose answer is lost, a slow start, and bursts
    of 429 and 500/503 at every kind of call (create/submit, get, delete, GCS)."""
    bursts = {"call_throttles": 1, "server_errors": 1, "burst": 2}
    gcp.set_faults(Faults(throttles=2, capacity_errors=1, lost_answers=1, slow_start_s=2, **bursts))
    started = time.time()
    profile = gcp.profile(per_run_cluster=True)
    results: dict[str, dg.ExecuteInProcessResult] = {}

    def one(key: str) -> None:
        results[key] = run(profile, tmp_path, partition=key)

    threads = [threading.Thread(target=one, args=(key,)) for key in ("1", "2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    for key, result in results.items():
        assert result.success, error_text(result, "counts")
        assert total(tmp_path / key) == 700 * int(key)  # the job's real output
    assert sorted(results) == ["1", "2"]
    metas = {key: metadata(r, "counts") for key, r in results.items()}
    for meta in metas.values():
        assert meta["platform"] == "dataproc" and meta["output_rows"] == 7
        assert meta["platform_dataproc_job_id"] and meta["platform_dataproc_cluster_uuid"]
        assert meta["platform_console_url"].startswith("https://console.cloud.google.com/")
        assert meta["platform_run_s"] > 0 and meta["platform_queue_s"] >= 0
        facts = meta["platform_facts"]
        assert facts["state"] == "DONE"
        assert facts["cluster"]["preemptible_count"] == 2
        assert facts["cluster"]["secondary_workers"]["preemptibility"] == "SPOT"
        assert facts["cluster_create_s"] >= 2  # the slow start, from the cluster's history
        assert facts["labels"]["paasport-asset"] == "counts"
    # one cluster failed for lack of capacity: that partition retried on a new cluster
    assert sorted(m["platform_facts"]["attempts"] for m in metas.values()) == [1, 2]
    assert fired(gcp, started).count("capacity_errors") == 1
    assert fired(gcp, started).count("throttles") == 2  # retried by the client, invisible
    # every kind of call met a whole burst (a 429 and a 5xx in a row), waited out by
    # google-api-core's Retry (Dataproc) and google-cloud-storage's (GCS)
    counts = gcp.faults_fired(started)
    for kind in ("submit", "get", "cancel", "storage"):
        assert counts[f"call_throttles:{kind}"] >= 1 and counts[f"server_errors:{kind}"] >= 1
    # the lost answer was retried with the same request id: one job per partition, no more
    submitted = events(gcp, "job_submitted", started)
    assert len(submitted) == 2 and fired(gcp, started).count("lost_answers") == 1
    assert {e["labels"]["paasport-partition"] for e in submitted} == {"1", "2"}
    # distinct clusters, jobs and Pipes locations; artifacts shared, content-addressed
    assert len({m["platform_dataproc_cluster_name"] for m in metas.values()}) == 2
    assert len({m["platform_dataproc_job_id"] for m in metas.values()}) == 2
    pipes = {e["args"][e["args"].index("--dagster-pipes-messages") + 1] for e in submitted}
    assert len(pipes) == 2
    arts = {(m["platform_facts"]["script_uri"], m["platform_facts"]["wheel_uri"])
            for m in metas.values()}  # fmt: skip
    assert len(arts) == 1 and next(iter(arts))[0].startswith(f"gs://{BUCKET}/paasport/artifacts/")
    names = [b.name for b in gcp.storage().list_blobs(BUCKET, prefix="paasport/")]
    assert not [n for n in names if "/pipes/" in n and n.endswith("context.json")]  # cleaned
    assert len({n for n in names if "/pipes/" in n}) >= 2  # messages of both runs
    # every cluster paasport made is gone (or going)
    deleted = {e["cluster"] for e in events(gcp, "cluster_delete_requested", started)}
    made = {e["cluster"] for e in events(gcp, "cluster_created", started)}
    assert len(made) == 3 and deleted == made


def test_a_failing_job_fails_with_its_driver_output(gcp: GcpEmulator, tmp_path: Path) -> None:
    result = run(gcp.profile(), tmp_path / "out", fail="yes")
    assert not result.success
    text = error_text(result, "counts")
    assert "ended ERROR" in text and "RuntimeError: asked to fail" in text
    assert "driver output (last lines)" in text and "Traceback" in text
    assert not (tmp_path / "out").exists()


def test_the_asset_timeout_cancels_the_job(gcp: GcpEmulator, tmp_path: Path) -> None:
    gcp.set_faults(Faults(slow_start_s=60))  # the job stays PENDING past the timeout
    started = time.time()
    result = run({**gcp.profile(), "timeout_s": 3}, tmp_path / "out")
    assert not result.success
    assert "timeout of 3 s" in error_text(result, "counts")
    assert time.time() - started < 30
    cancelled = events(gcp, "job_cancel_requested", started)
    assert len(cancelled) == 1
    job = gcp.jobs().get_job(project_id=PROJECT, region=REGION, job_id=cancelled[0]["job"])
    deadline = time.time() + 10
    while job.status.state.name != "CANCELLED" and time.time() < deadline:
        time.sleep(0.3)
        job = gcp.jobs().get_job(project_id=PROJECT, region=REGION, job_id=cancelled[0]["job"])
    assert job.status.state.name == "CANCELLED"


def test_quota_errors_beyond_the_retries_fail_naming_capacity(
    gcp: GcpEmulator, tmp_path: Path
) -> None:
    gcp.set_faults(Faults(quota_errors=2))
    profile = {**gcp.profile(per_run_cluster=True), "capacity_retries": 1,
               "retry_backoff_s": 0.2}  # fmt: skip
    result = run(profile, tmp_path / "out")
    assert not result.success
    text = error_text(result, "counts")
    assert "CapacityError" in text and "Insufficient 'CPUS' quota" in text


def test_the_dagster_client_alone_polls_by_uuid_and_gets_not_found(gcp: GcpEmulator) -> None:
    """Why paasport overrides the wait: dagster-gcp 0.29.27 polls get_job with the job's UUID."""
    from dagster_gcp.pipes import PipesDataprocJobClient

    jobs = gcp.jobs()
    job = jobs.submit_job(
        project_id=PROJECT, region=REGION,
        job=dp.Job(placement=dp.JobPlacement(cluster_name=CLUSTER),
                   pyspark_job=dp.PySparkJob(main_python_file_uri="gs://nowhere/none.py")),
    )  # fmt: skip
    assert job.job_uuid != job.reference.job_id
    client = PipesDataprocJobClient(message_reader=None, client=jobs, poll_interval=0.1)  # type: ignore[arg-type]
    with pytest.raises(gexc.NotFound):
        client._wait_for_completion(
            None,  # type: ignore[arg-type]
            params={"project_id": PROJECT, "region": REGION},
            job=job,
        )
    ids = {"project_id": PROJECT, "region": REGION, "job_id": job.reference.job_id}
    _wait_for(lambda: jobs.get_job(**ids).done, 30, "the job (nothing to run) to end")
    assert jobs.get_job(**ids).status.state.name == "ERROR"


CHILD = textwrap.dedent(
    """
    import sys
    import dagster as dg
    from paasport.dagster import PaasportResource, spark_asset
    job, out, profile = sys.argv[1], sys.argv[2], eval(sys.argv[3])
    asset = spark_asset(
        name="counts", job=job, params={"output": out, "sleep_s": "120"}, checks=["has_rows"]
    )
    dg.materialize(
        [asset],
        instance=dg.DagsterInstance.ephemeral(),
        resources={"paasport": PaasportResource(extra_profiles={"cloud": profile})},
        run_config={"ops": {"counts": {"config": {"platform": "cloud"}}}},
    )
    """
)


def test_interrupting_the_dagster_run_cancels_the_dataproc_job(
    gcp: GcpEmulator, tmp_path: Path
) -> None:
    started = time.time()
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(JOB), str(tmp_path / "out"), repr(gcp.profile())],
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        _wait_for(lambda: dagster_jobs(gcp, "job_started", started), 120, "the job to start")
        time.sleep(1)  # running: spark-submit started
        interrupted = time.time()
        child.send_signal(signal.SIGINT)  # what Dagster's run termination does to a run worker
        _wait_for(lambda: dagster_jobs(gcp, "job_killed", started), 30, "the job to be killed")
        cancelled_in = dagster_jobs(gcp, "job_killed", started)[0]["t"] - interrupted
        assert cancelled_in <= 15, cancelled_in
        assert child.wait(timeout=60) != 0
    finally:
        if child.poll() is None:
            child.kill()
    job_id = dagster_jobs(gcp, "job_killed", started)[0]["job"]
    job = gcp.jobs().get_job(project_id=PROJECT, region=REGION, job_id=job_id)
    assert job.status.state.name == "CANCELLED"


def dagster_jobs(gcp: GcpEmulator, kind: str, since: float) -> list[dict[str, Any]]:
    """Events of jobs that a Dagster run submitted (they carry its run-id label)."""
    ours = {
        e["job"] for e in events(gcp, "job_submitted", since) if "dagster-run-id" in e["labels"]
    }
    return [e for e in events(gcp, kind, since) if e["job"] in ours]


def _wait_for(check: Any, timeout_s: float, what: str) -> None:
    deadline = time.time() + timeout_s
    while not check():
        if time.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.3)


def test_list_and_cancel_calls_wait_out_their_bursts_too(gcp: GcpEmulator) -> None:
    """The kinds a run may not make, with the Retry paasport passes to every Dataproc call:
    a 429 and a 500 in a row, retried, then the real answer."""
    from paasport.platforms.gcp.common import api_retry

    gcp.set_faults(
        Faults(call_throttles=2, server_errors=2, burst=2, burst_calls={"list", "cancel"})
    )
    started = time.time()
    jobs, retry = gcp.jobs(), api_retry(30.0)
    listed = jobs.list_jobs(project_id=PROJECT, region=REGION, retry=retry)
    assert isinstance(list(listed), list)
    with pytest.raises(gexc.NotFound):
        jobs.cancel_job(project_id=PROJECT, region=REGION, job_id="no-such-job", retry=retry)
    counts = gcp.faults_fired(started)
    for kind in ("list", "cancel"):
        assert counts[f"call_throttles:{kind}"] >= 1 and counts[f"server_errors:{kind}"] >= 1
