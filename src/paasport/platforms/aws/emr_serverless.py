"""`emr_serverless`: a job run on an EMR Serverless application via `PipesEMRServerlessClient`.

Pipes messages travel through S3. The subclass replaces the fixed 5-second wait (which also
asks for a dashboard URL on every RUNNING poll) and records the billed usage the API returns.
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

TERMINAL = {"SUCCESS", "FAILED", "CANCELLED"}


class EmrServerlessProfile(AwsProfile):
    platform: Literal["emr_serverless"] = "emr_serverless"
    application_id: str = Field(pattern=r"^[0-9a-z]+$")
    execution_role_arn: str = Field(pattern=ROLE_ARN)
    log_uri: str | None = Field(None, pattern=S3_URI)
    execution_timeout_minutes: int = Field(720, ge=1)
    architecture: Literal["x86_64", "arm64"] = Field(
        "x86_64", description="the application's architecture (its price)"
    )


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


def job_run(client: Any, ids: Mapping[str, str]) -> Any:
    """The job run's answer; `ids` as the launch record holds them."""
    return client.get_job_run(applicationId=ids["application_id"], jobRunId=ids["job_run_id"])


def state_of(response: Any) -> str:
    return str(response["jobRun"]["state"])


def cancel(client: Any, ids: Mapping[str, str]) -> Any:
    """Cancel the job run: the asset timeout, an interrupted run and `paasport gc` alike."""
    return client.cancel_job_run(applicationId=ids["application_id"], jobRunId=ids["job_run_id"])


def _client_class() -> type[Any]:
    from dagster_aws.pipes import PipesEMRServerlessClient

    class Client(WaitingClient, PipesEMRServerlessClient):
        def _wait_for_completion(self, context: Any, start_response: Any) -> Any:
            run_id = start_response["jobRunId"]
            ids = {"application_id": start_response["applicationId"], "job_run_id": run_id}
            record_ids(**ids)
            response = self.wait(
                context,
                f"emr-serverless {run_id}",
                lambda: job_run(self.client, ids),
                state_of,
                TERMINAL,
                lambda: cancel(self.client, ids),
            )
            job = response["jobRun"]
            if job["state"] != "SUCCESS":
                raise RemoteRunError(
                    f"EMR Serverless job run {run_id} ended {job['state']}: "
                    f"{job.get('stateDetails') or ''}"
                )
            return response

        def _read_messages(self, context: Any, session: Any, response: Any) -> None:
            # messages come through S3, read by the session's own reader thread
            return None

    return Client


class EmrServerlessPlatform(AwsPlatform[EmrServerlessProfile]):
    name: ClassVar[str] = "emr_serverless"
    capabilities: ClassVar[Capabilities] = Capabilities(serverless=True, pipes_transport="s3")
    profile_model: ClassVar[type[ProfileBase]] = EmrServerlessProfile

    def role(self) -> str | None:
        return self.profile.execution_role_arn

    def resource_checks(self) -> Checks:
        app = self.profile.application_id
        client = boto_client("emr-serverless", self.profile.region)
        yield aws_probe(
            f"EMR Serverless application {app}",
            lambda: client.get_application(applicationId=app),
            "create one (`aws emr-serverless create-application --type SPARK ...`) "
            "or fix `application_id`",
        )

    def pricing_facts(self, request: LaunchRequest) -> dict[str, Any]:
        p = self.profile
        resources = spark_resources(request.spark_conf, executors=3, cores=4, memory_gb=16)
        return {"region": p.region, "architecture": p.architecture, **resources}

    def run_once(
        self, context: Any, request: LaunchRequest, artifacts: Artifacts, s3: Any
    ) -> tuple[list[Any], RunFacts]:
        p = self.profile
        client = _client_class()(
            p,
            request.timeout_s,
            guard=request.budget,
            client=boto_client("emr-serverless", p.region),
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
            run_ids={"application_id": job["applicationId"], "job_run_id": job["jobRunId"]},
            console_url=console_url(
                p.region,
                f"emr/home?region={p.region}#/serverless-applications/{job['applicationId']}",
            ),
            **durations(waited, "RUNNING", TERMINAL),
            extra={
                "state": job["state"],
                "billed_resource_utilization": job.get("billedResourceUtilization", {}),
                "total_execution_duration_s": job.get("totalExecutionDurationSeconds"),
                "release_label": job.get("releaseLabel"),
            },
        )
        return results, facts
