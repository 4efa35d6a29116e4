"""The Dataproc requests paasport builds, its labels, its run facts, and its profile checks."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
from google.cloud import dataproc_v1 as dp
from pydantic import ValidationError

from paasport.config import ConfigError, parse_config
from paasport.dagster import PaasportResource, spark_asset
from paasport.job.params import JobParams
from paasport.platforms import get_platform_class
from paasport.platforms.base import JobSpec, LaunchRequest
from paasport.platforms.gcp.common import (
    GcsMessageReader,
    classify_failure,
    cost_labels,
    sanitize_labels,
)
from paasport.platforms.gcp.dataproc import (
    DataprocPlatform,
    DataprocProfile,
    cluster_spec,
    job_facts,
    job_id_for,
    per_run_cluster_name,
    submit_request,
)
from paasport.platforms.packaging import Artifacts
from paasport.platforms.remote import CapacityError, RemoteRunError

ART = Artifacts("gs://b/p/artifacts/aa/job.py", "gs://b/p/artifacts/bb/proj.whl", "v1")
JOB = Path(__file__).parents[1] / "fixtures" / "count_job.py"


def request(**conf: str) -> LaunchRequest:
    params = JobParams(
        asset="Edges", partition_key="CC-MAIN-2024-10|seeds.A", params={}, run_id="r" * 36
    )
    return LaunchRequest(JobSpec(Path("/x/job.py"), "edges"), params, conf)


def profile(**kw: Any) -> DataprocProfile:
    return DataprocProfile(project="my-project", bucket="my-bucket", **kw)


def config_error(body: dict[str, Any]) -> str:
    raw = {"platform": "dataproc", "project": "my-project", "bucket": "my-bucket", **body}
    with pytest.raises(ConfigError) as info:
        parse_config({"profiles": {"gcp": raw}}, None)
    return str(info.value)


def test_the_registry_knows_dataproc() -> None:
    assert get_platform_class("dataproc") is DataprocPlatform
    assert DataprocPlatform.capabilities.pipes_transport == "gcs"
    assert DataprocPlatform.capabilities.spot and DataprocPlatform.capabilities.existing_cluster


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"project": "My_Project"}, "profiles.gcp.project", "pattern"),
        ({"bucket": "UPPER"}, "profiles.gcp.bucket", "pattern"),
        ({"region": "us central"}, "profiles.gcp.region", "pattern"),
        ({"worker_count": 1}, "profiles.gcp.worker_count", "0 (a single-node cluster) or at least"),
        ({"secondary_worker_type": "cheap"}, "profiles.gcp.secondary_worker_type", "spot"),
        ({"idle_delete_s": 60}, "profiles.gcp.idle_delete_s", "600"),
        ({"cluster_name": "Bad_Name"}, "profiles.gcp.cluster_name", "pattern"),
        ({"api_endpoint": "http://10.0.0.5:8080"}, "profiles.gcp.api_endpoint", "this machine"),
        ({"timeout_s": 0}, "profiles.gcp.timeout_s", "greater than 0"),
        ({"instance_type": "n2"}, "profiles.gcp.instance_type", "Extra inputs"),
    ],
)
def test_invalid_fields_are_named(body: dict[str, Any], field: str, words: str) -> None:
    message = config_error(body)
    assert field in message and words in message, message


def test_a_missing_project_is_named() -> None:
    with pytest.raises(ConfigError, match=r"profiles\.gcp\.project: Field required"):
        parse_config({"profiles": {"gcp": {"platform": "dataproc", "bucket": "b-1"}}}, None)


def test_cluster_fields_conflict_with_an_existing_cluster() -> None:
    message = config_error({"cluster_name": "etl", "worker_count": 4, "zone": "us-central1-b"})
    assert "worker_count" in message and "zone" in message and "cluster_name 'etl'" in message
    # defaults alone do not conflict
    assert profile(cluster_name="etl").cluster_name == "etl"


def test_other_cross_field_rules_name_their_field() -> None:
    assert "secondary_worker_count" in config_error(
        {"worker_count": 0, "secondary_worker_count": 2}
    )
    assert "set `labels` instead" in config_error({"tags": {"team": "x"}})
    with pytest.raises(ValidationError, match="labels"):
        profile(labels={"::": "x"})


def test_invalid_config_fails_before_any_cloud_call(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []

    class Recorder(BaseHTTPRequestHandler):
        def _any(self) -> None:
            calls.append(f"{self.command} {self.path}")
            self.send_response(500)
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_GET = do_POST = do_PUT = do_DELETE = _any

        def log_message(self, format: str, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    endpoint = f"http://127.0.0.1:{server.server_address[1]}"
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", endpoint)  # GCS would come here too
    bad = {"platform": "dataproc", "project": "my-project", "bucket": "my-bucket",
           "api_endpoint": endpoint, "worker_count": 1}  # fmt: skip
    asset = spark_asset(name="counts", job=JOB, params={"output": "/tmp/x"})
    try:
        result = dg.materialize(
            [asset],
            instance=dg.DagsterInstance.ephemeral(),
            resources={"paasport": PaasportResource(extra_profiles={"gcp": bad})},
            run_config={"ops": {"counts": {"config": {"platform": "gcp"}}}},
            raise_on_error=False,
        )
    finally:
        server.shutdown()
    assert not result.success
    failure = result.failure_data_for_node("counts")
    assert failure is not None and failure.error is not None
    text = failure.error.to_string()
    assert "nothing launched" in text and "worker_count" in text
    assert calls == []


def test_submit_request_from_profile_and_request() -> None:
    p = profile(cluster_name="etl", labels={"Cost-Center": "R&D"}, team="Data")
    req = request(**{"spark.sql.shuffle.partitions": "64"})
    labels = cost_labels(p, req, ART.code_version)
    job_id = job_id_for(req)
    sub = submit_request(p, req, ART, "etl", labels, job_id)
    assert (sub.project_id, sub.region) == ("my-project", "us-central1")
    assert sub.request_id and sub.request_id != submit_request(p, req, ART, "etl", labels,
                                                               job_id).request_id  # fmt: skip
    job = sub.job
    assert job.reference.job_id == job_id and job_id.startswith("paasport-edges-cc-main-2024-10")
    assert len(job_id) <= 100 and job_id != job_id_for(req)
    assert job.placement.cluster_name == "etl"
    py = job.pyspark_job
    assert py.main_python_file_uri == ART.script_uri
    assert list(py.python_file_uris) == [ART.wheel_uri]
    assert dict(py.properties) == {"spark.sql.shuffle.partitions": "64"}
    assert list(py.args) == []  # the Pipes client adds its bootstrap arguments
    assert dict(job.labels) == labels
    # a job without a project wheel ships only the script
    bare = submit_request(p, req, Artifacts("gs://b/j.py", None, "v"), "etl", {}, "j")
    assert list(bare.job.pyspark_job.python_file_uris) == []


def test_labels_follow_gcp_rules_with_the_aws_keys() -> None:
    p = profile(labels={"Cost-Center": "R&D", "9lives": "x"}, team="Data Eng")
    labels = cost_labels(p, request(), "v1")
    assert labels == {
        "paasport-asset": "edges",
        "paasport-partition": "cc-main-2024-10-seeds-a",
        "paasport-run-id": "r" * 36,
        "paasport-code-version": "v1",
        "team": "data-eng",
        "cost-center": "r-d",
        "k-9lives": "x",
    }
    long = sanitize_labels({"dagster/asset_key": "x" * 100, "_x": "y"})
    assert long == {"dagster-asset_key": "x" * 63, "x": "y"}
    assert len(sanitize_labels({f"k{i}": "v" for i in range(80)})) == 64


def test_cluster_spec_per_run() -> None:
    p = profile(
        worker_count=3, secondary_worker_count=5, secondary_worker_type="preemptible",
        master_machine_type="n2-highmem-8", zone="us-central1-b", boot_disk_gb=200,
        cluster_properties={"spark:spark.executor.cores": "4"}, idle_delete_s=900,
    )  # fmt: skip
    name = per_run_cluster_name(request())
    assert name.startswith("paasport-edges-") and len(name) <= 51
    assert name != per_run_cluster_name(request())
    c = cluster_spec(p, name, {"team": "x"})
    assert c.cluster_name == name and c.project_id == "my-project" and dict(c.labels)
    cfg = c.config
    assert cfg.config_bucket == "my-bucket"
    assert (cfg.master_config.machine_type_uri, cfg.master_config.num_instances) == (
        "n2-highmem-8", 1)  # fmt: skip
    assert cfg.worker_config.num_instances == 3
    sec = cfg.secondary_worker_config
    assert sec.num_instances == 5 and sec.preemptibility.name == "PREEMPTIBLE"
    assert cfg.worker_config.disk_config.boot_disk_size_gb == 200
    assert cfg.gce_cluster_config.zone_uri == "us-central1-b"
    assert cfg.software_config.image_version == "2.2-debian12"
    assert dict(cfg.software_config.properties) == {"spark:spark.executor.cores": "4"}
    assert cfg.lifecycle_config.idle_delete_ttl.total_seconds() == 900
    single = cluster_spec(profile(worker_count=0), "x", {}).config
    assert single.software_config.properties["dataproc:dataproc.allow.zero.workers"] == "true"
    assert single.secondary_worker_config.num_instances == 0


#: a job and cluster as Dataproc answers them (JSON of the v1 REST API)
RECORDED_JOB = {
    "reference": {"projectId": "my-project", "jobId": "paasport-edges-1"},
    "placement": {"clusterName": "etl", "clusterUuid": "c-uuid"},
    "pysparkJob": {"mainPythonFileUri": "gs://b/job.py"},
    "status": {"state": "DONE", "stateStartTime": "2026-01-01T10:05:30.500Z"},
    "statusHistory": [
        {"state": "PENDING", "stateStartTime": "2026-01-01T10:00:00Z"},
        {"state": "SETUP_DONE", "stateStartTime": "2026-01-01T10:00:20Z"},
        {"state": "RUNNING", "details": "Agent reported job success",
         "stateStartTime": "2026-01-01T10:00:25Z"},
    ],
    "yarnApplications": [{"name": "paasport-edges", "state": "FINISHED", "progress": 1}],
    "driverOutputResourceUri": "gs://b/google-cloud-dataproc-metainfo/c-uuid/jobs/x/driveroutput",
    "labels": {"paasport-asset": "edges"},
    "jobUuid": "0b5e-uuid",
    "done": True,
}  # fmt: skip
RECORDED_CLUSTER = {
    "clusterName": "etl",
    "config": {
        "masterConfig": {"numInstances": 1, "machineTypeUri":
            "https://www.googleapis.com/compute/v1/projects/p/zones/us-central1-a/machineTypes/n2-standard-4"},
        "workerConfig": {"numInstances": 2, "machineTypeUri": "n2-highmem-8"},
        "secondaryWorkerConfig": {"numInstances": 4, "machineTypeUri": "n2-highmem-8",
                                  "preemptibility": "SPOT"},
        "softwareConfig": {"imageVersion": "2.2.45-debian12"},
    },
}  # fmt: skip


def test_facts_from_a_recorded_job_answer() -> None:
    job = dp.Job.from_json(json.dumps(RECORDED_JOB))
    cluster = dp.Cluster.from_json(json.dumps(RECORDED_CLUSTER))
    facts = job_facts("dataproc", "gcp", profile(cluster_name="etl"), job, cluster)
    assert facts.run_ids == {
        "dataproc_job_id": "paasport-edges-1",
        "dataproc_job_uuid": "0b5e-uuid",
        "dataproc_cluster_name": "etl",
        "dataproc_cluster_uuid": "c-uuid",
    }
    assert (facts.queue_s, facts.startup_s, facts.run_s) == (20.0, 5.0, 305.5)
    assert facts.console_url == (
        "https://console.cloud.google.com/dataproc/jobs/paasport-edges-1"
        "?project=my-project&region=us-central1"
    )
    assert facts.extra["state"] == "DONE"
    assert facts.extra["yarn_applications"] == ["paasport-edges"]
    assert facts.extra["cluster"] == {
        "master": {"machine_type": "n2-standard-4", "count": 1},
        "workers": {"machine_type": "n2-highmem-8", "count": 2},
        "secondary_workers": {"machine_type": "n2-highmem-8", "count": 4, "preemptibility": "SPOT"},
        "preemptible_count": 4,
        "vcpus": 4 + 16 + 32,
        "image_version": "2.2.45-debian12",
    }
    meta = facts.as_metadata()
    assert meta["platform_dataproc_job_id"] == "paasport-edges-1"
    assert meta["platform_run_s"] == 305.5


def test_failure_kinds_from_gcp_messages() -> None:
    zone = ("The zone 'projects/p/zones/us-central1-a' does not have enough resources available "
            "to fulfill the request. (ZONE_RESOURCE_POOL_EXHAUSTED)")  # fmt: skip
    assert classify_failure(zone) is CapacityError
    assert classify_failure("Insufficient 'CPUS' quota. Requested 24.0, available 8.0.") is (
        CapacityError)  # fmt: skip
    assert classify_failure("Job failed with message [RuntimeError: boom]") is RemoteRunError


def test_pipes_message_params_name_the_store_and_stay_under_the_prefix() -> None:
    reader = GcsMessageReader(prefix="/team/", bucket="b-1", client=object(), interval=1)
    with reader.get_params() as one, reader.get_params() as two:
        assert one["store"] == "gcs" and one["bucket"] == "b-1"
        assert one["key_prefix"].startswith("team/pipes/")
        assert one["key_prefix"] != two["key_prefix"]


@pytest.fixture
def no_gcp_extra(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    import builtins
    import sys

    real = builtins.__import__

    def fake(name: str, *args: Any, **kwargs: Any) -> Any:
        if name.startswith(("google.cloud", "dagster_gcp")):
            raise ImportError(f"No module named '{name}'")
        return real(name, *args, **kwargs)

    for mod in [m for m in sys.modules if m.startswith("paasport.platforms.gcp.dataproc")
                or m.startswith("paasport.platforms.gcp.common")]:  # fmt: skip
        monkeypatch.delitem(sys.modules, mod)
    monkeypatch.setattr(builtins, "__import__", fake)
    yield


def test_a_missing_extra_names_it(no_gcp_extra: None) -> None:
    with pytest.raises(ImportError, match=r"paasport\[gcp\]"):
        get_platform_class("dataproc")
