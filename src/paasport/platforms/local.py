"""`local`: spark-submit on this machine through Dagster's PipesSubprocessClient."""

from __future__ import annotations

import os
import sys
import time
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import Field

from paasport.platforms.base import (
    Capabilities,
    LaunchOutcome,
    LaunchRequest,
    Platform,
    ProfileBase,
    RunFacts,
)

LOG4J_CONFIG = Path(__file__).with_name("log4j2.properties")


class LocalProfile(ProfileBase):
    platform: Literal["local"] = "local"
    master: str = Field("local[*]", pattern=r"^local(\[(\*|\d+)(,\d+)?\])?$")
    driver_memory: str = Field("2g", pattern=r"^\d+[kmgt]?$")


def spark_home() -> Path:
    import pyspark

    return Path(pyspark.__file__).parent


def build_command(profile: LocalProfile, request: LaunchRequest) -> list[str]:
    """The spark-submit command line (pure: no I/O, easy to test)."""
    cmd = [
        str(spark_home() / "bin" / "spark-submit"),
        "--master",
        profile.master,
        "--name",
        request.job.name,
        "--driver-memory",
        profile.driver_memory,
        "--driver-java-options",
        f"-Dlog4j2.configurationFile=file:{LOG4J_CONFIG}",
    ]
    for key, value in sorted(request.spark_conf.items()):
        cmd += ["--conf", f"{key}={value}"]
    cmd.append(str(request.job.script))
    return cmd


def build_env(java_env: Mapping[str, str]) -> dict[str, str]:
    return {
        **java_env,
        "SPARK_HOME": str(spark_home()),
        "SPARK_LOCAL_IP": "127.0.0.1",
        "PYSPARK_PYTHON": sys.executable,
        "PYSPARK_DRIVER_PYTHON": sys.executable,
        "PYTHONUNBUFFERED": "1",
        # the driver's Python must find the same packages as this process
        "PYTHONPATH": os.pathsep.join(p for p in sys.path if p),
    }


class LocalPlatform(Platform):
    name: ClassVar[str] = "local"
    capabilities: ClassVar[Capabilities] = Capabilities(pipes_transport="temp files")
    profile_model: ClassVar[type[ProfileBase]] = LocalProfile

    def launch(self, context: Any, request: LaunchRequest) -> LaunchOutcome:
        import dagster as dg

        from paasport.java import java_env

        assert isinstance(self.profile, LocalProfile)
        command = build_command(self.profile, request)
        extras = {"paasport": request.params.to_extras()}
        started = time.monotonic()
        with warnings.catch_warnings():
            # Dagster flags its own message reader internals as preview on every launch
            warnings.simplefilter("ignore", category=dg.PreviewWarning)
            invocation = dg.PipesSubprocessClient().run(
                context=context, command=command, extras=extras, env=build_env(java_env())
            )
        wall = time.monotonic() - started
        results = list(invocation.get_results())
        job_meta = _reported_metadata(results)
        job_time = job_meta.get("job_time_s")
        facts = RunFacts(
            platform=self.name,
            profile=self.profile_name,
            run_ids={"spark_app_id": str(job_meta.get("spark_app_id", ""))},
            queue_s=0.0,
            # JVM + Python start and shutdown: what the job itself did not see
            startup_s=max(0.0, wall - float(job_time)) if job_time is not None else None,
            run_s=wall,
            extra={"master": self.profile.master, "driver_memory": self.profile.driver_memory},
        )
        return LaunchOutcome(results=results, facts=facts)


def _reported_metadata(results: list[Any]) -> dict[str, Any]:
    from dagster import MaterializeResult

    for result in results:
        if isinstance(result, MaterializeResult) and result.metadata:
            return {k: getattr(v, "value", v) for k, v in result.metadata.items()}
    return {}
