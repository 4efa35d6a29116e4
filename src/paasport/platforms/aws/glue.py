"""`glue`: an AWS Glue (Spark) job run via `PipesGlueClient`, messages through S3.

paasport keeps one Glue job definition per asset and points it at the content-addressed script
of the current code version; each partition is a job run with its own arguments. The subclass
replaces the fixed 5-second wait and records DPU-seconds, execution time and workers.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Literal

from dagster_aws.pipes import PipesS3ContextInjector
from pydantic import Field

from paasport.platforms.aws.common import (
    ROLE_ARN,
    AwsPlatform,
    AwsProfile,
    RemoteRunError,
    WaitingClient,
    boto_client,
    console_url,
    cost_tags,
    durations,
    message_reader,
    run_client,
)
from paasport.platforms.base import Capabilities, LaunchRequest, ProfileBase, RunFacts
from paasport.platforms.launch_records import record_ids
from paasport.platforms.packaging import Artifacts

TERMINAL = {"FAILED", "SUCCEEDED", "STOPPED", "TIMEOUT", "ERROR", "EXPIRED"}


class GlueProfile(AwsProfile):
    platform: Literal["glue"] = "glue"
    role_arn: str = Field(pattern=ROLE_ARN)
    glue_version: str = Field("5.0", pattern=r"^\d+\.\d+$")
    worker_type: Literal["G.025X", "G.1X", "G.2X", "G.4X", "G.8X"] = "G.1X"
    number_of_workers: int = Field(2, ge=2)
    job_name_prefix: str = Field("paasport-", pattern=r"^[A-Za-z0-9_\-]*$")
    max_concurrent_runs: int = Field(16, ge=1, description="partitions that may run at once")
    timeout_minutes: int = Field(2880, ge=1)
    extra_requirements: list[str] = Field(
        default_factory=list, description="pip requirements, installed by Glue at start"
    )


def job_definition(p: GlueProfile, name: str, art: Artifacts) -> dict[str, Any]:
    return {
        "Name": name,
        "Role": p.role_arn,
        "Command": {"Name": "glueetl", "ScriptLocation": art.script_uri, "PythonVersion": "3"},
        "GlueVersion": p.glue_version,
        "WorkerType": p.worker_type,
        "NumberOfWorkers": p.number_of_workers,
        "Timeout": p.timeout_minutes,
        "ExecutionProperty": {"MaxConcurrentRuns": p.max_concurrent_runs},
        "DefaultArguments": {"--enable-metrics": "true", "--job-language": "python"},
    }


def start_job_run_params(
    p: GlueProfile, name: str, request: LaunchRequest, art: Artifacts
) -> dict[str, Any]:
    arguments: dict[str, str] = {}
    if art.wheel_uri:
        arguments["--extra-py-files"] = art.wheel_uri
    if p.extra_requirements:
        arguments["--additional-python-modules"] = ",".join(p.extra_requirements)
    conf = " --conf ".join(f"{k}={v}" for k, v in sorted(request.spark_conf.items()))
    if conf:
        arguments["--conf"] = conf  # Glue's way: one argument, settings joined by --conf
    return {
        "JobName": name,
        "Arguments": arguments,
        "WorkerType": p.worker_type,
        "NumberOfWorkers": p.number_of_workers,
        "Timeout": p.timeout_minutes,
    }


def ensure_job(glue: Any, p: GlueProfile, name: str, art: Artifacts) -> None:
    """Create the asset's job definition, or point it at this code version's script."""
    definition = job_definition(p, name, art)
    try:
        current = glue.get_job(JobName=name)["Job"]
    except glue.exceptions.EntityNotFoundException:
        try:
            glue.create_job(**definition, Tags={"paasport:asset": name})
            return
        except glue.exceptions.AlreadyExistsException:  # another partition created it
            current = glue.get_job(JobName=name)["Job"]
    if current.get("Command", {}).get("ScriptLocation") != art.script_uri:
        update = {k: v for k, v in definition.items() if k != "Name"}
        glue.update_job(JobName=name, JobUpdate=update)


def job_run(client: Any, ids: Mapping[str, str]) -> Any:
    """The job run's answer; `ids` as the launch record holds them."""
    return client.get_job_run(JobName=ids["glue_job_name"], RunId=ids["glue_job_run_id"])


