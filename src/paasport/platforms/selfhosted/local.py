"""`local`: spark-submit on this machine through Dagster's PipesSubprocessClient."""

from __future__ import annotations

import os
import re
from typing import Any, ClassVar, Literal

from pydantic import Field

from paasport.platforms.base import Capabilities, LaunchRequest, ProfileBase
from paasport.platforms.selfhosted.spark_submit import (
    SparkSubmitPlatform,
    SparkSubmitProfile,
    build_command,
)


class LocalProfile(SparkSubmitProfile):
    platform: Literal["local"] = "local"
    master: str = Field("local[*]", pattern=r"^local(\[(\*|\d+)(,\d+)?\])?$")


class LocalPlatform(SparkSubmitPlatform[LocalProfile]):
    name: ClassVar[str] = "local"
    capabilities: ClassVar[Capabilities] = Capabilities(pipes_transport="temp files")
    profile_model: ClassVar[type[ProfileBase]] = LocalProfile

    def command(self, request: LaunchRequest) -> list[str]:
        return build_command(self.profile.master, self.profile.driver_memory, request)

    def pricing_facts(self, request: LaunchRequest) -> dict[str, Any]:
        match = re.fullmatch(r"local\[(\d+)", self.profile.master.split(",")[0])
        return {"cores": int(match.group(1)) if match else os.cpu_count() or 1}

    def facts_extra(self) -> dict[str, Any]:
        return {"master": self.profile.master, "driver_memory": self.profile.driver_memory}
