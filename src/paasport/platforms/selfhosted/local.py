"""`local`: spark-submit on this machine through Dagster's PipesSubprocessClient; with
`warm = true`, a plain Python client of one shared local Spark Connect server instead (see
paasport.platforms.selfhosted.warm), and the cold path where that cannot honour the run."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import re
import sys
from typing import Any, ClassVar, Literal

from pydantic import Field

from paasport.job.defaults import CONNECT_UI_VAR, STRICT_CONF_VAR
from paasport.platforms.base import Capabilities, LaunchOutcome, LaunchRequest, ProfileBase
from paasport.platforms.selfhosted.spark_submit import (
    SparkSubmitPlatform,
    SparkSubmitProfile,
    build_command,
    reported_metadata,
)


class LocalProfile(SparkSubmitProfile):
    platform: Literal["local"] = "local"
    master: str = Field("local[*]", pattern=r"^local(\[(\*|\d+)(,\d+)?\])?$")
    warm: bool = Field(
        False,
        description="run on one shared local Spark Connect server, started on first use and "
        "stopped after `warm_idle_s` unused, instead of a JVM per run; a run whose Spark "
        "settings only a new Spark can take (driver, executor, static SQL) runs cold",
    )
    warm_idle_s: int = Field(600, ge=10, description="stop the warm server after this long unused")


class LocalPlatform(SparkSubmitPlatform[LocalProfile]):
    name: ClassVar[str] = "local"
    capabilities: ClassVar[Capabilities] = Capabilities(pipes_transport="temp files")
    profile_model: ClassVar[type[ProfileBase]] = LocalProfile
    #: the warm server this launch runs on (set only inside `launch`)
    _warm: Any = None

    def command(self, request: LaunchRequest) -> list[str]:
        if self._warm is not None:
            return [sys.executable, str(request.job.script)]
        return build_command(self.profile.master, self.profile.driver_memory, request)

    def extra_env(self) -> dict[str, str]:
        if self._warm is None:
            return super().extra_env()
        return {
            "SPARK_REMOTE": self._warm.url,
            CONNECT_UI_VAR: self._warm.ui_url,
            STRICT_CONF_VAR: "1",  # what the user set applies, or the run fails
        }

    def launch(self, context: Any, request: LaunchRequest) -> LaunchOutcome:
        if not self.profile.warm:
            return super().launch(context, request)
        from paasport.platforms.selfhosted import warm

        if refused := warm.needs_launch(request.spark_conf):
            return self._cold(context, request, f"{', '.join(refused)} set only at launch")
        spec = warm.WarmSpec(
            self.profile.master,
            self.profile.driver_memory,
            self.profile.class_archive,
            float(self.profile.warm_idle_s),
        )
        if importlib.util.find_spec("grpc") is None:
            return self._cold(context, request, "the Connect client (paasport[connect]) is absent")
        with contextlib.ExitStack() as stack:
            try:
                server = stack.enter_context(warm.acquire(spec, say=context.log.info))
            except (warm.WarmError, OSError) as exc:
                context.log.warning(f"the warm local Spark is unavailable: {exc}")
                return self._cold(context, request, "the warm server did not start")
            self._warm = server
            try:
                outcome = super().launch(context, request.conf_set_by_job())
            finally:
                self._warm = None
        session_id = reported_metadata(outcome.results).get("spark_connect_session_id")
        if session_id:
            outcome.facts.run_ids["connect_session_id"] = str(session_id)
        outcome.facts.extra["warm"] = {"server": server.url, "log": server.log}
        return outcome

    def _cold(self, context: Any, request: LaunchRequest, why: str) -> LaunchOutcome:
        context.log.info(f"warm = true, but this run starts its own Spark: {why}")
        outcome = super().launch(context, request)
        outcome.facts.extra["warm"] = {"cold": why}
        return outcome

    def pricing_facts(self, request: LaunchRequest) -> dict[str, Any]:
        match = re.fullmatch(r"local\[(\d+)", self.profile.master.split(",")[0])
        return {"cores": int(match.group(1)) if match else os.cpu_count() or 1}

    def facts_extra(self) -> dict[str, Any]:
        return {"master": self.profile.master, "driver_memory": self.profile.driver_memory}
