"""`emr`: EMR on EC2, a new cluster per run, through dagster-aws `PipesEMRClient`.

The subclass keeps Dagster's session handling and fixes what bites: Pipes variables merged into
the user's classifications correctly, our own wait (no 30-minute waiter cap), every step's state
checked (a failed step is never a success), spot loss and capacity errors named as such.
"""

from __future__ import annotations

import copy
from typing import Any, ClassVar, Literal

from pydantic import Field

from paasport.platforms.aws.common import (
    S3_URI,
    AwsPlatform,
    AwsProfile,
    Waited,
    WaitingClient,
    boto_client,
    classify_failure,
    console_url,
    cost_tags,
    message_reader,
    run_client,
    spark_conf_args,
)
from paasport.platforms.aws.emr_config import (
    default_configurations,
    merge_configurations,
    pipes_env_configurations,
)
from paasport.platforms.base import Capabilities, LaunchRequest, ProfileBase, RunFacts
from paasport.platforms.launch_records import record_ids
from paasport.platforms.packaging import Artifacts
from paasport.platforms.remote import MAX_BACKOFF_S

TERMINAL = {"TERMINATED", "TERMINATED_WITH_ERRORS"}


class EmrProfile(AwsProfile):
    platform: Literal["emr"] = "emr"
    release_label: str = Field("emr-7.5.0", pattern=r"^emr-\d+\.\d+\.\d+$")
    service_role: str = Field("EMR_DefaultRole", description="role name or ARN")
    job_flow_role: str = Field("EMR_EC2_DefaultRole", description="instance profile name")
    log_uri: str | None = Field(None, pattern=S3_URI)
    subnet_ids: list[str] = Field(default_factory=list)
    #: instance fleets (several types per role, Spot with fallback) or plain instance groups
    instance_fleets: bool = True
    master_instance_types: list[str] = Field(default_factory=lambda: ["m5.xlarge", "m6i.xlarge"])
    core_instance_types: list[str] = Field(
        default_factory=lambda: ["m5.xlarge", "m5a.xlarge", "m6i.xlarge"]
    )
    task_instance_types: list[str] = Field(
        default_factory=lambda: ["m5.xlarge", "m5a.xlarge", "m6i.xlarge", "r5.xlarge"]
    )
    core_on_demand_count: int = Field(2, ge=1)
    task_spot_count: int = Field(0, ge=0)
    spot_bid_percent: int = Field(100, ge=1, le=100, description="% of the on-demand price")
    spot_timeout_minutes: int = Field(10, ge=5, le=1440)
    spot_timeout_action: Literal["SWITCH_TO_ON_DEMAND", "TERMINATE_CLUSTER"] = "SWITCH_TO_ON_DEMAND"
    am_on_core_nodes: bool = True
    maximize_resource_allocation: bool = True
    delta_vacuum_parallel_delete: bool = True
    idle_timeout_s: int = Field(3600, ge=60, le=7 * 24 * 3600)
    configurations: list[dict[str, Any]] = Field(default_factory=list)
    bootstrap_actions: list[dict[str, Any]] = Field(default_factory=list)
    capacity_retries: int = Field(3, ge=0)
    retry_backoff_s: float = Field(30.0, ge=0, le=MAX_BACKOFF_S)


def _fleet(role: str, types: list[str], on_demand: int, spot: int, p: EmrProfile) -> dict[str, Any]:
    fleet: dict[str, Any] = {
        "Name": role.lower(),
        "InstanceFleetType": role,
        "TargetOnDemandCapacity": on_demand,
        "TargetSpotCapacity": spot,
        "InstanceTypeConfigs": [
            {
                "InstanceType": t,
                "WeightedCapacity": 1,
                "BidPriceAsPercentageOfOnDemandPrice": float(p.spot_bid_percent),
            }
            for t in types
        ],
    }
    if spot:
        fleet["LaunchSpecifications"] = {
            "SpotSpecification": {
                "TimeoutDurationMinutes": p.spot_timeout_minutes,
                "TimeoutAction": p.spot_timeout_action,
                "AllocationStrategy": "capacity-optimized",
            }
        }
    return fleet


