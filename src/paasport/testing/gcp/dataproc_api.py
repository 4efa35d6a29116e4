"""The Dataproc v1 REST API on 127.0.0.1, and the life of its clusters and jobs.

What the real google-cloud-dataproc client (REST transport) calls: JobController submit, get,
list, cancel; ClusterController create, get, list, delete; and GET of long-running operations.
Requests and answers are the client's own proto-plus messages, so a field the client would
not understand cannot slip in. A submitted PySpark job really runs with spark-submit here,
its artifacts fetched from the GCS emulator; its driver output goes back to GCS where Dataproc
puts it (`<config bucket>/google-cloud-dataproc-metainfo/<cluster uuid>/jobs/<id>/`).
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from google.cloud import dataproc_v1 as dp

from paasport.testing.faults import CallKind, FaultBook
from paasport.testing.isolation import RequestLog
from paasport.testing.spark_runner import Fetcher, SparkRun, job_env, tail

JobState = dp.JobStatus.State
ClusterState = dp.ClusterStatus.State
JOB_TERMINAL = {JobState.DONE, JobState.ERROR, JobState.CANCELLED}
LABEL_KEY = re.compile(r"^[a-z][a-z0-9_\-]{0,62}$")
LABEL_VALUE = re.compile(r"^[a-z0-9_\-]{0,63}$")
CLUSTER_NAME = re.compile(r"^[a-z](?:[a-z0-9\-]{0,49}[a-z0-9])?$")
JOB_ID = re.compile(r"^[A-Za-z0-9_\-]{1,100}$")
ZONE_EXHAUSTED = (
    "The zone 'projects/{project}/zones/{region}-a' does not have enough resources available "
    "to fulfill the request. Try a different zone, or try again later. "
    "(ZONE_RESOURCE_POOL_EXHAUSTED)"
)
CPUS_QUOTA = "Insufficient 'CPUS' quota. Requested {want}.0, available 8.0."


class ApiError(Exception):
    """An error answer: HTTP status, gRPC status name, message (as Google APIs send them)."""

    def __init__(self, code: int, status: str, message: str) -> None:
        super().__init__(message)
        self.code, self.status, self.message = code, status, message


def now() -> datetime:
    return datetime.now(UTC)


def _check_labels(labels: Any, what: str) -> None:
    if len(labels) > 64:
        raise ApiError(400, "INVALID_ARGUMENT", f"{what}: at most 64 labels")
    for key, value in labels.items():
        if not LABEL_KEY.match(key) or not LABEL_VALUE.match(value):
            raise ApiError(
                400,
                "INVALID_ARGUMENT",
                f"{what}: invalid label {key}={value!r} (keys: a lowercase letter, then up to 62 "
                "lowercase letters, digits, _ or -; values: up to 63 of those)",
            )


def _set_status(obj: Any, status_type: Any, state: Any, detail: str = "", **kw: Any) -> None:
    """Move to `state`, keeping the previous status in the history, as Dataproc does."""
    if obj.status.state:
        obj.status_history.append(obj.status)
    obj.status = status_type(state=state, state_start_time=now(), **kw)
    if detail:
        if status_type is dp.JobStatus:
            obj.status.details = detail
        else:
            obj.status.detail = detail


def vcpus(machine: str) -> int:
    last = re.search(r"-(\d+)$", machine)
    return int(last.group(1)) if last else 2


@dataclass
class ClusterRecord:
    cluster: dp.Cluster
    created: float
    operation: str
    request_id: str = ""
    deleted_at: float | None = None
    delete_operation: str = ""


@dataclass
class JobRecord:
    job: dp.Job
    region: str
    submitted: float
    request_id: str = ""
    run: SparkRun | None = None
    slot: bool = False


@dataclass
class Backend:
    """Every cluster, job and operation of the emulated project(s)."""

    workdir: Path
    faults: FaultBook
    gcs: Any  # google.cloud.storage.Client on the GCS emulator
    base_env: dict[str, str]
    fetcher: Fetcher
    slots: threading.Semaphore
    default_bucket: str
    clusters: dict[tuple[str, str, str], ClusterRecord] = field(default_factory=dict)
    jobs: dict[tuple[str, str], JobRecord] = field(default_factory=dict)
    operations: dict[str, tuple[str, tuple[str, str, str]]] = field(default_factory=dict)
    lock: threading.RLock = field(default_factory=threading.RLock)
    _server_errors: int = 0

    # ---- events and faults

    def log_event(self, **event: Any) -> None:
        event["t"] = time.time()
        with self.lock, (self.workdir / "events.jsonl").open("a") as out:
            out.write(json.dumps(event, default=str) + "\n")

    def start_delay(self) -> float:
        return 0.5 + self.faults.current().slow_start_s

    def maybe_throttle(self, method: str) -> None:
        if self.faults.take("throttles"):
            raise ApiError(
                429,
                "RESOURCE_EXHAUSTED",
                f"Quota exceeded for quota metric 'Read requests' and limit 'Read requests per "
                f"minute per region' of service 'dataproc.googleapis.com' ({method})",
            )

    def maybe_fail_call(self, method: str, rest: str) -> None:
        """Bursts of throttled and failed calls of every kind, answered before anything is
        done (as Google's front ends do), so the client's retry is safe."""
        kind = dataproc_call_kind(method, rest)
        fault = self.faults.take_call(kind, f"{method} {rest}")
        if fault == "call_throttles":
            raise ApiError(
                429,
                "RESOURCE_EXHAUSTED",
                "Quota exceeded for quota metric 'Requests' and limit 'Requests per minute per "
                f"region' of service 'dataproc.googleapis.com' ({method} {rest})",
            )
        if fault == "server_errors":
            self._server_errors += 1
            if self._server_errors % 2:
                raise ApiError(500, "INTERNAL", "Internal error encountered.")
            raise ApiError(503, "UNAVAILABLE", "The service is currently unavailable.")

    # ---- clusters

    def create_cluster(
        self, project: str, region: str, body: dict[str, Any], request_id: str
    ) -> dict[str, Any]:
        cluster = dp.Cluster.from_json(json.dumps(body), ignore_unknown_fields=True)
        name = cluster.cluster_name
        key = (project, region, name)
        with self.lock:
            known = self.clusters.get(key)
            if known is not None and request_id and known.request_id == request_id:
                return self.operation_json(known.operation)
            if not CLUSTER_NAME.match(name):
                raise ApiError(400, "INVALID_ARGUMENT", f"invalid cluster name {name!r}")
            _check_labels(cluster.labels, f"cluster {name}")
            if known is not None:
                raise ApiError(
                    409,
                    "ALREADY_EXISTS",
                    f"Already exists: Failed to create cluster: "
                    f"Cluster projects/{project}/regions/{region}/clusters/{name}",
                )
            config = cluster.config
            want = sum(
                vcpus(g.machine_type_uri or "n2-standard-4") * g.num_instances
                for g in (
                    config.master_config,
                    config.worker_config,
                    config.secondary_worker_config,
                )
            )
            if self.faults.take("quota_errors"):
                raise ApiError(400, "INVALID_ARGUMENT", CPUS_QUOTA.format(want=want))
            cluster.project_id = project
            cluster.cluster_uuid = str(uuid.uuid4())
            config.config_bucket = config.config_bucket or self.default_bucket
            for group in (config.master_config, config.worker_config):
                group.machine_type_uri = group.machine_type_uri or "n2-standard-4"
            config.software_config.image_version = (
                config.software_config.image_version or "2.2.45-debian12"
            )
            _set_status(cluster, dp.ClusterStatus, ClusterState.CREATING)
            op = f"projects/{project}/regions/{region}/operations/{uuid.uuid4()}"
            self.clusters[key] = ClusterRecord(cluster, time.time(), op, request_id)
            self.operations[op] = ("create", key)
        self.log_event(event="cluster_created", cluster=name, uuid=cluster.cluster_uuid)
        return self.operation_json(op)

    def cluster(self, project: str, region: str, name: str) -> ClusterRecord:
        record = self.clusters.get((project, region, name))
        if record is None:
            raise ApiError(
                404,
                "NOT_FOUND",
                f"Not found: Cluster projects/{project}/regions/{region}/clusters/{name}",
            )
        return record

    def delete_cluster(self, project: str, region: str, name: str) -> dict[str, Any]:
        with self.lock:
            record = self.cluster(project, region, name)
            if record.deleted_at is None:
                record.deleted_at = time.time()
                record.delete_operation = (
                    f"projects/{project}/regions/{region}/operations/{uuid.uuid4()}"
                )
                self.operations[record.delete_operation] = ("delete", (project, region, name))
                _set_status(record.cluster, dp.ClusterStatus, ClusterState.DELETING)
            op = record.delete_operation
        self.log_event(event="cluster_delete_requested", cluster=name)
        return self.operation_json(op)

    def operation_json(self, name: str) -> dict[str, Any]:
        kind, key = self.operations[name]
        record = self.clusters.get(key)
        out: dict[str, Any] = {"name": name, "done": False}
        if kind == "create" and record is not None:
            state = record.cluster.status.state
            if state != ClusterState.CREATING:
                out["done"] = True
                if state == ClusterState.ERROR:
                    out["error"] = {"code": 8, "message": record.cluster.status.detail}
                else:
                    out["response"] = {
                        "@type": "type.googleapis.com/google.cloud.dataproc.v1.Cluster",
                        **json.loads(dp.Cluster.to_json(record.cluster)),
                    }
        elif record is None:  # deleted (or a create whose cluster is gone)
            out["done"] = True
            out["response"] = {"@type": "type.googleapis.com/google.protobuf.Empty"}
        return out

    def tick(self) -> None:
        with self.lock:
            self.tick_clusters()
            self.tick_jobs()

    def tick_clusters(self) -> None:
        for key, record in list(self.clusters.items()):
            cluster = record.cluster
            state = cluster.status.state
            if state == ClusterState.CREATING and time.time() - record.created >= (
                self.start_delay()
            ):
                if self.faults.take("capacity_errors"):
                    detail = ZONE_EXHAUSTED.format(project=key[0], region=key[1])
                    _set_status(cluster, dp.ClusterStatus, ClusterState.ERROR, detail)
                    self.log_event(event="cluster_failed", cluster=key[2], detail=detail)
                else:
                    _set_status(cluster, dp.ClusterStatus, ClusterState.RUNNING)
                    self.log_event(event="cluster_running", cluster=key[2])
            deleted = record.deleted_at
            if state == ClusterState.DELETING and deleted and time.time() - deleted >= 0.5:
                self.clusters.pop(key, None)
                self.log_event(event="cluster_deleted", cluster=key[2])

    # ---- jobs

    def submit_job(self, project: str, region: str, body: dict[str, Any]) -> dict[str, Any]:
        request_id = str(body.get("requestId") or "")
        job = dp.Job.from_json(json.dumps(body.get("job") or {}), ignore_unknown_fields=True)
        with self.lock:
            for record in self.jobs.values():
                if request_id and record.request_id == request_id:
                    return json.loads(dp.Job.to_json(record.job))  # the same request again
            job_id = job.reference.job_id or uuid.uuid4().hex
            if not JOB_ID.match(job_id):
                raise ApiError(400, "INVALID_ARGUMENT", f"invalid job id {job_id!r}")
            if (project, job_id) in self.jobs:
                raise ApiError(409, "ALREADY_EXISTS", f"Already exists: Job {job_id}")
            if not job.pyspark_job.main_python_file_uri:
                raise ApiError(400, "INVALID_ARGUMENT", "only PySpark jobs are emulated")
            _check_labels(job.labels, f"job {job_id}")
            name = job.placement.cluster_name
            cluster = self.cluster(project, region, name).cluster
            if cluster.status.state != ClusterState.RUNNING:
                raise ApiError(
                    400,
                    "FAILED_PRECONDITION",
                    f"Cluster {name} is in state "
                    f"{cluster.status.state.name} and cannot accept jobs",
                )
            job.reference.project_id = project
            job.reference.job_id = job_id
            job.job_uuid = str(uuid.uuid4())  # not the id: get/cancel take the id
            job.placement.cluster_uuid = cluster.cluster_uuid
            metainfo = (
                f"gs://{cluster.config.config_bucket}/google-cloud-dataproc-metainfo/"
                f"{cluster.cluster_uuid}/jobs/{job_id}"
            )
            job.driver_control_files_uri = f"{metainfo}/"
            job.driver_output_resource_uri = f"{metainfo}/driveroutput"
            _set_status(job, dp.JobStatus, JobState.PENDING)
            self.jobs[(project, job_id)] = JobRecord(job, region, time.time(), request_id)
            answer = json.loads(dp.Job.to_json(job))
        self.log_event(
            event="job_submitted",
            job=job_id,
            cluster=name,
            labels=dict(job.labels),
            args=list(job.pyspark_job.args),
        )
        if self.faults.take("lost_answers"):
            raise ApiError(503, "UNAVAILABLE", "The service is currently unavailable.")
        return answer

    def job(self, project: str, job_id: str) -> JobRecord:
        record = self.jobs.get((project, job_id))
        if record is None:
            raise ApiError(404, "NOT_FOUND", f"Not found: Job projects/{project}/jobs/{job_id}")
        return record

    def cancel_job(self, project: str, job_id: str) -> dict[str, Any]:
        with self.lock:
            record = self.job(project, job_id)
            if record.job.status.state not in JOB_TERMINAL:
                _set_status(record.job, dp.JobStatus, JobState.CANCEL_PENDING)
            answer = json.loads(dp.Job.to_json(record.job))
        self.log_event(event="job_cancel_requested", job=job_id)
        return answer

    def submission(self, record: JobRecord) -> list[str]:
        """The spark-submit command line Dataproc's agent would run for the job."""
        job = record.job
        cluster = self.cluster(job.reference.project_id, record.region, job.placement.cluster_name)
        args = ["spark-submit"]
        for key, value in sorted(cluster.cluster.config.software_config.properties.items()):
            if key.startswith("spark:"):
                args += ["--conf", f"{key.removeprefix('spark:')}={value}"]
        py = job.pyspark_job
        for key, value in sorted(py.properties.items()):
            args += ["--conf", f"{key}={value}"]
        for option, uris in (
            ("--py-files", py.python_file_uris),
            ("--files", py.file_uris),
            ("--jars", py.jar_file_uris),
            ("--archives", py.archive_uris),
        ):
            if uris:
                args += [option, ",".join(uris)]
        return [*args, py.main_python_file_uri, *py.args]

    def _finish(self, record: JobRecord, state: Any, detail: str = "") -> None:
        if record.slot:
            record.slot = False
            self.slots.release()
        job = record.job
        if record.run is not None:
            o = record.run.outcome
            uri = job.driver_output_resource_uri + ".000000000"
            bucket, _, key = uri.removeprefix("gs://").partition("/")
            try:  # a courtesy, like the real agent's upload: a missing bucket fails nothing
                self.gcs.bucket(bucket).blob(key).upload_from_string(o.stdout + o.stderr)
            except Exception as exc:
                self.log_event(event="driver_output_lost", job=job.reference.job_id, exc=repr(exc))
        _set_status(job, dp.JobStatus, state, detail)
        job.done = True
        self.log_event(event="job_ended", job=job.reference.job_id, state=state.name)

    def tick_jobs(self) -> None:
        for record in [r for r in self.jobs.values() if r.job.status.state not in JOB_TERMINAL]:
            job, state = record.job, record.job.status.state
            job_id = job.reference.job_id
            key = (job.reference.project_id, record.region, job.placement.cluster_name)
            cluster = self.clusters.get(key)
            gone = cluster is None or cluster.cluster.status.state == ClusterState.DELETING
            if state in (JobState.CANCEL_PENDING, JobState.CANCEL_STARTED) or gone:
                why = "Job cancelled by user" if not gone else "Cluster was deleted"
                if record.run is not None and not record.run.done:
                    record.run.kill(why)
                    record.run.wait(20)
                    self.log_event(event="job_killed", job=job_id, reason=why)
                self._finish(record, JobState.CANCELLED if not gone else JobState.ERROR, why)
            elif state == JobState.PENDING:
                if time.time() - record.submitted >= self.start_delay():
                    _set_status(job, dp.JobStatus, JobState.SETUP_DONE)
            elif state == JobState.SETUP_DONE:
                if self.slots.acquire(blocking=False):
                    record.slot = True
                    workdir = self.workdir / "runs" / job_id
                    record.run = SparkRun(
                        job_id,
                        self.submission(record),
                        job_env(self.base_env, {}),
                        workdir,
                        self.fetcher,
                    )
                    record.run.start()
                    _set_status(job, dp.JobStatus, JobState.RUNNING)
                    self.log_event(event="job_started", job=job_id)
            elif state == JobState.RUNNING and record.run is not None and record.run.done:
                o = record.run.outcome
                if o.exit_code == 0 and not o.killed:
                    self._finish(record, JobState.DONE)
                else:
                    self._finish(record, JobState.ERROR, failure_details(record))

    def stop_all(self) -> None:
        for record in list(self.jobs.values()):
            if record.run is not None and not record.run.done:
                record.run.kill("emulator stopped")
                record.run.wait(20)


def failure_details(record: JobRecord) -> str:
    """Dataproc's words for a failed PySpark job: the exception the driver died of."""
    assert record.run is not None
    o = record.run.outcome
    output = f"{o.stdout}\n{o.stderr}"
    errors = re.findall(r"^\w+(?:Error|Exception)\b.*$", output, flags=re.MULTILINE)
    why = errors[-1] if errors else (o.killed or tail(o.stderr, 3) or f"exit code {o.exit_code}")
    return (
        f"Job failed with message [{why}]. Additional details can be found at:\n"
        f"{record.job.driver_output_resource_uri}.*"
    )


ROUTE = re.compile(r"^/v1/projects/(?P<project>[^/]+)/regions/(?P<region>[^/]+)/(?P<rest>.+)$")


def make_handler(
    backend: Backend, requests: RequestLog | None = None
) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            return None

        def _answer(self, code: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json; charset=UTF-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            if requests is not None:
                requests.record(self.command, self.path, self.headers.items(), raw)
            url = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            try:
                body = json.loads(raw) if raw else {}
                match = ROUTE.match(url.path)
                if match is None:
                    raise ApiError(404, "NOT_FOUND", f"no such method {url.path}")
                route = self._route(match["project"], match["region"], match["rest"], query, body)
                backend.maybe_throttle(f"{self.command} {match['rest']}")
                backend.maybe_fail_call(self.command, match["rest"])
                with backend.lock:
                    answer = route()
                self._answer(200, answer)
            except ApiError as exc:
                self._answer(
                    exc.code,
                    {"error": {"code": exc.code, "message": exc.message, "status": exc.status}},
                )
            except Exception as exc:  # a bug here must answer, not hang the client
                backend.log_event(event="api_error", path=url.path, error=repr(exc))
                self._answer(
                    500, {"error": {"code": 500, "message": repr(exc), "status": "INTERNAL"}}
                )

        def _route(
            self, project: str, region: str, rest: str, query: dict[str, str], body: Any
        ) -> Callable[[], dict[str, Any]]:
            b, method = backend, self.command
            parts = rest.split("/")
            if rest == "jobs:submit" and method == "POST":
                return lambda: b.submit_job(project, region, body)
            if rest == "jobs" and method == "GET":
                return lambda: list_jobs(b, project, region, query)
            if parts[0] == "jobs" and len(parts) == 2:
                job_id, _, verb = parts[1].partition(":")
                if verb == "cancel" and method == "POST":
                    return lambda: b.cancel_job(project, job_id)
                if not verb and method == "GET":
                    return lambda: json.loads(dp.Job.to_json(b.job(project, job_id).job))
            if rest == "clusters" and method == "POST":
                return lambda: b.create_cluster(project, region, body, query.get("requestId", ""))
            if rest == "clusters" and method == "GET":
                return lambda: {
                    "clusters": [
                        json.loads(dp.Cluster.to_json(r.cluster))
                        for k, r in list(b.clusters.items())
                        if k[:2] == (project, region)
                    ]
                }
            if parts[0] == "clusters" and len(parts) == 2:
                name = parts[1]
                if method == "GET":
                    return lambda: json.loads(
                        dp.Cluster.to_json(b.cluster(project, region, name).cluster)
                    )
                if method == "DELETE":
                    return lambda: b.delete_cluster(project, region, name)
            if parts[0] == "operations" and len(parts) == 2 and method == "GET":
                op = f"projects/{project}/regions/{region}/{rest}"
                if op not in b.operations:
                    raise ApiError(404, "NOT_FOUND", f"Not found: {op}")
                return lambda: b.operation_json(op)
            raise ApiError(404, "NOT_FOUND", f"no such method {method} {rest}")

        do_GET = do_POST = do_DELETE = _handle

    return Handler


def dataproc_call_kind(method: str, rest: str) -> CallKind:
    """Which kind of call a Dataproc request is, for bursts of faults."""
    if rest in ("jobs:submit", "clusters") and method == "POST":
        return "submit"
    if rest in ("jobs", "clusters") and method == "GET":
        return "list"
    if rest.endswith(":cancel") or method == "DELETE":
        return "cancel"
    return "get"


def list_jobs(b: Backend, project: str, region: str, query: dict[str, str]) -> dict[str, Any]:
    cluster = query.get("clusterName")
    jobs = [
        json.loads(dp.Job.to_json(r.job))
        for (p, _), r in list(b.jobs.items())
        if p == project
        and r.region == region
        and (not cluster or r.job.placement.cluster_name == cluster)
    ]
    return {"jobs": jobs}


def serve(backend: Backend, port: int, requests: RequestLog | None = None) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer(("127.0.0.1", port), make_handler(backend, requests))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="dataproc-api", daemon=True).start()
    return server
