"""`emr_serverless`: a job run on an EMR Serverless application via `PipesEMRServerlessClient`.

Pipes messages travel through S3. The subclass replaces the fixed 5-second wait (which also
asks for a dashboard URL on every RUNNING poll) and records the billed usage the API returns.
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

TERMINAL = {"SUCCESS", "FAILED", "CANCELLED"}


class EmrServerlessProfile(AwsProfile):
    platform: Literal["emr_serverless"] = "emr_serverless"
    application_id: str = Field(pattern=r"^[0-9a-z]+$")
    execution_role_arn: str = Field(pattern=ROLE_ARN)
    log_uri: str | None = Field(None, pattern=S3_URI)
    execution_timeout_minutes: int = Field(720, ge=1)


def start_job_run_params(
    p: EmrServerlessProfile, request: LaunchRequest, art: Artifacts
) -> dict[str, Any]:
    submit = spark_conf_args(request.spark_conf)
    if art.wheel_uri:
        submit = ["--py-files", art.wheel_uri, *submit]
    params: dict[str, Any] = {
        "applicationId": p.application_id,
        "executionRoleArn": p.execution_role_arn,
        "name": f"paasport-{request.params.asset or 'job'}"[:256],
        "jobDriver": {
            "sparkSubmit": {
                "entryPoint": art.script_uri,
                "sparkSubmitParameters": " ".join(submit),
            }
        },
        "executionTimeoutMinutes": p.execution_timeout_minutes,
        "tags": cost_tags(p, request, art.code_version),
    }
    if p.log_uri:
        params["configurationOverrides"] = {
            "monitoringConfiguration": {"s3MonitoringConfiguration": {"logUri": p.log_uri}}
        }
    return params


def _client_class() -> type[Any]:
    from dagster_aws.pipes import PipesEMRServerlessClient

    class Client(PipesEMRServerlessClient):
        def __init__(
            self, profile: EmrServerlessProfile, timeout_s: float | None, **kwargs: Any
        ) -> None:
            super().__init__(**kwargs)
            self.profile = profile
            self.timeout_s = timeout_s
            self.waited: Waited | None = None

        def _wait_for_completion(self, context: Any, start_response: Any) -> Any:
            app, run_id = start_response["applicationId"], start_response["jobRunId"]
            p = self.profile
            self.waited = wait_until_done(
                lambda: self.client.get_job_run(applicationId=app, jobRunId=run_id),
                lambda r: str(r["jobRun"]["state"]),
                TERMINAL,
                poll_s=p.poll_s,
                poll_max_s=p.poll_max_s,
                timeout_s=self.timeout_s,
                on_timeout=lambda: self.client.cancel_job_run(applicationId=app, jobRunId=run_id),
                log=lambda m: context.log.info(f"[emr-serverless] job run {run_id}: {m}"),
            )
            job = self.waited.response["jobRun"]
            if job["state"] != "SUCCESS":
                raise RemoteRunError(
                    f"EMR Serverless job run {run_id} ended {job['state']}: "
                    f"{job.get('stateDetails') or ''}"
                )
            return self.waited.response

        def _read_messages(self, context: Any, session: Any, response: Any) -> None:
            # messages come through S3, read by the session's own reader thread
            return None

    return Client


class EmrServerlessPlatform(AwsPlatform):
    name: ClassVar[str] = "emr_serverless"
    capabilities: ClassVar[Capabilities] = Capabilities(serverless=True, pipes_transport="s3")
    profile_model: ClassVar[type[ProfileBase]] = EmrServerlessProfile

    def run_once(
        self, context: Any, request: LaunchRequest, artifacts: Artifacts, s3: Any
    ) -> tuple[list[Any], RunFacts]:
        p = self.profile
        assert isinstance(p, EmrServerlessProfile)
        params = start_job_run_params(p, request, artifacts)
        client = _client_class()(
            p,
            request.timeout_s,
            client=boto_client("emr-serverless", p.region),
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
            run_ids={"application_id": job["applicationId"], "job_run_id": job["jobRunId"]},
            console_url=console_url(
                p.region,
                f"emr/home?region={p.region}#/serverless-applications/{job['applicationId']}",
            ),
            queue_s=running,
            run_s=(ended - running) if ended is not None and running is not None else None,
            extra={
                "state": job["state"],
                "billed_resource_utilization": job.get("billedResourceUtilization", {}),
                "total_execution_duration_s": job.get("totalExecutionDurationSeconds"),
                "release_label": job.get("releaseLabel"),
            },
        )
        return results, facts