def instances(p: EmrProfile) -> dict[str, Any]:
    out: dict[str, Any] = {"KeepJobFlowAliveWhenNoSteps": False, "TerminationProtected": False}
    if p.subnet_ids:
        out["Ec2SubnetIds" if p.instance_fleets else "Ec2SubnetId"] = (
            p.subnet_ids if p.instance_fleets else p.subnet_ids[0]
        )
    if p.instance_fleets:
        out["InstanceFleets"] = [
            _fleet("MASTER", p.master_instance_types, 1, 0, p),
            _fleet("CORE", p.core_instance_types, p.core_on_demand_count, 0, p),
        ]
        if p.task_spot_count:
            out["InstanceFleets"].append(
                _fleet("TASK", p.task_instance_types, 0, p.task_spot_count, p)
            )
        return out
    groups = [
        {"Name": "master", "InstanceRole": "MASTER", "Market": "ON_DEMAND",
         "InstanceType": p.master_instance_types[0], "InstanceCount": 1},
        {"Name": "core", "InstanceRole": "CORE", "Market": "ON_DEMAND",
         "InstanceType": p.core_instance_types[0], "InstanceCount": p.core_on_demand_count},
    ]  # fmt: skip
    if p.task_spot_count:
        groups.append(
            {"Name": "task", "InstanceRole": "TASK", "Market": "SPOT",
             "InstanceType": p.task_instance_types[0], "InstanceCount": p.task_spot_count}
        )  # fmt: skip
    out["InstanceGroups"] = groups
    return out


def run_job_flow_params(p: EmrProfile, request: LaunchRequest, art: Artifacts) -> dict[str, Any]:
    """The RunJobFlow request for one run (pure: a new dict every call)."""
    submit = ["spark-submit", "--deploy-mode", "cluster", *spark_conf_args(request.spark_conf)]
    if art.wheel_uri:
        submit += ["--py-files", art.wheel_uri]
    submit.append(art.script_uri)
    name = f"paasport-{request.params.asset or 'job'}"
    if request.params.partition_key:
        name += f"[{request.params.partition_key}]"
    defaults = default_configurations(
        am_on_core=p.am_on_core_nodes,
        maximize_resources=p.maximize_resource_allocation and not p.instance_fleets,
        delta_parallel_delete=p.delta_vacuum_parallel_delete,
    )
    params: dict[str, Any] = {
        "Name": name[:256],
        "ReleaseLabel": p.release_label,
        "Applications": [{"Name": "Spark"}],
        "ServiceRole": p.service_role,
        "JobFlowRole": p.job_flow_role,
        "VisibleToAllUsers": True,
        "Instances": instances(p),
        "Configurations": merge_configurations(defaults, p.configurations),
        "Steps": [
            {
                "Name": name[:256],
                "ActionOnFailure": "TERMINATE_CLUSTER",
                "HadoopJarStep": {"Jar": "command-runner.jar", "Args": submit},
            }
        ],
        "AutoTerminationPolicy": {"IdleTimeout": p.idle_timeout_s},
        "Tags": [
            {"Key": k, "Value": v} for k, v in cost_tags(p, request, art.code_version).items()
        ],
    }
    if p.log_uri:
        params["LogUri"] = p.log_uri
    if p.bootstrap_actions:
        params["BootstrapActions"] = copy.deepcopy(p.bootstrap_actions)
    return params


def instance_summary(params: dict[str, Any]) -> list[dict[str, Any]]:
    """Requested instances per role: types, on-demand and Spot counts (for run facts)."""
    spec = params["Instances"]
    if "InstanceFleets" in spec:
        return [
            {"role": f["InstanceFleetType"],
             "types": [c["InstanceType"] for c in f["InstanceTypeConfigs"]],
             "on_demand": f["TargetOnDemandCapacity"], "spot": f["TargetSpotCapacity"]}
            for f in spec["InstanceFleets"]
        ]  # fmt: skip
    return [
        {"role": g["InstanceRole"], "types": [g["InstanceType"]],
         "on_demand": g["InstanceCount"] if g["Market"] == "ON_DEMAND" else 0,
         "spot": g["InstanceCount"] if g["Market"] == "SPOT" else 0}
        for g in spec["InstanceGroups"]
    ]  # fmt: skip


def terminate(client: Any, cluster_id: str) -> Any:
    """End the cluster: the asset timeout, an interrupted run and `paasport gc` alike."""
    return client.terminate_job_flows(JobFlowIds=[cluster_id])


