"""`standalone`: spark-submit to a Spark standalone cluster (`spark://host:port`), client mode.

The driver runs on this machine (so Pipes travels through temp files as for `local`); the
executors run on the cluster's workers, which must reach the job's input and output paths.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field

from paasport.platforms.base import Capabilities, LaunchRequest, ProfileBase
from paasport.platforms.checks import Checks, java, reachable
from paasport.platforms.selfhosted.spark_submit import (
    MEMORY,
    SparkSubmitPlatform,
    SparkSubmitProfile,
    build_command,
)


class StandaloneProfile(SparkSubmitProfile):
    platform: Literal["standalone"] = "standalone"
    master: str = Field(pattern=r"^spark://[^/:]+(:\d+)?(,[^/:]+(:\d+)?)*$")
    executor_memory: str = Field("1g", pattern=MEMORY)
    executor_cores: int = Field(1, ge=1)
    total_executor_cores: int | None = Field(None, ge=1)


class StandalonePlatform(SparkSubmitPlatform[StandaloneProfile]):
    name: ClassVar[str] = "standalone"
    capabilities: ClassVar[Capabilities] = Capabilities(
        existing_cluster=True, pipes_transport="temp files (driver in client mode)"
    )
    profile_model: ClassVar[type[ProfileBase]] = StandaloneProfile

    def command(self, request: LaunchRequest) -> list[str]:
        p = self.profile
        args = ["--deploy-mode", "client", "--executor-memory", p.executor_memory]
        args += ["--executor-cores", str(p.executor_cores)]
        if p.total_executor_cores:
            args += ["--total-executor-cores", str(p.total_executor_cores)]
        return build_command(p.master, p.driver_memory, request, args)

    def loopback(self) -> bool:
        # bind the driver to loopback only when the cluster itself is on this machine
        hosts = self.profile.master.removeprefix("spark://").split(",")
        return all(h.split(":")[0] in ("127.0.0.1", "localhost") for h in hosts)

    def doctor_checks(self) -> Checks:
        yield from java()
        master = self.profile.master
        for host_port in master.removeprefix("spark://").split(","):
            yield (
                f"master {host_port} reachable",
                reachable(host_port, 7077),
                master,
                "start the cluster, or fix `master` in the profile",
            )

    def pricing_facts(self, request: LaunchRequest) -> dict[str, Any]:
        p = self.profile
        return {"cores": p.total_executor_cores or p.executor_cores}

    def facts_extra(self) -> dict[str, Any]:
        p = self.profile
        return {
            "master": p.master,
            "executor_memory": p.executor_memory,
            "executor_cores": p.executor_cores,
            "total_executor_cores": p.total_executor_cores,
        }
