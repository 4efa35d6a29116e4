"""`databricks`: a one-time run (Jobs API runs/submit) via dagster-databricks'
`PipesDatabricksClient`, on a new job cluster or an existing cluster.

The job's script and the project wheel go to DBFS or a Unity Catalog volume, content-addressed;
Pipes context and messages go through DBFS (or the volume named by `pipes_volume`). The run
facts carry what DBUs are billed on: node types, worker counts, Photon, and Databricks' own
setup and execution durations.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from dagster._core.errors import DagsterExecutionInterruptedError
from dagster_databricks import PipesDatabricksClient
from databricks.sdk.service import jobs
from pydantic import BaseModel, ConfigDict, Field, model_validator

from paasport.platforms.base import Capabilities, LaunchRequest, ProfileBase, RunFacts
from paasport.platforms.databricks.common import (
    VOLUME_PATH,
    DatabricksPlatformBase,
    DatabricksProfile,
    DbfsContextInjector,
    DbfsMessageReader,
    FixedClient,
    VolumesContextInjector,
    VolumesMessageReader,
    log_readers,
    run_facts,
    submit_args,
)
from paasport.platforms.packaging import Artifacts
from paasport.platforms.remote import MAX_BACKOFF_S, run_client

#: tells the job where Databricks delivers this cluster's logs (the job adds DB_CLUSTER_ID)
LOG_DESTINATION_VAR = "PAASPORT_CLUSTER_LOG_DESTINATION"


class Autoscale(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    min_workers: int = Field(ge=0)
    max_workers: int = Field(ge=1)

    @model_validator(mode="after")
    def _ordered(self) -> Autoscale:
        if self.max_workers < self.min_workers:
            raise ValueError("max_workers must be at least min_workers")
        return self


class DatabricksClassicProfile(DatabricksProfile):
    platform: Literal["databricks"] = "databricks"
    cloud: Literal["aws", "azure", "gcp"] = "aws"
    region: str = Field("us-east-1", description="the workspace's cloud region (VM prices)")
    existing_cluster_id: str | None = Field(None, description="run on this cluster instead")
    spark_version: str = Field("16.4.x-scala2.13", pattern=r"^\d+\.\d+\.x-.+$")
    node_type_id: str = "m5d.xlarge"
    driver_node_type_id: str | None = None
    num_workers: int = Field(2, ge=0)
    autoscale: Autoscale | None = None
    #: spot: SPOT_WITH_FALLBACK (default), SPOT or ON_DEMAND; the driver stays on-demand
    availability: Literal["SPOT_WITH_FALLBACK", "SPOT", "ON_DEMAND"] = "SPOT_WITH_FALLBACK"
    first_on_demand: int = Field(1, ge=0, description="nodes (driver first) kept on-demand")
    photon: bool = False
    init_scripts: list[str] = Field(
        default_factory=list, description="workspace or volume paths of init scripts"
    )
    extra_requirements: list[str] = Field(
        default_factory=list, description="pip requirements installed as cluster libraries"
    )
    cluster_log_path: str | None = Field(
        None, pattern=r"^dbfs:/.+$", description="dbfs:/ folder for cluster logs, forwarded"
    )
    pipes_volume: str | None = Field(
        None, pattern=VOLUME_PATH, description="Pipes through this volume instead of DBFS"
    )
    #: a new cluster that cannot start for lack of cloud capacity is tried again this often
    capacity_retries: int = Field(2, ge=0)
    retry_backoff_s: float = Field(30.0, ge=0, le=MAX_BACKOFF_S)

    def location(self) -> str | None:
        # an existing cluster's machines are not ours to place
        return None if self.existing_cluster_id else f"{self.cloud}:{self.region}"

    @model_validator(mode="after")
    def _cluster_choice(self) -> DatabricksClassicProfile:
        if self.existing_cluster_id and (self.autoscale or self.cluster_log_path):
            raise ValueError(
                "existing_cluster_id: autoscale and cluster_log_path belong to a new cluster"
            )
        return self


def cloud_attributes(p: DatabricksClassicProfile) -> dict[str, Any]:
    """Spot with fallback, the way each cloud spells it."""
    if p.cloud == "aws":
        return {"aws_attributes": {"availability": p.availability,
                                   "first_on_demand": p.first_on_demand}}  # fmt: skip
    azure = {"SPOT_WITH_FALLBACK": "SPOT_WITH_FALLBACK_AZURE", "SPOT": "SPOT_AZURE",
             "ON_DEMAND": "ON_DEMAND_AZURE"}[p.availability]  # fmt: skip
    if p.cloud == "azure":
        return {"azure_attributes": {"availability": azure, "first_on_demand": p.first_on_demand}}
    gcp = {"SPOT_WITH_FALLBACK": "PREEMPTIBLE_WITH_FALLBACK_GCP", "SPOT": "PREEMPTIBLE_GCP",
           "ON_DEMAND": "ON_DEMAND_GCP"}[p.availability]  # fmt: skip
    return {"gcp_attributes": {"availability": gcp}}


def new_cluster(
    p: DatabricksClassicProfile, request: LaunchRequest, tags: dict[str, str]
) -> dict[str, Any]:
    cluster: dict[str, Any] = {
        "spark_version": p.spark_version,
        "node_type_id": p.node_type_id,
        "driver_node_type_id": p.driver_node_type_id or p.node_type_id,
        "spark_conf": dict(request.spark_conf),
        "custom_tags": tags,
        "runtime_engine": "PHOTON" if p.photon else "STANDARD",
        **cloud_attributes(p),
    }
    if p.autoscale:
        cluster["autoscale"] = p.autoscale.model_dump()
    else:
        cluster["num_workers"] = p.num_workers
    if p.init_scripts:
        kind = "volumes" if p.init_scripts[0].startswith("/Volumes/") else "workspace"
        cluster["init_scripts"] = [{kind: {"destination": s}} for s in p.init_scripts]
    if p.cluster_log_path:
        cluster["cluster_log_conf"] = {"dbfs": {"destination": p.cluster_log_path}}
        cluster["spark_env_vars"] = {LOG_DESTINATION_VAR: p.cluster_log_path}
    return cluster


def submit_task(
    p: DatabricksClassicProfile, request: LaunchRequest, art: Artifacts, tags: dict[str, str]
) -> dict[str, Any]:
    """The task as the Jobs API takes it (the Pipes client adds its bootstrap parameters)."""
    libraries: list[dict[str, Any]] = [{"whl": art.wheel_uri}] if art.wheel_uri else []
    libraries += [{"pypi": {"package": r}} for r in p.extra_requirements]
    task: dict[str, Any] = {
        "task_key": "paasport",
        "spark_python_task": {"python_file": art.script_uri, "parameters": []},
        "libraries": libraries,
    }
    if p.existing_cluster_id:
        task["existing_cluster_id"] = p.existing_cluster_id
    else:
        task["new_cluster"] = new_cluster(p, request, tags)
    return task


def cluster_facts(p: DatabricksClassicProfile) -> dict[str, Any]:
    """What DBUs are billed on; an existing cluster's shape is its own."""
    if p.existing_cluster_id:
        return {"existing_cluster_id": p.existing_cluster_id}
    return {
        "node_type_id": p.node_type_id,
        "driver_node_type_id": p.driver_node_type_id or p.node_type_id,
        "num_workers": None if p.autoscale else p.num_workers,
        "autoscale": p.autoscale.model_dump() if p.autoscale else None,
        "photon": p.photon,
        "availability": p.availability,
        "spark_version": p.spark_version,
        "cloud": p.cloud,
    }


