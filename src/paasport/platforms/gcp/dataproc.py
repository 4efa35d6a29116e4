"""`dataproc`: a PySpark job on GCP Dataproc via dagster-gcp `PipesDataprocJobClient`.

The job runs on an existing cluster (`cluster_name`) or on a cluster paasport creates for the
run and deletes after it. Pipes context and messages travel through GCS. The subclass fixes
what bites in dagster-gcp 0.29.27: it polls and cancels by the job's *id* (the client uses the
job's UUID, which Dataproc's get/cancel do not accept), waits with our backoff and the asset's
timeout instead of a fixed sleep without limit, retries throttled calls, keeps labels within
GCP's rules, and reports a failed job with the tail of its driver output.

Dataproc Serverless (batches) is not supported: dagster-gcp has no Pipes client for it.
"""

from __future__ import annotations

import hashlib
import re
import time
import uuid
from datetime import datetime
from typing import Any, ClassVar, Literal

from google.api_core import exceptions as gexc
from google.cloud import dataproc_v1 as dp
from pydantic import Field, field_validator, model_validator

from paasport.platforms.base import Capabilities, LaunchRequest, ProfileBase, RunFacts
from paasport.platforms.gcp.common import (
    GcpProfile,
    GcsStore,
    api_retry,
    check_endpoint,
    classify_failure,
    cost_labels,
    credentials_for,
    gcs_client,
    pipes_io,
    sanitize_labels,
    tail_of_blobs,
)
from paasport.platforms.launch_records import record_ids
from paasport.platforms.packaging import Artifacts, ArtifactStore
from paasport.platforms.remote import (
    MAX_BACKOFF_S,
    RemotePlatform,
    WaitingClient,
    run_client,
    wait_until_done,
)

JOB_TERMINAL = {"DONE", "ERROR", "CANCELLED", "ATTEMPT_FAILURE"}
CLUSTER_TERMINAL = {"RUNNING", "ERROR", "ERROR_DUE_TO_UPDATE", "DELETING", "STOPPED"}
CLUSTER_NAME = r"^[a-z](?:[a-z0-9\-]{0,49}[a-z0-9])?$"
MACHINE_TYPE = r"^[a-z][a-z0-9\-]+$"
#: fields that shape a cluster paasport creates; meaningless with an existing cluster
PER_RUN_FIELDS = (
    "image_version",
    "zone",
    "master_machine_type",
    "worker_machine_type",
    "worker_count",
    "secondary_worker_count",
    "secondary_worker_type",
    "boot_disk_gb",
    "service_account",
    "subnetwork",
    "cluster_properties",
    "idle_delete_s",
)
PREEMPTIBILITY: dict[str, Any] = {
    "spot": dp.InstanceGroupConfig.Preemptibility.SPOT,
    "preemptible": dp.InstanceGroupConfig.Preemptibility.PREEMPTIBLE,
    "non-preemptible": dp.InstanceGroupConfig.Preemptibility.NON_PREEMPTIBLE,
}


class DataprocProfile(GcpProfile):
    platform: Literal["dataproc"] = "dataproc"
    cluster_name: str | None = Field(
        None, pattern=CLUSTER_NAME, description="run on this cluster; unset: a cluster per run"
    )
    # a cluster per run
    image_version: str = Field("2.2-debian12", pattern=r"^\d+\.\d+(\.\d+)?(-[a-z0-9]+)?$")
    zone: str | None = Field(None, pattern=r"^[a-z]+-[a-z]+\d+-[a-z]$")
    master_machine_type: str = Field("n2-standard-4", pattern=MACHINE_TYPE)
    worker_machine_type: str = Field("n2-standard-4", pattern=MACHINE_TYPE)
    worker_count: int = Field(2, ge=0, description="primary workers: 0 (single node) or >= 2")
    secondary_worker_count: int = Field(0, ge=0, description="secondary workers (spot option)")
    secondary_worker_type: Literal["spot", "preemptible", "non-preemptible"] = "spot"
    boot_disk_gb: int | None = Field(None, ge=30, le=65536)
    service_account: str | None = Field(None, pattern=r"^[^@\s]+@[^@\s]+$")
    subnetwork: str | None = None
    cluster_properties: dict[str, str] = Field(
        default_factory=dict, description="software_config.properties, e.g. spark:spark.x"
    )
    idle_delete_s: int = Field(1800, ge=600, le=14 * 24 * 3600, description="safety net")
    # every run
    api_endpoint: str | None = Field(None, description="default: <region>-dataproc.googleapis.com")
    capacity_retries: int = Field(3, ge=0)
    retry_backoff_s: float = Field(30.0, ge=0, le=MAX_BACKOFF_S)

    @field_validator("worker_count")
    @classmethod
    def _workers(cls, value: int) -> int:
        if value == 1:
            raise ValueError("Dataproc needs 0 (a single-node cluster) or at least 2 workers")
        return value

    @field_validator("api_endpoint")
    @classmethod
    def _endpoint(cls, value: str | None) -> str | None:
        return check_endpoint(value)

    @model_validator(mode="after")
    def _one_cluster_source(self) -> DataprocProfile:
        if self.cluster_name is not None:
            given = sorted(f for f in PER_RUN_FIELDS if f in self.model_fields_set)
            if given:
                raise ValueError(
                    f"{', '.join(given)}: only for a cluster per run, but cluster_name "
                    f"'{self.cluster_name}' names an existing cluster; remove one or the other"
                )
        elif self.worker_count == 0 and self.secondary_worker_count:
            raise ValueError("secondary_worker_count: a single-node cluster has no workers")
        return self

    def endpoint(self) -> str:
        return self.api_endpoint or f"https://{self.region}-dataproc.googleapis.com"


