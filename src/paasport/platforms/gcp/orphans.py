"""Orphans on GCP: a recorded Dataproc job still running and a cluster paasport created for
its run, cancelled and deleted with the clients the platform launches with. A cluster named by
the profile (`cluster_name`) is the user's: it is never recorded as created, so never deleted."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from types import SimpleNamespace
from typing import Any

from google.api_core import exceptions as gexc

from paasport.platforms.gcp.common import api_retry
from paasport.platforms.gcp.dataproc import JOB_TERMINAL, DataprocPlatform, DataprocProfile
from paasport.platforms.orphans import Remote

#: job states that are over or ending; a cluster is active until it is DELETING or gone
JOB_ENDED = JOB_TERMINAL | {"CANCEL_PENDING", "CANCEL_STARTED"}
_LOG = SimpleNamespace(log=logging.getLogger("paasport.gc"))


class DataprocReaper:
    def __init__(self, platform: str, profile: DataprocProfile) -> None:
        self.profile = profile
        self.platform = DataprocPlatform(profile, "gc")
        self.retry = api_retry(profile.api_retry_s)
        self._controllers: tuple[Any, Any] | None = None

    def controllers(self) -> tuple[Any, Any]:
        if self._controllers is None:
            self._controllers = self.platform._controllers()
        return self._controllers

    def remotes(self, ids: Mapping[str, str], run_id: str) -> list[Remote]:
        jobs, clusters = self.controllers()
        where = {"project_id": self.profile.project, "region": self.profile.region}
        out = []
        if job_id := ids.get("dataproc_job_id"):
            try:
                state = jobs.get_job(**where, job_id=job_id, retry=self.retry).status.state.name
            except gexc.NotFound:
                state = "NOT_FOUND"  # recorded before the submit, which never happened
            out.append(
                Remote("dataproc job", job_id, state, state not in JOB_ENDED | {"NOT_FOUND"})
            )
        if name := ids.get("dataproc_created_cluster"):
            try:
                state = clusters.get_cluster(
                    **where, cluster_name=name, retry=self.retry
                ).status.state.name
            except gexc.NotFound:
                state = "NOT_FOUND"
            out.append(
                Remote("dataproc cluster", name, state, state not in {"DELETING", "NOT_FOUND"})
            )
        return out

    def end(self, remote: Remote) -> None:
        jobs, clusters = self.controllers()
        if remote.kind == "dataproc job":
            jobs.cancel_job(
                project_id=self.profile.project,
                region=self.profile.region,
                job_id=remote.id,
                retry=self.retry,
            )
            return
        # the platform's own delete (its request id, its handling of a cluster already gone)
        created = {"name": remote.id, "at": time.monotonic()}
        self.platform._delete_cluster(_LOG, clusters, created, self.retry)


def reaper(platform: str, profile: DataprocProfile) -> DataprocReaper:
    return DataprocReaper(platform, profile)
