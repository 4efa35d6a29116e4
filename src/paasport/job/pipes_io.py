"""How the job finds its Pipes session: env vars (most platforms) or CLI arguments (Glue); where
its context comes from (inline, a file, or S3) and where it writes messages (default or S3)."""

from __future__ import annotations

from typing import Any

from dagster_pipes import (
    PipesCliArgsParamsLoader,
    PipesDefaultContextLoader,
    PipesDefaultMessageWriter,
    PipesEnvVarParamsLoader,
    PipesParamsLoader,
)


def params_loader() -> PipesParamsLoader | None:
    """The loader that finds a Pipes session for this process, or None outside Pipes."""
    for loader in (PipesEnvVarParamsLoader(), PipesCliArgsParamsLoader()):
        if loader.is_dagster_pipes_process():
            return loader
    return None


def _s3() -> Any:
    import boto3  # on AWS platforms only; credentials from the node's role

    return boto3.client("s3")


def context_loader(loader: PipesParamsLoader) -> Any:
    """S3 when the orchestrator put the context in a bucket (Glue), else the default."""
    if "bucket" in loader.load_context_params():
        from dagster_pipes import PipesS3ContextLoader

        return PipesS3ContextLoader(client=_s3())
    return PipesDefaultContextLoader()


def message_writer(loader: PipesParamsLoader) -> Any:
    """S3 when the orchestrator reads a bucket (EMR, EMR Serverless, EKS, Glue), else default."""
    if "bucket" in loader.load_messages_params():
        from dagster_pipes import PipesS3MessageWriter

        return PipesS3MessageWriter(client=_s3(), interval=2)
    return PipesDefaultMessageWriter()