def _slug(text: str, size: int) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:size].strip("-")


def per_run_cluster_name(request: LaunchRequest) -> str:
    """`paasport-<asset>-<8 random hex>`: new for every attempt (a deleting name stays taken)."""
    asset = _slug(request.params.asset or "job", 30) or "job"
    return f"paasport-{asset}-{uuid.uuid4().hex[:8]}"


def job_id_for(request: LaunchRequest) -> str:
    """A readable, unique job id: asset, partition, then a random suffix."""
    base = _slug(f"{request.params.asset or 'job'}-{request.params.partition_key or ''}", 60)
    return f"paasport-{base}-{uuid.uuid4().hex[:12]}"


def cluster_spec(p: DataprocProfile, name: str, labels: dict[str, str]) -> dp.Cluster:
    """The cluster paasport creates for one run (pure)."""

    def group(machine: str, count: int) -> dp.InstanceGroupConfig:
        out = dp.InstanceGroupConfig(num_instances=count, machine_type_uri=machine)
        if p.boot_disk_gb:
            out.disk_config = dp.DiskConfig(boot_disk_size_gb=p.boot_disk_gb)
        return out

    properties = dict(p.cluster_properties)
    if p.worker_count == 0:
        properties.setdefault("dataproc:dataproc.allow.zero.workers", "true")
    config = dp.ClusterConfig(
        config_bucket=p.bucket,
        gce_cluster_config=dp.GceClusterConfig(
            zone_uri=p.zone or "",
            service_account=p.service_account or "",
            subnetwork_uri=p.subnetwork or "",
        ),
        master_config=group(p.master_machine_type, 1),
        worker_config=group(p.worker_machine_type, p.worker_count),
        software_config=dp.SoftwareConfig(image_version=p.image_version, properties=properties),
        # if paasport dies before deleting it, the cluster deletes itself when idle
        lifecycle_config=dp.LifecycleConfig(idle_delete_ttl=f"{p.idle_delete_s}s"),
    )
    if p.secondary_worker_count:
        secondary = group(p.worker_machine_type, p.secondary_worker_count)
        secondary.preemptibility = PREEMPTIBILITY[p.secondary_worker_type]
        config.secondary_worker_config = secondary
    return dp.Cluster(project_id=p.project, cluster_name=name, config=config, labels=labels)


def submit_request(
    p: DataprocProfile,
    request: LaunchRequest,
    art: Artifacts,
    cluster_name: str,
    labels: dict[str, str],
    job_id: str,
) -> dp.SubmitJobRequest:
    """The SubmitJob request (pure but for its ids). `request_id` makes retries idempotent."""
    pyspark = dp.PySparkJob(
        main_python_file_uri=art.script_uri,
        python_file_uris=[art.wheel_uri] if art.wheel_uri else [],
        properties={k: str(v) for k, v in request.spark_conf.items()},
    )
    job = dp.Job(
        reference=dp.JobReference(project_id=p.project, job_id=job_id),
        placement=dp.JobPlacement(cluster_name=cluster_name),
        pyspark_job=pyspark,
        labels=labels,
    )
    return dp.SubmitJobRequest(
        project_id=p.project, region=p.region, job=job, request_id=uuid.uuid4().hex
    )


