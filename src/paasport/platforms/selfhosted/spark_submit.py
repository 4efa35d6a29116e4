"""What every platform that launches `spark-submit` from this machine shares (local, standalone).

The driver runs here in client mode, so Dagster's PipesSubprocessClient carries the Pipes
context and messages through temp files; only the master and a few flags differ per platform.
"""

from __future__ import annotations

import os
import sys
import time
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import Field

from paasport.platforms.base import (
    LaunchOutcome,
    LaunchRequest,
    Platform,
    ProfileBase,
    ProfileT,
    RunFacts,
)
from paasport.platforms.checks import Checks, java
from paasport.platforms.pipes_files import WholeLineTempFileMessageReader
from paasport.platforms.selfhosted.class_archive import spark_home, submit_opts_with_archive

LOG4J_CONFIG = Path(__file__).with_name("log4j2.properties")
MEMORY = r"^\d+[kmgt]?$"


class SparkSubmitProfile(ProfileBase):
    driver_memory: str = Field("2g", pattern=MEMORY)
    #: map a class-data archive of Spark's classes into the driver JVM (dumped once, ~30 s):
    #: a short job's start about halves; see paasport.platforms.selfhosted.class_archive
    class_archive: bool = True


def build_command(
    master: str, driver_memory: str, request: LaunchRequest, extra_args: Sequence[str] = ()
) -> list[str]:
    """The spark-submit command line (pure: no I/O, easy to test)."""
    conf = dict(request.spark_conf)
    java_opts = f"-Dlog4j2.configurationFile=file:{LOG4J_CONFIG}"
    # --driver-java-options replaces spark.driver.extraJavaOptions given as --conf: the user's
    # go into the flag, after ours (the JVM takes the last of a repeated option)
    if user_opts := conf.pop("spark.driver.extraJavaOptions", "").strip():
        java_opts = f"{java_opts} {user_opts}"
    cmd = [
        str(spark_home() / "bin" / "spark-submit"),
        "--master",
        master,
        "--name",
        request.job.name,
        "--driver-memory",
        driver_memory,
        "--driver-java-options",
        java_opts,
        *extra_args,
    ]
    for key, value in sorted(conf.items()):
        cmd += ["--conf", f"{key}={value}"]
    cmd.append(str(request.job.script))
    return cmd


def build_env(java_env: Mapping[str, str], loopback: bool = True) -> dict[str, str]:
    env = {
        **java_env,
        "SPARK_HOME": str(spark_home()),
        "PYSPARK_PYTHON": sys.executable,
        "PYSPARK_DRIVER_PYTHON": sys.executable,
        "PYTHONUNBUFFERED": "1",
        # the driver's Python must find the same packages as this process
        "PYTHONPATH": os.pathsep.join(p for p in sys.path if p),
    }
    if loopback:
        env["SPARK_LOCAL_IP"] = "127.0.0.1"
    return env


def reported_metadata(results: Sequence[Any]) -> dict[str, Any]:
    """The metadata the job reported through Pipes, as plain values."""
    from dagster import MaterializeResult

    for result in results:
        if isinstance(result, MaterializeResult) and result.metadata:
            return {k: getattr(v, "value", v) for k, v in result.metadata.items()}
    return {}


class SparkSubmitPlatform(Platform[ProfileT]):
    """Base of platforms that run spark-submit here; subclasses say how to build the command."""

    def command(self, request: LaunchRequest) -> list[str]:
        raise NotImplementedError

    def loopback(self) -> bool:
        return True

    def facts_extra(self) -> dict[str, Any]:
        return {}

    def extra_env(self) -> dict[str, str]:
        if not isinstance(self.profile, SparkSubmitProfile) or not self.profile.class_archive:
            return {}
        return {"SPARK_SUBMIT_OPTS": submit_opts_with_archive(os.environ.get("SPARK_SUBMIT_OPTS"))}

    def doctor_checks(self) -> Checks:
        return java()

    def launch(self, context: Any, request: LaunchRequest) -> LaunchOutcome:
        import dagster as dg

        from paasport.java import java_env

        extras = {"paasport": request.params.to_extras()}
        started = time.monotonic()
        with warnings.catch_warnings():
            # Dagster flags its own message reader internals as preview on every launch
            warnings.simplefilter("ignore", category=dg.PreviewWarning)
            client = dg.PipesSubprocessClient(message_reader=WholeLineTempFileMessageReader())
            invocation = client.run(
                context=context,
                command=self.command(request),
                extras=extras,
                env={**build_env(java_env(), loopback=self.loopback()), **self.extra_env()},
            )
        wall = time.monotonic() - started
        # no made-up empty materialization when the job reported none: that is a failure
        results = list(invocation.get_results(implicit_materializations=False))
        if not results:
            raise dg.Failure(
                description="the job ended without reporting a materialization through Pipes "
                "(did it die before opening Pipes? see its output above)"
            )
        job_meta = reported_metadata(results)
        job_time = job_meta.get("job_time_s")
        facts = RunFacts(
            platform=self.name,
            profile=self.profile_name,
            run_ids={"spark_app_id": str(job_meta.get("spark_app_id", ""))},
            queue_s=0.0,
            # JVM + Python start and shutdown: what the job itself did not see
            startup_s=max(0.0, wall - float(job_time)) if job_time is not None else None,
            run_s=wall,
            extra={**self.facts_extra(), "pricing": self.pricing_facts(request)},
        )
        return LaunchOutcome(results=results, facts=facts)
