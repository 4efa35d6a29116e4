"""Emulated platforms by name: start one, get the profile that points at it, stop it after."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from types import TracebackType
from typing import Any, TypeVar

from paasport.testing.isolation import redact, secret_values
from paasport.testing.standalone import StandaloneCluster

T = TypeVar("T")

#: how a profile pointing at an emulator polls: an emulated run takes seconds, not minutes, and
#: every log and message is written before the run is reported ended (no late writes to wait for)
EMULATED_POLLING: dict[str, float] = {
    "poll_s": 0.5,
    "poll_max_s": 2.0,
    "pipes_poll_s": 0.5,
    "pipes_final_wait_s": 0,
}


class NoEmulatorError(KeyError):
    def __str__(self) -> str:
        return str(self.args[0])


class EmulatorError(RuntimeError):
    """An emulator could not start, or refused a client: which emulator and why, in words that
    hold no credential of the user's."""


#: exception names (of boto3, databricks-sdk, google-auth / google-api-core) that mean a
#: server refused the client's credentials, or the client found none
_REFUSALS = {
    "NoCredentialsError", "PartialCredentialsError", "Unauthenticated", "PermissionDenied",
    "Forbidden", "Unauthorized", "DefaultCredentialsError", "RefreshError",
}  # fmt: skip
#: AWS error codes that mean the same
_AWS_REFUSALS = {
    "InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied", "AccessDeniedException",
    "UnrecognizedClientException", "InvalidClientTokenId", "ExpiredToken", "InvalidToken",
    "AuthFailure", "MissingAuthenticationToken",
}  # fmt: skip


def refusal(exc: BaseException) -> str | None:
    """Why a server refused a client (or a client had no credentials), if that is what `exc` or
    one of its causes says; None for any other failure."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        name = type(current).__name__
        code = getattr(current, "response", None)
        if isinstance(code, dict):
            code = code.get("Error", {}).get("Code")
        if name in _REFUSALS or (name == "ClientError" and code in _AWS_REFUSALS):
            return f"{name}: {current}"
        current = current.__cause__ or current.__context__
    return None


class _Guarded(AbstractContextManager[T]):
    def __init__(self, title: str, start: Callable[[], AbstractContextManager[T]]) -> None:
        self.title, self._start = title, start
        self._cm: AbstractContextManager[T] | None = None

    def __enter__(self) -> T:
        # the user's values, before the emulator hides them: no message may show one
        secrets = secret_values(os.environ)
        try:
            self._cm = self._start()
            return self._cm.__enter__()
        except Exception as exc:
            why = redact(f"{type(exc).__name__}: {exc}", secrets)
            raise EmulatorError(f"the {self.title} emulator could not start: {why}") from exc

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool | None:
        assert self._cm is not None
        return self._cm.__exit__(exc_type, exc, tb)


def guarded(
    title: str, start: Callable[[], AbstractContextManager[T]]
) -> AbstractContextManager[T]:
    """`start()` as a context manager whose failure to start is an `EmulatorError` naming
    `title` and why (no credential of the environment shown)."""
    return _Guarded(title, start)


@contextmanager
def _standalone() -> Iterator[dict[str, str]]:
    with StandaloneCluster(workers=2) as cluster:
        yield {"platform": "standalone", "master": cluster.master_url, "executor_memory": "512m"}


@contextmanager
def _connect() -> Iterator[dict[str, str]]:
    from paasport.testing.connect import SparkConnectServer

    with SparkConnectServer() as server:
        yield {"platform": "connect", "url": server.url}


def _aws(platform: str) -> Callable[[], AbstractContextManager[dict[str, Any]]]:
    @contextmanager
    def start() -> Iterator[dict[str, Any]]:
        from paasport.testing.aws import AwsEmulator

        with AwsEmulator() as aws:
            yield aws.profile(platform)

    return start


def _databricks(platform: str) -> Callable[[], AbstractContextManager[dict[str, Any]]]:
    @contextmanager
    def start() -> Iterator[dict[str, Any]]:
        from paasport.testing.databricks import DatabricksEmulator

        with DatabricksEmulator() as workspace:
            yield workspace.profile(platform)

    return start


@contextmanager
def _dataproc() -> Iterator[dict[str, Any]]:
    from paasport.testing.gcp import GcpEmulator

    with GcpEmulator() as gcp:
        yield gcp.profile()


@contextmanager
def refusals_named(emulator: str, secrets: set[str] | None = None) -> Iterator[None]:
    """Inside: a client the emulator refused (or that found no credentials) becomes an
    `EmulatorError` naming `emulator` and why, with `secrets` (values not to show) redacted."""
    try:
        yield
    except Exception as exc:
        why = refusal(exc)
        if why is None:
            raise
        raise EmulatorError(f"{emulator} refused a client: {redact(why, secrets or ())}") from exc


#: which emulator serves each platform, as messages name it
FAMILIES: dict[str, str] = {
    "standalone": "Spark standalone",
    "connect": "Spark Connect",
    **{name: "AWS" for name in ("emr", "emr_serverless", "emr_eks", "glue")},
    **{name: "Databricks" for name in ("databricks", "databricks_serverless")},
    "dataproc": "GCP",
}

#: platform name -> context manager yielding the profile of the running emulator
EMULATORS: dict[str, Callable[[], AbstractContextManager[dict[str, Any]]]] = {
    "standalone": _standalone,
    "connect": _connect,
    **{name: _aws(name) for name in ("emr", "emr_serverless", "emr_eks", "glue")},
    **{name: _databricks(name) for name in ("databricks", "databricks_serverless")},
    "dataproc": _dataproc,
}


def emulate(platform: str) -> AbstractContextManager[dict[str, Any]]:
    """Start the emulator of `platform`; the context yields a profile (as config data) for it.
    An emulator that cannot start raises `EmulatorError`, saying which one and why."""
    if platform not in EMULATORS:
        raise NoEmulatorError(
            f"no emulator for platform '{platform}' (emulated: {', '.join(sorted(EMULATORS))})"
        )
    return guarded(f"{FAMILIES[platform]} ({platform})", EMULATORS[platform])
