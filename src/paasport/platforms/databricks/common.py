"""What the Databricks platforms share: the workspace client, artifacts on DBFS or a Unity
Catalog volume, Pipes through the same, and a thin fix-up of dagster-databricks' client.

Authentication is the SDK's own (DATABRICKS_HOST/DATABRICKS_TOKEN, ~/.databrickscfg profiles,
OAuth, cloud identities); a profile names a host or a config profile, never a secret.

What the wrapper fixes in dagster-databricks 0.29.27 (each has a test):
- the run tags Dagster adds are put on the task dict, and `SubmitTask.from_dict` drops them:
  they go into the new cluster's `custom_tags` (where Databricks bills them) instead;
- an interrupted run is cancelled but the interruption is swallowed, so the step would go on as
  if the run had ended: it is raised again once the run is cancelled;
- the poll loop sleeps a fixed time, has no timeout, and fails with only the state message:
  our wait (backoff, asset timeout) replaces it, and a failure carries the driver's output;
- no idempotency token: a submission retried after a lost answer could start a second run.
"""

from __future__ import annotations

import io
import re
import sys
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, TypeVar

# the `databricks` extra: importing the platform fails early, naming the extra, when missing
import dagster_databricks.pipes as dbx_pipes
from dagster._core.errors import DagsterExecutionInterruptedError
from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import NotFound, ResourceAlreadyExists
from databricks.sdk.service import jobs
from pydantic import Field, field_validator

from paasport.platforms.base import LaunchRequest, RunFacts
from paasport.platforms.launch_records import record_ids
from paasport.platforms.packaging import ArtifactStore
from paasport.platforms.remote import (
    NamesStoreInContext,
    NamesStoreInMessages,
    RemotePlatform,
    RemoteProfile,
    RemoteRunError,
    WaitingClient,
    classify_failure,
    cost_tags,
    durations,
)

#: where artifacts may live: DBFS (classic only) or a Unity Catalog volume
ARTIFACTS_PATH = r"^(dbfs:/[^\s]*|/Volumes/[^/\s]+/[^/\s]+/[^/\s]+(/[^\s]*)?)$"
VOLUME_PATH = r"^/Volumes/[^/\s]+/[^/\s]+/[^/\s]+(/[^\s]*)?$"
TERMINAL = {"TERMINATED", "SKIPPED", "INTERNAL_ERROR"}
#: characters Databricks accepts in custom tag keys and values
_TAG_BAD = re.compile(r"[^A-Za-z0-9 _.:/=+\-@]")


class DatabricksProfile(RemoteProfile):
    host: str | None = Field(
        None,
        pattern=r"^https?://[^\s/]+/?$",
        description="workspace URL; unset: the SDK's own config (DATABRICKS_HOST, profiles)",
    )
    config_profile: str | None = Field(None, description="a ~/.databrickscfg profile name")
    artifacts_path: str = Field(
        "dbfs:/paasport",
        pattern=ARTIFACTS_PATH,
        description="where job code and the project wheel go (dbfs:/... or /Volumes/c/s/v/...)",
    )
    run_name_prefix: str = "paasport-"

    @field_validator("artifacts_path")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")


def workspace(profile: DatabricksProfile) -> WorkspaceClient:
    # The SDK's own retries cover every call paasport makes (Jobs, DBFS, Files): a 429 or a
    # 503 is retried after its Retry-After, a dropped connection after a backoff, for up to
    # `retry_timeout_seconds` (300 s) a call. A runs/submit retried after its answer was lost
    # starts no second run: each launch sends one idempotency token (`submit_args`).
    return WorkspaceClient(host=profile.host, profile=profile.config_profile)


def dbfs_path(uri: str) -> str:
    """The DBFS API's path of a dbfs: URI."""
    return "/" + uri.removeprefix("dbfs:").lstrip("/")


