"""`databricks_serverless`: a one-time run on serverless jobs compute via dagster-databricks'
`PipesDatabricksServerlessClient`; code, wheel and Pipes all through a Unity Catalog volume.

No cluster to describe: Databricks sizes the compute and bills serverless DBUs for the run's
duration, so the run facts are the durations, the environment and the budget policy.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from dagster._core.errors import DagsterExecutionInterruptedError
from dagster_databricks.pipes import PipesDatabricksServerlessClient
from databricks.sdk.service import jobs
from pydantic import Field

from paasport.platforms.base import (
    Capabilities,
    LaunchOutcome,
    LaunchRequest,
    ProfileBase,
    RunFacts,
)
from paasport.platforms.databricks.common import (
    VOLUME_PATH,
    DatabricksPlatformBase,
    DatabricksProfile,
    FixedClient,
    VolumesContextInjector,
    VolumesMessageReader,
    run_facts,
    submit_args,
)
from paasport.platforms.packaging import Artifacts
from paasport.platforms.remote import run_client


class DatabricksServerlessProfile(DatabricksProfile):
    platform: Literal["databricks_serverless"] = "databricks_serverless"
    artifacts_path: str = Field(
        pattern=VOLUME_PATH, description="a Unity Catalog volume folder (serverless has no DBFS)"
    )
    pipes_volume: str = Field(pattern=VOLUME_PATH, description="Pipes context and messages")
    environment_version: str = Field("3", pattern=r"^\d+$", description="serverless env version")
    dependencies: list[str] = Field(
        default_factory=list, description="pip requirements added to the environment"
    )
    budget_policy_id: str | None = Field(None, description="attributes serverless cost")


def environment(p: DatabricksServerlessProfile, art: Artifacts) -> dict[str, Any]:
    deps = ([art.wheel_uri] if art.wheel_uri else []) + list(p.dependencies)
    return {
        "environment_key": "paasport",
        "spec": {"environment_version": p.environment_version, "dependencies": deps},
    }


def submit_task(art: Artifacts) -> dict[str, Any]:
    return {
        "task_key": "paasport",
        "environment_key": "paasport",
        "spark_python_task": {"python_file": art.script_uri, "parameters": []},
    }


def serverless_submit_args(
    p: DatabricksServerlessProfile, request: LaunchRequest, art: Artifacts
) -> dict[str, Any]:
    args = submit_args(p, request)
    args["environments"] = [jobs.JobEnvironment.from_dict(environment(p, art))]
    if p.budget_policy_id:
        args["budget_policy_id"] = p.budget_policy_id
    return args


class DatabricksServerlessPlatform(DatabricksPlatformBase[DatabricksServerlessProfile]):
    name: ClassVar[str] = "databricks_serverless"
    capabilities: ClassVar[Capabilities] = Capabilities(serverless=True, pipes_transport="volume")
    profile_model: ClassVar[type[ProfileBase]] = DatabricksServerlessProfile

    def launch(self, context: Any, request: LaunchRequest) -> LaunchOutcome:
        # serverless compute takes no cluster spark_conf: the job sets the settings on the
        # session it is given (they were silently dropped before)
        return super().launch(context, request.conf_set_by_job())

    def run_once(
        self, context: Any, request: LaunchRequest, artifacts: Artifacts, storage: Any
    ) -> tuple[list[Any], RunFacts]:
        p = self.profile

        class Client(FixedClient, PipesDatabricksServerlessClient):
            pass

        client = Client(
            p,
            request.timeout_s,
            guard=request.budget,
            client=storage,
            volume_path=p.pipes_volume,
            context_injector=VolumesContextInjector(client=storage, volume_path=p.pipes_volume),
            message_reader=VolumesMessageReader(
                client=storage, volume_path=p.pipes_volume, interval=p.pipes_poll_s
            ),
        )
        args = serverless_submit_args(p, request, artifacts)
        task = jobs.SubmitTask.from_dict(submit_task(artifacts))
        try:
            results, waited = run_client(client, context, request, task=task, submit_args=args)
        finally:
            if client.interrupted:  # the client cancelled the run, then swallowed this
                raise DagsterExecutionInterruptedError()
        facts = run_facts(
            self.name,
            self.profile_name,
            waited.response,
            waited,
            {
                "environment_version": p.environment_version,
                "budget_policy_id": p.budget_policy_id,
                "idempotency_token": args["idempotency_token"],
                # serverless runs take no cluster tags: the budget policy attributes the cost
                "tags": {**self.tags(request, artifacts.code_version), **client.dagster_tags},
            },
        )
        return results, facts
