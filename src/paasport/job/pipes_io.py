"""How the job finds its Pipes session: env vars (most platforms) or CLI arguments (Glue,
Dataproc, Databricks tasks); where its context comes from and where it writes messages.

The orchestrator names the store in the params (`"store": "gcs"`, `"dbfs"`, `"volumes"`), since
S3 and GCS params have the same keys and DBFS paths look like local ones. Without a name, a
`bucket` means S3 (the AWS platforms) and anything else Dagster's default (stdio, temp files).
"""

from __future__ import annotations

import os
from typing import Any

from dagster_pipes import (
    PipesCliArgsParamsLoader,
    PipesDefaultContextLoader,
    PipesDefaultMessageWriter,
    PipesEnvVarParamsLoader,
    PipesExtras,
    PipesParams,
    PipesParamsLoader,
)

#: where the node mounts DBFS (Databricks: /dbfs); an emulator points it at its own folder
DBFS_MOUNT_VAR = "PAASPORT_DBFS_MOUNT"
#: where the node mounts Unity Catalog volumes (Databricks: /Volumes)
VOLUMES_MOUNT_VAR = "PAASPORT_VOLUMES_MOUNT"


def params_loader() -> PipesParamsLoader | None:
    """The loader that finds a Pipes session for this process, or None outside Pipes."""
    for loader in (PipesEnvVarParamsLoader(), PipesCliArgsParamsLoader()):
        if loader.is_dagster_pipes_process():
            return loader
    return None


def store(params: PipesParams) -> str:
    return str(params.get("store") or ("s3" if "bucket" in params else "default"))


def mounted(path: str, kind: str) -> str:
    """The local path of a DBFS path (dbfs:/x or /x) or a volume path (/Volumes/...)."""
    if kind == "dbfs":
        return os.path.join(
            os.environ.get(DBFS_MOUNT_VAR, "/dbfs"), path.removeprefix("dbfs:").lstrip("/")
        )
    root = os.environ.get(VOLUMES_MOUNT_VAR)
    if root and path.startswith("/Volumes/"):
        return os.path.join(root, path.removeprefix("/Volumes/"))
    return path


def _s3() -> Any:
    import boto3  # on AWS platforms only; credentials from the node's role

    return boto3.client("s3")


def _gcs() -> Any:
    from google.cloud import storage  # on Dataproc images; credentials from the VM

    return storage.Client()


class _MountedFileContextLoader(PipesDefaultContextLoader):
    """DBFS or a volume, read through the node's mount (the way Dagster's loaders do)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind

    def load_context(self, params: PipesParams) -> Any:
        return super().load_context({"path": mounted(str(params["path"]), self.kind)})


def context_loader(loader: PipesParamsLoader) -> Any:
    params = loader.load_context_params()
    kind = store(params)
    if kind == "s3":
        from dagster_pipes import PipesS3ContextLoader

        return PipesS3ContextLoader(client=_s3())
    if kind == "gcs":
        from dagster_pipes import PipesGCSContextLoader

        return PipesGCSContextLoader(client=_gcs())
    if kind in ("dbfs", "volumes"):
        return _MountedFileContextLoader(kind)
    return PipesDefaultContextLoader()


def _mounted_writer() -> Any:
    from dagster_pipes import (
        PipesBlobStoreMessageWriter,
        PipesBufferedFilesystemMessageWriterChannel,
    )

    class MountedFileMessageWriter(PipesBlobStoreMessageWriter):
        """Dagster's DBFS/volumes writers, minus the DBFS one's demand for a SparkSession that
        exists before the job starts (ours is made later, from the Pipes extras)."""

        def make_channel(self, params: PipesParams) -> Any:
            path = mounted(str(params["path"]), store(params))
            return PipesBufferedFilesystemMessageWriterChannel(path=path, interval=self.interval)

        def get_opened_extras(self) -> PipesExtras:
            # where Databricks delivers this cluster's driver logs, so Dagster forwards them
            destination = os.environ.get("PAASPORT_CLUSTER_LOG_DESTINATION")
            cluster = os.environ.get("DB_CLUSTER_ID")  # set by Databricks on its nodes
            if destination and cluster:
                return {"cluster_driver_log_root": f"{destination}/{cluster}/driver"}
            return {}

    return MountedFileMessageWriter(interval=2)


def message_writer(loader: PipesParamsLoader) -> Any:
    params = loader.load_messages_params()
    kind = store(params)
    if kind == "s3":
        from dagster_pipes import PipesS3MessageWriter

        return PipesS3MessageWriter(client=_s3(), interval=2)
    if kind == "gcs":
        from dagster_pipes import PipesGCSMessageWriter

        return PipesGCSMessageWriter(client=_gcs(), interval=2)
    if kind in ("dbfs", "volumes"):
        return _mounted_writer()
    return PipesDefaultMessageWriter()