class DbfsStore:
    """Artifacts on DBFS: `dbfs:/<root>/<key>`."""

    def __init__(self, client: WorkspaceClient, root: str) -> None:
        self.client, self.root = client, root.rstrip("/")

    def uri(self, key: str) -> str:
        return f"{self.root}/{key}"

    def has(self, key: str) -> bool:
        try:
            self.client.dbfs.get_status(dbfs_path(self.uri(key)))
            return True
        except NotFound:
            return False

    def put(self, local: Path, key: str) -> None:
        # a whole file or nothing: DBFS streams in blocks, so write aside and move into place
        final = dbfs_path(self.uri(key))
        staging = f"{final}.{uuid.uuid4().hex[:8]}.tmp"
        with local.open("rb") as src:
            self.client.dbfs.upload(staging, src, overwrite=True)
        try:
            self.client.dbfs.move(staging, final)
        except ResourceAlreadyExists:
            # partitions launched at once upload the same artifact; the key is the content's
            # hash, so the one that moved first wrote these very bytes
            self.client.dbfs.delete(staging)


class VolumeStore:
    """Artifacts on a Unity Catalog volume, through the Files API (uploads are atomic)."""

    def __init__(self, client: WorkspaceClient, root: str) -> None:
        self.client, self.root = client, root.rstrip("/")

    def uri(self, key: str) -> str:
        return f"{self.root}/{key}"

    def has(self, key: str) -> bool:
        try:
            self.client.files.get_metadata(self.uri(key))
            return True
        except NotFound:
            return False

    def put(self, local: Path, key: str) -> None:
        with local.open("rb") as src:
            self.client.files.upload(self.uri(key), io.BytesIO(src.read()), overwrite=True)


def artifact_store(client: WorkspaceClient, root: str) -> ArtifactStore:
    return DbfsStore(client, root) if root.startswith("dbfs:") else VolumeStore(client, root)


class DbfsContextInjector(NamesStoreInContext, dbx_pipes.PipesDbfsContextInjector):
    store = "dbfs"


class DbfsMessageReader(NamesStoreInMessages, dbx_pipes.PipesDbfsMessageReader):
    store = "dbfs"


class VolumesContextInjector(
    NamesStoreInContext, dbx_pipes.PipesUnityCatalogVolumesContextInjector
):
    store = "volumes"


class VolumesMessageReader(NamesStoreInMessages, dbx_pipes.PipesUnityCatalogVolumesMessageReader):
    store = "volumes"


class DbfsLogReader(dbx_pipes.PipesDbfsLogReader):
    """Dagster's reader asserts that a log file has data, and an empty stdout has none: the
    assertion killed the reader thread with a traceback. Empty is simply nothing new."""

    def download_log_chunk(self, params: Mapping[str, Any]) -> str | None:
        path = self._get_log_path(params)
        if path is not None:
            try:
                if not self.dbfs_client.get_status(path).file_size:
                    return None
            except OSError:
                return None
        return super().download_log_chunk(params)


STDOUT: Literal["stdout"] = "stdout"
STDERR: Literal["stderr"] = "stderr"


def log_readers(cluster_log_path: str | None, client: WorkspaceClient) -> list[Any]:
    """Readers that forward the cluster's driver stdout/stderr (when it delivers logs)."""
    if not cluster_log_path:
        return []
    return [
        DbfsLogReader(
            client=client,
            remote_log_name=name,
            target_stream=stream,
            debug_info=f"cluster driver {name}",
        )
        for name, stream in ((STDOUT, sys.stdout), (STDERR, sys.stderr))
    ]


def tag_value(text: str) -> str:
    return _TAG_BAD.sub("_", text)[:256]


class FixedClient(WaitingClient):
    """Mixed in before a dagster-databricks client class; see the module docstring."""

    interrupted = False
    #: the tags Dagster put on the task, as they reached the run
    dagster_tags: dict[str, str]
    context: Any = None  # the base class's poll gets the context; kept for cancelling

    def _enrich_submit_task_dict(
        self, context: Any, session: Any, submit_task_dict: dict[str, Any], writer_index: int = 0
    ) -> dict[str, Any]:
        enriched: dict[str, Any] = super()._enrich_submit_task_dict(  # type: ignore[misc]
            context, session, submit_task_dict, writer_index
        )
        tags = {tag_value(k): tag_value(str(v)) for k, v in enriched.pop("tags", {}).items()}
        self.dagster_tags = tags
        if "new_cluster" in enriched:
            cluster = enriched["new_cluster"]
            cluster["custom_tags"] = {**tags, **cluster.get("custom_tags", {})}
        return enriched

    def _poll_til_success(self, context: Any, run_id: int) -> None:
        record_ids(databricks_run_id=str(run_id))
        api = self.client.jobs  # type: ignore[attr-defined]
        try:
            run = self.wait(
                context,
                f"databricks run {run_id}",
                lambda: api.get_run(run_id),
                lambda r: r.state.life_cycle_state.value if r.state else "UNKNOWN",
                TERMINAL,
                lambda: api.cancel_run(run_id),
            )
        except DagsterExecutionInterruptedError:
            self.interrupted = True
            raise  # the base class cancels the run and waits for it to stop
        if run.state.result_state != jobs.RunResultState.SUCCESS:
            raise failure(api, run)


