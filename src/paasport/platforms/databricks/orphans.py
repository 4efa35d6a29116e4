"""Orphans on Databricks: a recorded one-time run still running, cancelled with the SDK client
the platforms launch with. Cancelling a run also ends the job cluster Databricks created for it
(a new cluster per run is the run's own); an existing cluster is the user's and stays."""

from __future__ import annotations

from collections.abc import Mapping

from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import NotFound

from paasport.platforms.databricks.common import TERMINAL, DatabricksProfile, workspace
from paasport.platforms.orphans import Remote

#: life-cycle states of a run that is over or ending
ENDED = TERMINAL | {"TERMINATING"}


class DatabricksReaper:
    def __init__(self, profile: DatabricksProfile) -> None:
        self.profile = profile
        self._client: WorkspaceClient | None = None

    @property
    def client(self) -> WorkspaceClient:
        if self._client is None:
            self._client = workspace(self.profile)
        return self._client

    def remotes(self, ids: Mapping[str, str], run_id: str) -> list[Remote]:
        run = ids.get("databricks_run_id")
        if not run:
            return []
        try:
            answer = self.client.jobs.get_run(int(run))
        except NotFound:
            return [Remote("databricks run", run, "NOT_FOUND", False)]
        state = (
            answer.state.life_cycle_state.value
            if answer.state and answer.state.life_cycle_state
            else "UNKNOWN"
        )
        return [Remote("databricks run", run, state, state not in ENDED)]

    def end(self, remote: Remote) -> None:
        # the call the platform's own cancel makes (asset timeout, SIGINT)
        self.client.jobs.cancel_run(int(remote.id))


def reaper(platform: str, profile: DatabricksProfile) -> DatabricksReaper:
    return DatabricksReaper(profile)