def _vcpus(machine_type: str) -> int | None:
    """vCPUs of a predefined or custom machine type (n2-standard-4: 4; n2-custom-6-...: 6)."""
    name = machine_type.rsplit("/", 1)[-1]
    custom = re.search(r"custom-(\d+)-\d+", name)
    if custom:
        return int(custom.group(1))
    last = re.search(r"-(\d+)$", name)
    return int(last.group(1)) if last else None


def cluster_shape(cluster: dp.Cluster) -> dict[str, Any]:
    """Machine types and counts per role, the secondary workers' preemptibility, total vCPUs."""
    c = cluster.config
    roles = {
        "master": c.master_config,
        "workers": c.worker_config,
        "secondary_workers": c.secondary_worker_config,
    }
    shape: dict[str, Any] = {}
    vcpus: int | None = 0
    for role, group in roles.items():
        if not group.num_instances:
            continue
        machine = group.machine_type_uri.rsplit("/", 1)[-1]
        shape[role] = {"machine_type": machine, "count": group.num_instances}
        if group.disk_config.boot_disk_size_gb:
            shape["boot_disk_gb"] = group.disk_config.boot_disk_size_gb
        if role == "secondary_workers":
            shape[role]["preemptibility"] = group.preemptibility.name
        each = _vcpus(machine)
        vcpus = None if vcpus is None or each is None else vcpus + each * group.num_instances
    shape["preemptible_count"] = (
        c.secondary_worker_config.num_instances
        if c.secondary_worker_config.preemptibility.name != "NON_PREEMPTIBLE"
        else 0
    )
    shape["vcpus"] = vcpus
    shape["image_version"] = c.software_config.image_version
    return shape


def _history(states: Any) -> dict[str, datetime]:
    """When each state was first entered, from a status history (+ the current status)."""
    out: dict[str, datetime] = {}
    for status in states:
        start = status.state_start_time
        if start and status.state.name not in out:
            out[status.state.name] = start
    return out


def _between(seen: dict[str, datetime], start: str, *ends: str) -> float | None:
    end = next((seen[e] for e in ends if e in seen), None)
    if start not in seen or end is None:
        return None
    return max(0.0, (end - seen[start]).total_seconds())


def job_durations(job: dp.Job) -> dict[str, float | None]:
    """From the job's status history: queue (PENDING->SETUP_DONE), start-up (->RUNNING), run."""
    seen = _history([*job.status_history, job.status])
    return {
        "queue_s": _between(seen, "PENDING", "SETUP_DONE", "RUNNING"),
        "startup_s": _between(seen, "SETUP_DONE", "RUNNING"),
        "run_s": _between(seen, "RUNNING", *sorted(JOB_TERMINAL)),
    }


def console_url(p: DataprocProfile, job_id: str) -> str:
    return (
        f"https://console.cloud.google.com/dataproc/jobs/{job_id}"
        f"?project={p.project}&region={p.region}"
    )


def job_facts(
    platform: str, profile_name: str, p: DataprocProfile, job: dp.Job, cluster: dp.Cluster | None
) -> RunFacts:
    """Run facts from the job's final answer and its cluster (pure)."""
    facts = RunFacts(
        platform=platform,
        profile=profile_name,
        run_ids={
            "dataproc_job_id": job.reference.job_id,
            "dataproc_job_uuid": job.job_uuid,
            "dataproc_cluster_name": job.placement.cluster_name,
            "dataproc_cluster_uuid": job.placement.cluster_uuid,
        },
        console_url=console_url(p, job.reference.job_id),
        **job_durations(job),
        extra={
            "state": job.status.state.name,
            "project": p.project,
            "region": p.region,
            "driver_output_uri": job.driver_output_resource_uri or None,
            "yarn_applications": [a.name for a in job.yarn_applications],
            "labels": dict(job.labels),
        },
    )
    if cluster is not None:
        facts.extra["cluster"] = shape = cluster_shape(cluster)
        facts.extra["pricing"] = {
            "region": p.region,
            "boot_disk_gb": shape.get("boot_disk_gb"),
            "groups": [
                {"role": role, "machine_type": shape[role]["machine_type"],
                 "count": shape[role]["count"],
                 "preemptible": shape[role].get("preemptibility", "NON_PREEMPTIBLE")
                 != "NON_PREEMPTIBLE"}
                for role in ("master", "workers", "secondary_workers") if role in shape
            ],
        }  # fmt: skip
    return facts