def pricing_facts(p: DatabricksClassicProfile) -> dict[str, Any]:
    if p.existing_cluster_id:  # its shape and bill are the cluster's own
        return {"existing_cluster_id": p.existing_cluster_id}
    return {
        "region": p.region,
        "node_type": p.node_type_id,
        "driver_node_type": p.driver_node_type_id or p.node_type_id,
        "workers": p.autoscale.max_workers if p.autoscale else p.num_workers,
        "autoscale": p.autoscale is not None,
        "photon": p.photon,
        "availability": p.availability,
    }


class DatabricksPlatform(DatabricksPlatformBase[DatabricksClassicProfile]):
    name: ClassVar[str] = "databricks"
    capabilities: ClassVar[Capabilities] = Capabilities(
        spot=True, existing_cluster=True, gpu=True, pipes_transport="dbfs or volume"
    )
    profile_model: ClassVar[type[ProfileBase]] = DatabricksClassicProfile

    def pricing_facts(self, request: LaunchRequest) -> dict[str, Any]:
        return pricing_facts(self.profile)

    def capacity_retries(self) -> tuple[int, float]:
        p = self.profile
        return (0 if p.existing_cluster_id else p.capacity_retries), p.retry_backoff_s

    def run_once(
        self, context: Any, request: LaunchRequest, artifacts: Artifacts, storage: Any
    ) -> tuple[list[Any], RunFacts]:
        p = self.profile
        tags = self.tags(request, artifacts.code_version)
        task = jobs.SubmitTask.from_dict(submit_task(p, request, artifacts, tags))
        if p.pipes_volume:
            injector: Any = VolumesContextInjector(client=storage, volume_path=p.pipes_volume)
            reader: Any = VolumesMessageReader(
                client=storage, volume_path=p.pipes_volume, interval=p.pipes_poll_s
            )
        else:
            injector = DbfsContextInjector(client=storage)
            reader = DbfsMessageReader(
                client=storage,
                interval=p.pipes_poll_s,
                log_readers=log_readers(p.cluster_log_path, storage),
            )

        class Client(FixedClient, PipesDatabricksClient):
            pass

        client = Client(
            p,
            request.timeout_s,
            guard=request.budget,
            client=storage,
            context_injector=injector,
            message_reader=reader,
        )
        args = submit_args(p, request)
        try:
            results, waited = run_client(client, context, request, task=task, submit_args=args)
        finally:
            if client.interrupted:  # the client cancelled the run, then swallowed this
                raise DagsterExecutionInterruptedError()
        run = waited.response
        facts = run_facts(
            self.name,
            self.profile_name,
            run,
            waited,
            {
                **cluster_facts(p),
                "idempotency_token": args["idempotency_token"],
                "tags": {**tags, **client.dagster_tags},
            },
        )
        return results, facts
