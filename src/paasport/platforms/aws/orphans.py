"""Orphans on AWS: what a recorded launch still runs, and ending it, with the platforms' boto3.

EMR on EC2 clusters are also found by their `paasport:run-id` tag, so a run worker killed
between RunJobFlow's answer and the record's update leaves no cluster unknown.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from botocore.exceptions import ClientError

from paasport.platforms.aws import emr, emr_eks, emr_serverless, glue
from paasport.platforms.aws.common import AwsProfile, boto_client
from paasport.platforms.orphans import Remote

#: EMR cluster states that still bill (TERMINATING is ending)
EMR_ACTIVE = ["STARTING", "BOOTSTRAPPING", "RUNNING", "WAITING"]
_NOT_FOUND = {"ResourceNotFoundException", "EntityNotFoundException", "InvalidRequestException"}


@dataclass(frozen=True)
class JobKind:
    """A service that runs one job per call: its id keys and the platform module's own poll
    and cancel (the very calls the asset timeout and an interrupted run make)."""

    kind: str
    service: str
    keys: tuple[str, ...]
    module: ModuleType
    #: states of a job run that is over or ending
    ended: set[str]

    def state(self, client: Any, ids: Mapping[str, str]) -> str:
        return str(self.module.state_of(self.module.job_run(client, ids)))

    def cancel(self, client: Any, ids: Mapping[str, str]) -> None:
        self.module.cancel(client, ids)


JOBS = {
    "emr_serverless": JobKind(
        "emr-serverless job run",
        "emr-serverless",
        ("application_id", "job_run_id"),
        emr_serverless,
        emr_serverless.TERMINAL | {"CANCELLING"},
    ),
    "emr_eks": JobKind(
        "emr-on-eks job run",
        "emr-containers",
        ("virtual_cluster_id", "job_run_id"),
        emr_eks,
        emr_eks.TERMINAL | {"CANCEL_PENDING"},
    ),
    "glue": JobKind(
        "glue job run",
        "glue",
        ("glue_job_name", "glue_job_run_id"),
        glue,
        glue.TERMINAL | {"STOPPING"},
    ),
}


def _missing(exc: ClientError) -> bool:
    return exc.response.get("Error", {}).get("Code") in _NOT_FOUND


class AwsReaper:
    def __init__(self, platform: str, profile: AwsProfile) -> None:
        self.platform, self.region = platform, profile.region
        self._clients: dict[str, Any] = {}
        self._ids: dict[tuple[str, str], Mapping[str, str]] = {}

    def client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = boto_client(service, self.region)
        return self._clients[service]

    def remotes(self, ids: Mapping[str, str], run_id: str) -> list[Remote]:
        if self.platform == "emr":
            return self._clusters(ids, run_id)
        kind = JOBS[self.platform]
        if not all(ids.get(k) for k in kind.keys):
            return []
        job_id = ":".join(ids[k] for k in kind.keys)
        self._ids[(kind.kind, job_id)] = ids
        try:
            state = kind.state(self.client(kind.service), ids)
        except ClientError as exc:
            if not _missing(exc):
                raise
            return [Remote(kind.kind, job_id, "NOT_FOUND", False)]
        return [Remote(kind.kind, job_id, state, state not in kind.ended)]

    def _clusters(self, ids: Mapping[str, str], run_id: str) -> list[Remote]:
        emr_client = self.client("emr")
        found = {ids["emr_cluster_id"]} if ids.get("emr_cluster_id") else set()
        if not found:  # killed before the id was recorded: its tags name the Dagster run
            for page in emr_client.get_paginator("list_clusters").paginate(
                ClusterStates=EMR_ACTIVE
            ):
                for summary in page["Clusters"]:
                    cluster = emr_client.describe_cluster(ClusterId=summary["Id"])["Cluster"]
                    tags = {t["Key"]: t["Value"] for t in cluster.get("Tags", [])}
                    if tags.get("paasport:run-id") == run_id:
                        found.add(summary["Id"])
        out = []
        for cluster_id in sorted(found):
            try:
                state = emr_client.describe_cluster(ClusterId=cluster_id)["Cluster"]["Status"][
                    "State"
                ]
            except ClientError as exc:
                if not _missing(exc):
                    raise
                state = "NOT_FOUND"
            out.append(Remote("emr cluster", cluster_id, state, state in EMR_ACTIVE))
        return out

    def end(self, remote: Remote) -> None:
        if remote.kind == "emr cluster":
            emr.terminate(self.client("emr"), remote.id)
            return
        kind = JOBS[self.platform]
        kind.cancel(self.client(kind.service), self._ids[(remote.kind, remote.id)])


def reaper(platform: str, profile: AwsProfile) -> AwsReaper:
    return AwsReaper(platform, profile)


__all__ = ["EMR_ACTIVE", "AwsReaper", "reaper"]