def _client_class() -> type[Any]:
    from dagster_gcp.pipes import PipesDataprocJobClient

    class Client(WaitingClient, PipesDataprocJobClient):
        """PipesDataprocJobClient polling and cancelling by job id, with our wait and retries."""

        retry: Any = None
        gcs: Any = None

        def _enrich_submit_job_params(self, context: Any, session: Any, params: Any) -> Any:
            params = super()._enrich_submit_job_params(context, session, params)
            job = params["request"].job
            # Dagster's own labels keep dots and slashes out, but not length or leading digits
            job.labels = sanitize_labels(dict(job.labels))
            return params

        def _start(self, context: Any, params: Any) -> Any:
            job = self.client.submit_job(**params)
            context.log.info(
                f"[pipes] Dataproc job {job.reference.job_id} submitted to cluster "
                f"{job.placement.cluster_name} (uuid {job.job_uuid})"
            )
            return job

        def _ids(self, params: Any, job: Any) -> dict[str, Any]:
            request = params["request"]
            return {
                "project_id": request.project_id,
                "region": request.region,
                "job_id": job.reference.job_id,
            }

        def _wait_for_completion(self, context: Any, params: Any, job: Any) -> Any:
            ids = self._ids(params, job)
            self.wait(
                context,
                f"dataproc {ids['job_id']}",
                lambda: self.client.get_job(**ids, retry=self.retry),
                lambda j: str(j.status.state.name),
                JOB_TERMINAL,
                lambda: self.client.cancel_job(**ids, retry=self.retry),
            )
            assert self.waited is not None
            final = self.waited.response
            if final.status.state.name != "DONE":
                output = tail_of_blobs(self.gcs, final.driver_output_resource_uri)
                kind = classify_failure(final.status.details)
                raise kind(
                    f"Dataproc job {ids['job_id']} on cluster {final.placement.cluster_name} "
                    f"ended {final.status.state.name}: {final.status.details}"
                    + (f"\n--- driver output (last lines) ---\n{output}" if output else ""),
                    facts={"job_id": ids["job_id"], "cluster_name": final.placement.cluster_name},
                )
            return final

        def _terminate(self, context: Any, params: Any, job: Any) -> None:
            ids = self._ids(params, job)
            context.log.info(f"[pipes] cancelling Dataproc job {ids['job_id']}")
            self.client.cancel_job(**ids, retry=self.retry, timeout=10)

    return Client


