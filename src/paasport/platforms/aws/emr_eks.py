"""`emr_eks`: EMR on EKS (a job run on a virtual cluster) via `PipesEMRContainersClient`.

Pipes variables reach the driver through the `spark-env` classification; messages through S3.
The subclass replaces the fixed-delay wait with ours (backoff, asset timeout, cancellation).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Literal

from pydantic import Field

from paasport.platforms.aws.common import (
    ROLE_ARN,
    S3_URI,
    AwsPlatform,
    AwsProfile,
    Checks,
    RemoteRunError,
    WaitingClient,
    aws_probe,
    boto_client,
    console_url,
    cost_tags,
    durations,
    message_reader,
    run_client,
    spark_conf_args,
    spark_resources,
)
from paasport.platforms.base import Capabilities, LaunchRequest, ProfileBase, RunFacts
from paasport.platforms.launch_records import record_ids
from paasport.platforms.packaging import Artifacts

TERMINAL = {"COMPLETED", "FAILED", "CANCELLED"}


class EmrEksProfile(AwsProfile):
    platform: Literal["emr_eks"] = "emr_eks"
    virtual_cluster_id: str = Field(pattern=r"^[0-9a-z]+$")
    execution_role_arn: str = Field(pattern=ROLE_ARN)
    release_label: str = Field("emr-7.5.0-latest", pattern=r"^emr-\d+\.\d+\.\d+(-[a-z0-9]+)?$")
    log_uri: str | None = Field(None, pattern=S3_URI)
    node_instance_type: str = Field(
        "m5.xlarge", description="the EKS nodes' instance type (prices the job's share of them)"
    )


def start_job_run_params(
    p: EmrEksProfile, request: LaunchRequest, art: Artifacts
) -> dict[str, Any]:
    submit = spark_conf_args(request.spark_conf)
    if art.wheel_uri:
        submit = ["--py-files", art.wheel_uri, *submit]
    params: dict[str, Any] = {
        "name": f"paasport-{request.params.asset or 'job'}"[:64],
        "virtualClusterId": p.virtual_cluster_id,
        "executionRoleArn": p.execution_role_arn,
        "releaseLabel": p.release_label,
        "jobDriver": {
            "sparkSubmitJobDriver": {
                "entryPoint": art.script_uri,
                "sparkSubmitParameters": " ".join(submit),
            }
        },
        "tags": cost_tags(p, request, art.code_version),
    }
    if p.log_uri:
        params["configurationOverrides"] = {
            "monitoringConfiguration": {"s3MonitoringConfiguration": {"logUri": p.log_uri}}
        }
    return params


def job_run(client: Any, ids: Mapping[str, str]) -> Any:
    """The job run's answer; `ids` as the launch record holds them."""
    return client.describe_job_run(id=ids["job_run_id"], virtualClusterId=ids["virtual_cluster_id"])


def state_of(response: Any) -> str:
    return str(response["jobRun"]["state"])


def cancel(client: Any, ids: Mapping[str, str]) -> Any:
    """Cancel the job run: the asset timeout, an interrupted run and `paasport gc` alike."""
    return client.cancel_job_run(id=ids["job_run_id"], virtualClusterId=ids["virtual_cluster_id"])


def _client_class() -> type[Any]:
    from dagster_aws.pipes import PipesEMRContainersClient

    class Client(WaitingClient, PipesEMRContainersClient):
        def _wait_for_completion(self, context: Any, start_response: Any) -> Any:
            run_id = start_response["id"]
            ids = {"virtual_cluster_id": start_response["virtualClusterId"], "job_run_id": run_id}
            record_ids(**ids)
            response = self.wait(
                context,
                f"emr-eks {run_id}",
                lambda: job_run(self.client, ids),
                state_of,
                TERMINAL,
                lambda: cancel(self.client, ids),
            )
            job = response["jobRun"]
            if job["state"] != "COMPLETED":
                raise RemoteRunError(
                    f"EMR on EKS job run {run_id} ended {job['state']}: "
                    f"{job.get('failureReason') or ''} {job.get('stateDetails') or ''}".strip()
                )
            return response

    return Client


class EmrEksPlatform(AwsPlatform[EmrEksProfile]):
    name: ClassVar[str] = "emr_eks"
    capabilities: ClassVar[Capabilities] = Capabilities(
        spot=True, existing_cluster=True, pipes_transport="s3"
    )
    profile_model: ClassVar[type[ProfileBase]] = EmrEksProfile

    def role(self) -> str | None:
        return self.profile.execution_role_arn

    def resource_checks(self) -> Checks:
        vc = self.profile.virtual_cluster_id
        eks = boto_client("emr-containers", self.profile.region)
        yield aws_probe(
            f"EMR on EKS virtual cluster {vc}",
            lambda: eks.describe_virtual_cluster(id=vc),
            "register one (`aws emr-containers create-virtual-cluster ...`) "
            "or fix `virtual_cluster_id`",
        )

    def pricing_facts(self, request: LaunchRequest) -> dict[str, Any]:
        p = self.profile
        resources = spark_resources(request.spark_conf, executors=2, cores=1, memory_gb=1)
        return {"region": p.region, "node_instance_type": p.node_instance_type, **resources}

    def run_once(
        self, context: Any, request: LaunchRequest, artifacts: Artifacts, s3: Any
    ) -> tuple[list[Any], RunFacts]:
        p = self.profile
        client = _client_class()(
            p,
            request.timeout_s,
            guard=request.budget,
            client=boto_client("emr-containers", p.region),
            message_reader=message_reader(p, s3),
        )
        results, waited = run_client(
            client,
            context,
            request,
            start_job_run_params=start_job_run_params(p, request, artifacts),
        )
        job = waited.response["jobRun"]
        facts = RunFacts(
            platform=self.name,
            profile=self.profile_name,
            run_ids={"virtual_cluster_id": p.virtual_cluster_id, "job_run_id": job["id"]},
            console_url=console_url(
                p.region, f"emr/home?region={p.region}#/eks/clusters/{p.virtual_cluster_id}"
            ),
            **durations(waited, "RUNNING", TERMINAL),
            extra={"state": job["state"], "release_label": p.release_label},
        )
        return results, facts