def state_of(response: Any) -> str:
    return str(response["JobRun"]["JobRunState"])


def cancel(client: Any, ids: Mapping[str, str]) -> Any:
    """Stop the job run: the asset timeout, an interrupted run and `paasport gc` alike."""
    return client.batch_stop_job_run(
        JobName=ids["glue_job_name"], JobRunIds=[ids["glue_job_run_id"]]
    )


def _client_class() -> type[Any]:
    from dagster_aws.pipes import PipesGlueClient

    class Client(WaitingClient, PipesGlueClient):
        context: Any = None  # the base class's wait gets no context; set before run

        def _wait_for_job_run_completion(self, job_name: str, run_id: str) -> Any:
            ids = {"glue_job_name": job_name, "glue_job_run_id": run_id}
            record_ids(**ids)
            return self.wait(
                self.context,
                f"glue {job_name} {run_id}",
                lambda: job_run(self._client, ids),
                state_of,
                TERMINAL,
                lambda: cancel(self._client, ids),
            )

    return Client


class GluePlatform(AwsPlatform[GlueProfile]):
    name: ClassVar[str] = "glue"
    capabilities: ClassVar[Capabilities] = Capabilities(serverless=True, pipes_transport="s3")
    profile_model: ClassVar[type[ProfileBase]] = GlueProfile

    def role(self) -> str | None:
        return self.profile.role_arn

    def pricing_facts(self, request: LaunchRequest) -> dict[str, Any]:
        p = self.profile
        return {"region": p.region, "worker_type": p.worker_type,
                "workers": p.number_of_workers, "execution_class": "standard"}  # fmt: skip

    def run_once(
        self, context: Any, request: LaunchRequest, artifacts: Artifacts, s3: Any
    ) -> tuple[list[Any], RunFacts]:
        p = self.profile
        glue = boto_client("glue", p.region)
        name = f"{p.job_name_prefix}{request.params.asset or 'job'}"[:255]
        ensure_job(glue, p, name, artifacts)
        params = start_job_run_params(p, name, request, artifacts)
        # Glue passes no env vars to the driver: the context goes through S3 as well
        client = _client_class()(
            p,
            request.timeout_s,
            guard=request.budget,
            client=glue,
            context_injector=PipesS3ContextInjector(bucket=p.bucket, client=s3),
            message_reader=message_reader(p, s3),
        )
        client.context = context
        try:
            results, waited = run_client(client, context, request, start_job_run_params=params)
        except RuntimeError as exc:
            if isinstance(exc, RemoteRunError):
                raise
            # the Dagster client raises a bare RuntimeError for a failed run
            raise RemoteRunError(f"Glue job {name}: {exc}") from exc
        run = waited.response["JobRun"]
        facts = RunFacts(
            platform=self.name,
            profile=self.profile_name,
            run_ids={"glue_job_name": name, "glue_job_run_id": run["Id"]},
            console_url=console_url(
                p.region, f"gluestudio/home?region={p.region}#/job/{name}/run/{run['Id']}"
            ),
            **durations(waited, "RUNNING", TERMINAL),
            extra={
                "state": run["JobRunState"],
                "dpu_seconds": run.get("DPUSeconds"),
                "execution_time_s": run.get("ExecutionTime"),
                "worker_type": run.get("WorkerType", p.worker_type),
                "number_of_workers": run.get("NumberOfWorkers", p.number_of_workers),
                "glue_version": p.glue_version,
                "tags": cost_tags(p, request, artifacts.code_version),
            },
        )
        return results, facts
