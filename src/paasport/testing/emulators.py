"""Emulated platforms by name: start one, get the profile that points at it, stop it after."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from paasport.testing.standalone import StandaloneCluster

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


#: platform name -> context manager yielding the profile of the running emulator
EMULATORS: dict[str, Callable[[], AbstractContextManager[dict[str, Any]]]] = {
    "standalone": _standalone,
    "connect": _connect,
    **{name: _aws(name) for name in ("emr", "emr_serverless", "emr_eks", "glue")},
    **{name: _databricks(name) for name in ("databricks", "databricks_serverless")},
    "dataproc": _dataproc,
}


def emulate(platform: str) -> AbstractContextManager[dict[str, Any]]:
    """Start the emulator of `platform`; the context yields a profile (as config data) for it."""
    if platform not in EMULATORS:
        raise NoEmulatorError(
            f"no emulator for platform '{platform}' (emulated: {', '.join(sorted(EMULATORS))})"
        )
    return EMULATORS[platform]()