def _client_class() -> type[Any]:
    from dagster_aws.pipes import PipesEMRClient

    class Client(WaitingClient, PipesEMRClient):
        """PipesEMRClient with a correct merge, our wait, and checked step states."""

        def _enrich_params(self, session: Any, params: Any) -> Any:
            params["Configurations"] = merge_configurations(
                params.get("Configurations", []),
                pipes_env_configurations(session.get_bootstrap_env_vars()),
            )
            tags = list(params.get("Tags", []))
            tags += [
                {"Key": k, "Value": v} for k, v in session.default_remote_invocation_info.items()
            ]
            params["Tags"] = tags
            return params

        def _wait_for_completion(self, context: Any, response: Any) -> Any:
            cluster_id = response["JobFlowId"]
            record_ids(emr_cluster_id=cluster_id)
            self.wait(
                context,
                f"emr {cluster_id}",
                lambda: self.client.describe_cluster(ClusterId=cluster_id),
                lambda r: str(r["Cluster"]["Status"]["State"]),
                TERMINAL,
                lambda: terminate(self.client, cluster_id),
            )
            assert self.waited is not None
            cluster = self.waited.response["Cluster"]
            steps = self.client.list_steps(ClusterId=cluster_id)["Steps"]
            if any(s["Status"].get("Timeline", {}).get("StartDateTime") for s in steps):
                self._add_step_log_readers(context, response)
            failed = [s for s in steps if s["Status"]["State"] != "COMPLETED"]
            if cluster["Status"]["State"] != "TERMINATED" or failed or not steps:
                reason = cluster["Status"].get("StateChangeReason", {}).get("Message") or ""
                detail = "; ".join(
                    f"step {s['Id']} {s['Status']['State']}: "
                    f"{s['Status'].get('StateChangeReason', {}).get('Message') or ''}"
                    for s in failed
                )
                kind = classify_failure(f"{reason} {detail}")
                raise kind(
                    f"EMR cluster {cluster_id} ended {cluster['Status']['State']}"
                    f"{' (spot loss)' if kind.kind == 'spot_loss' else ''}"
                    f"{' (capacity error)' if kind.kind == 'capacity' else ''}: {reason}"
                    + (f"; {detail}" if detail else ""),
                    facts={"cluster_id": cluster_id},
                )
            return self.waited.response

        def _add_log_readers(self, context: Any, response: Any) -> None:
            # called at start, when no step has run: a reader for a log that never appears
            # (the cluster failed to start) holds the session open for 60 s; added after the wait
            return None

        def _add_step_log_readers(self, context: Any, response: Any) -> None:
            super()._add_log_readers(context, response)
            # the readers poll every 10 s by default, and twice more after the run ended
            for reader in getattr(self.message_reader, "log_readers", {}).values():
                reader.interval = self.profile.pipes_poll_s

        def _read_application_logs(self, context: Any, session: Any, response: Any) -> None:
            # the base class fails on a log prefix without objects; step logs are read anyway
            return None

    return Client


class EmrPlatform(AwsPlatform[EmrProfile]):
    name: ClassVar[str] = "emr"
    capabilities: ClassVar[Capabilities] = Capabilities(spot=True, pipes_transport="s3")
    profile_model: ClassVar[type[ProfileBase]] = EmrProfile

    def capacity_retries(self) -> tuple[int, float]:
        return self.profile.capacity_retries, self.profile.retry_backoff_s

    def role(self) -> str | None:
        return self.profile.service_role

    def pricing_facts(self, request: LaunchRequest) -> dict[str, Any]:
        """Instances per role at the first (preferred) type of each fleet or group."""
        p = self.profile
        roles = [("MASTER", p.master_instance_types, 1, 0),
                 ("CORE", p.core_instance_types, p.core_on_demand_count, 0),
                 ("TASK", p.task_instance_types, 0, p.task_spot_count)]  # fmt: skip
        groups: list[dict[str, Any]] = []
        for role, types, on_demand, spot in roles:
            if not on_demand + spot:
                continue
            group: dict[str, Any] = {"role": role, "type": types[0], "on_demand": on_demand,
                                     "spot": spot}  # fmt: skip
            if p.instance_fleets and len(types) > 1:
                group["assumption"] = (
                    f"the {role.lower()} fleet is priced as {types[0]}, its first instance type"
                )
            groups.append(group)
        return {"region": p.region, "instances": groups}

    def run_once(
        self, context: Any, request: LaunchRequest, artifacts: Artifacts, s3: Any
    ) -> tuple[list[Any], RunFacts]:
        p = self.profile
        params = run_job_flow_params(p, request, artifacts)
        client = _client_class()(
            p,
            request.timeout_s,
            guard=request.budget,
            client=boto_client("emr", p.region),
            message_reader=message_reader(p, s3),
            wait_for_s3_logs_seconds=0,
        )
        results, waited = run_client(client, context, request, run_job_flow_params=params)
        return results, self.facts(waited, params)

    def facts(self, waited: Waited, params: dict[str, Any]) -> RunFacts:
        cluster = waited.response["Cluster"]
        ready = waited.seconds_until("RUNNING", "WAITING")
        ended = waited.seconds_until(*TERMINAL)
        region = self.profile.region
        return RunFacts(
            platform=self.name,
            profile=self.profile_name,
            run_ids={"emr_cluster_id": cluster["Id"]},
            console_url=console_url(
                region, f"emr/home?region={region}#/clusterDetails/{cluster['Id']}"
            ),
            queue_s=0.0,
            startup_s=ready,
            run_s=(ended - ready) if ended is not None and ready is not None else None,
            extra={
                "release_label": self.profile.release_label,
                "state": cluster["Status"]["State"],
                "normalized_instance_hours": cluster.get("NormalizedInstanceHours", 0),
                "instances": instance_summary(params),
                "log_uri": self.profile.log_uri,
            },
        )