def failure(api: Any, run: jobs.Run) -> RemoteRunError:
    """The error for a run that did not succeed: state, termination reason, the driver's output."""
    state = run.state or jobs.RunState()
    parts = [str(state.state_message or "")]
    if run.status and run.status.termination_details:
        details = run.status.termination_details
        parts.append(f"{details.code.value if details.code else ''}: {details.message or ''}")
    for task in run.tasks or []:
        try:
            out = api.get_run_output(task.run_id)
        except Exception:  # output is a courtesy; the state already says it failed
            continue
        for text in (out.error, out.error_trace, out.logs):
            if text:
                parts.append("\n".join(str(text).strip().splitlines()[-20:]))
    message = "\n".join(p for p in parts if p.strip())
    result = state.result_state.value if state.result_state else state.life_cycle_state
    return classify_failure(message)(
        f"Databricks run {run.run_id} ended {result}: {message}",
        {"run_id": run.run_id, "run_page_url": run.run_page_url},
    )


def idempotency_token() -> str:
    """One per launch: the SDK's retries of the same submit share it, a new launch does not."""
    return uuid.uuid4().hex


def submit_args(profile: DatabricksProfile, request: LaunchRequest) -> dict[str, Any]:
    name = "-".join(p for p in (request.params.asset, request.params.partition_key) if p)
    args: dict[str, Any] = {
        "run_name": f"{profile.run_name_prefix}{name or 'job'}"[:4096],
        "idempotency_token": idempotency_token(),
    }
    if request.timeout_s:
        args["timeout_seconds"] = int(request.timeout_s) + 60  # ours cancels first, with a reason
    return args


def ms(value: int | None) -> float | None:
    return value / 1000 if value else None


def run_facts(
    platform: str, profile_name: str, run: jobs.Run, waited: Any, extra: Mapping[str, Any]
) -> RunFacts:
    """Ids, URL and durations as Databricks measured them (what DBUs are billed on)."""
    task = (run.tasks or [jobs.RunTask(task_key="")])[0]
    setup = task.setup_duration or run.setup_duration
    execution = task.execution_duration or run.execution_duration
    observed = durations(waited, "RUNNING", TERMINAL)
    cluster = task.cluster_instance or run.cluster_instance
    run_ids = {"databricks_run_id": str(run.run_id)}
    if task.run_id:
        run_ids["databricks_task_run_id"] = str(task.run_id)
    if cluster and cluster.cluster_id:
        run_ids["databricks_cluster_id"] = cluster.cluster_id
    return RunFacts(
        platform=platform,
        profile=profile_name,
        run_ids=run_ids,
        console_url=run.run_page_url,
        queue_s=ms(run.queue_duration) if run.queue_duration else observed["queue_s"],
        startup_s=ms(setup),
        run_s=ms(execution) if execution else observed["run_s"],
        extra={
            "state": run.state.result_state.value if run.state and run.state.result_state else "",
            "run_duration_s": ms(run.run_duration),
            "cleanup_s": ms(task.cleanup_duration or run.cleanup_duration),
            **extra,
        },
    )


DatabricksProfileT = TypeVar("DatabricksProfileT", bound=DatabricksProfile)


class DatabricksPlatformBase(RemotePlatform[DatabricksProfileT]):
    """Launch through a FixedClient; subclasses build the task and the client."""

    def artifact_store(self) -> tuple[ArtifactStore, Any]:
        client = workspace(self.profile)
        return artifact_store(client, self.profile.artifacts_path), client

    def tags(self, request: LaunchRequest, code_version: str) -> dict[str, str]:
        return {
            tag_value(k): tag_value(v)
            for k, v in cost_tags(self.profile, request, code_version).items()
        }
