"""`emr_eks`: EMR on EKS (a job run on a virtual cluster) via `PipesEMRContainersClient`.

Pipes variables reach the driver through the `spark-env` classification; messages through S3.
The subclass replaces the fixed-delay wait with ours (backoff, asset timeout, cancellation).
"""

from __future__ import annotations

import copy
from typing import Any, ClassVar, Literal

from pydantic import Field

from paasport.platforms.aws_common import (
    ROLE_ARN,
    S3_URI,
    AwsPlatform,
    AwsProfile,
    RemoteRunError,
    Waited,
    boto_client,
    completed_results,
    console_url,
    cost_tags,
    message_reader,
    pipes_extras,
    spark_conf_args,
    wait_until_done,
)
from paasport.platforms.base import Capabilities, LaunchRequest, ProfileBase, RunFacts
from paasport.platforms.packaging import Artifacts

TERMINAL = {"COMPLETED", "FAILED", "CANCELLED"}


class EmrEksProfile(AwsProfile):
    platform: Literal["emr_eks"] = "emr_eks"
    virtual_cluster_id: str = Field(pattern=r"^[0-9a-z]+$")
    execution_role_arn: str = Field(pattern=ROLE_ARN)
    release_label: str = Field("emr-7.5.0-latest", pattern=r"^emr-\d+\.\d+\.\d+(-[a-z0-9]+)?$")
    log_uri: str | None = Field(None, pattern=S3_URI)


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


def _client_class() -> type[Any]:
    from dagster_aws.pipes import PipesEMRContainersClient

    class Client(PipesEMRContainersClient):
        def __init__(self, profile: EmrEksProfile, timeout_s: float | None, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.profile = profile
            self.timeout_s = timeout_s
            self.waited: Waited | None = None

        def _wait_for_completion(self, context: Any, start_response: Any) -> Any:
            run_id, vc = start_response["id"], start_response["virtualClusterId"]
            p = self.profile
            self.waited = wait_until_done(
                lambda: self.client.describe_job_run(id=run_id, virtualClusterId=vc),
                lambda r: str(r["jobRun"]["state"]),
                TERMINAL,
                poll_s=p.poll_s,
                poll_max_s=p.poll_max_s,
                timeout_s=self.timeout_s,
                on_timeout=lambda: self.client.cancel_job_run(id=run_id, virtualClusterId=vc),
                log=lambda m: context.log.info(f"[emr-eks] job run {run_id}: {m}"),
            )
            job = self.waited.response["jobRun"]
            if job["state"] != "COMPLETED":
                raise RemoteRunError(
                    f"EMR on EKS job run {run_id} ended {job['state']}: "
                    f"{job.get('failureReason') or ''} {job.get('stateDetails') or ''}".strip()
                )
            return self.waited.response

    return Client


class EmrEksPlatform(AwsPlatform):
    name: ClassVar[str] = "emr_eks"
    capabilities: ClassVar[Capabilities] = Capabilities(
        spot=True, existing_cluster=True, pipes_transport="s3"
    )
    profile_model: ClassVar[type[ProfileBase]] = EmrEksProfile

    def run_once(
        self, context: Any, request: LaunchRequest, artifacts: Artifacts, s3: Any
    ) -> tuple[list[Any], RunFacts]:
        p = self.profile
        assert isinstance(p, EmrEksProfile)
        params = start_job_run_params(p, request, artifacts)
        client = _client_class()(
            p,
            request.timeout_s,
            client=boto_client("emr-containers", p.region),
            message_reader=message_reader(p, s3),
        )
        invocation = client.run(
            context=context,
            start_job_run_params=copy.deepcopy(params),
            extras=pipes_extras(request),
        )
        results = completed_results(invocation)
        waited = client.waited
        assert waited is not None
        job = waited.response["jobRun"]
        running = waited.seconds_until("RUNNING")
        ended = waited.seconds_until(*TERMINAL)
        facts = RunFacts(
            platform=self.name,
            profile=self.profile_name,
            run_ids={"virtual_cluster_id": p.virtual_cluster_id, "job_run_id": job["id"]},
            console_url=console_url(
                p.region, f"emr/home?region={p.region}#/eks/clusters/{p.virtual_cluster_id}"
            ),
            queue_s=running,
            run_s=(ended - running) if ended is not None and running is not None else None,
            extra={"state": job["state"], "release_label": p.release_label},
        )
        return results, facts