class DataprocPlatform(RemotePlatform[DataprocProfile]):
    name: ClassVar[str] = "dataproc"
    capabilities: ClassVar[Capabilities] = Capabilities(
        spot=True, existing_cluster=True, pipes_transport="gcs"
    )
    profile_model: ClassVar[type[ProfileBase]] = DataprocProfile

    def pricing_facts(self, request: LaunchRequest) -> dict[str, Any]:
        """A per-run cluster's shape from the profile; an existing one's comes with its facts."""
        p = self.profile
        if p.cluster_name:
            return {"region": p.region, "cluster_name": p.cluster_name}
        groups = [("master", p.master_machine_type, 1, False),
                  ("workers", p.worker_machine_type, p.worker_count, False),
                  ("secondary_workers", p.worker_machine_type, p.secondary_worker_count,
                   p.secondary_worker_type != "non-preemptible")]  # fmt: skip
        return {
            "region": p.region,
            "boot_disk_gb": p.boot_disk_gb,
            "groups": [
                {"role": role, "machine_type": m, "count": n, "preemptible": spot}
                for role, m, n, spot in groups
                if n
            ],
        }

    def capacity_retries(self) -> tuple[int, float]:
        return self.profile.capacity_retries, self.profile.retry_backoff_s

    def artifact_store(self) -> tuple[ArtifactStore, Any]:
        gcs = gcs_client(self.profile)
        return GcsStore(gcs, self.profile.bucket), gcs

    def _controllers(self) -> tuple[Any, Any]:
        endpoint = self.profile.endpoint()
        options = {"api_endpoint": endpoint}
        creds = credentials_for(endpoint)
        return (
            dp.JobControllerClient(transport="rest", credentials=creds, client_options=options),
            dp.ClusterControllerClient(transport="rest", credentials=creds, client_options=options),
        )

    def run_once(
        self, context: Any, request: LaunchRequest, artifacts: Artifacts, storage: Any
    ) -> tuple[list[Any], RunFacts]:
        p = self.profile
        retry = api_retry(p.api_retry_s)
        jobs, clusters = self._controllers()
        labels = cost_labels(p, request, artifacts.code_version)
        started = time.monotonic()
        created: dict[str, Any] = {}
        cluster: dp.Cluster | None = None
        try:
            if p.cluster_name:
                cluster_name = p.cluster_name
            else:
                cluster_name = per_run_cluster_name(request)
                # named by paasport: recorded before it exists, so no crash leaves it unknown
                record_ids(dataproc_created_cluster=cluster_name)
                cluster = self._create_cluster(
                    context, clusters, cluster_name, labels, request, retry, created
                )
            job_id = job_id_for(request)
            record_ids(dataproc_job_id=job_id)
            submit = submit_request(p, request, artifacts, cluster_name, labels, job_id)
            left = (
                None
                if request.timeout_s is None
                else request.timeout_s - (time.monotonic() - started)
            )
            injector, reader = pipes_io(p, storage)
            client = _client_class()(
                p,
                max(left, 1.0) if left is not None else None,
                guard=request.budget,
                client=jobs,
                context_injector=injector,
                message_reader=reader,
                poll_interval=p.poll_s,
            )
            client.retry, client.gcs = retry, storage
            results, waited = run_client(
                client, context, request, submit_job_params={"request": submit, "retry": retry}
            )
            if cluster is None:
                cluster = self._get_cluster(clusters, cluster_name, retry)
            facts = job_facts(self.name, self.profile_name, p, waited.response, cluster)
        finally:
            if created:
                self._delete_cluster(context, clusters, created, retry)
        if created:
            facts.extra["cluster_create_s"] = created.get("create_s")
            facts.extra["cluster_s"] = created.get("lifetime_s")
        return results, facts

    def _get_cluster(self, clusters: Any, name: str, retry: Any) -> dp.Cluster | None:
        try:
            return clusters.get_cluster(
                project_id=self.profile.project,
                region=self.profile.region,
                cluster_name=name,
                retry=retry,
            )
        except gexc.GoogleAPICallError:  # the shape is a nice-to-have; the run succeeded
            return None

    def _create_cluster(
        self,
        context: Any,
        clusters: Any,
        name: str,
        labels: dict[str, str],
        request: LaunchRequest,
        retry: Any,
        created: dict[str, Any],
    ) -> dp.Cluster:
        p = self.profile
        spec = cluster_spec(p, name, labels)
        try:
            clusters.create_cluster(
                request=dp.CreateClusterRequest(
                    project_id=p.project,
                    region=p.region,
                    cluster=spec,
                    request_id=hashlib.sha256(name.encode()).hexdigest()[:40],
                ),
                retry=retry,
            )
        except gexc.GoogleAPICallError as exc:
            kind = classify_failure(str(exc))
            raise kind(f"Dataproc could not create cluster {name}: {exc}") from exc
        created.update(name=name, at=time.monotonic())
        context.log.info(
            f"creating Dataproc cluster {name} ({p.worker_count} workers, "
            f"{p.secondary_worker_count} {p.secondary_worker_type} secondary)"
        )
        waited = wait_until_done(
            lambda: clusters.get_cluster(
                project_id=p.project, region=p.region, cluster_name=name, retry=retry
            ),
            lambda c: str(c.status.state.name),
            CLUSTER_TERMINAL,
            poll_s=p.poll_s,
            poll_max_s=p.poll_max_s,
            timeout_s=request.timeout_s,
            guard=request.budget,
            on_timeout=lambda: None,  # deleted by the caller
            log=lambda m: context.log.info(f"[dataproc cluster {name}] {m}"),
        )
        cluster: dp.Cluster = waited.response
        if cluster.status.state.name != "RUNNING":
            detail = cluster.status.detail or cluster.status.state.name
            kind = classify_failure(detail)
            raise kind(
                f"Dataproc cluster {name} did not start"
                f"{' (capacity error)' if kind.kind == 'capacity' else ''}: {detail}",
                facts={"cluster_name": name},
            )
        seen = _history([*cluster.status_history, cluster.status])
        created["create_s"] = _between(seen, "CREATING", "RUNNING")
        return cluster

    def _delete_cluster(
        self, context: Any, clusters: Any, created: dict[str, Any], retry: Any
    ) -> None:
        p, name = self.profile, created["name"]
        created["lifetime_s"] = round(time.monotonic() - created["at"], 3)
        try:
            clusters.delete_cluster(
                request=dp.DeleteClusterRequest(
                    project_id=p.project,
                    region=p.region,
                    cluster_name=name,
                    request_id=hashlib.sha256(f"delete {name}".encode()).hexdigest()[:40],
                ),
                retry=retry,
                timeout=30,
            )
            context.log.info(f"deleting Dataproc cluster {name}")
        except gexc.NotFound:
            pass
        except gexc.GoogleAPICallError as exc:
            # the idle-delete TTL removes it later; say loudly that it is still there
            context.log.error(
                f"could not delete Dataproc cluster {name} ({exc}); it deletes itself after "
                f"{p.idle_delete_s} s idle, or delete it by hand"
            )
