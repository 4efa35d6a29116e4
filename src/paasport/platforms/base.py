"""The platform layer: what every platform module provides, and what a launch returns.

A platform is a stateless class (one module each) that turns a launch request into the call of
the matching Dagster Pipes client and the platform's answers into run facts. What a platform
can and cannot do is declared as data (`Capabilities`), so the planner can reason about it.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from paasport.job.params import JobParams


class ProfileBase(BaseModel):
    """Fields every profile has; each platform subclasses it with its own fields."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    platform: str
    spark_conf: dict[str, str] = Field(
        default_factory=dict, description="Spark settings for every job on this profile"
    )
    timeout_s: float | None = Field(
        None, gt=0, description="cancel a run that takes longer (an asset's setting wins)"
    )

    def location(self) -> str | None:
        """Where this profile's runs happen, as cloud:region; None when unknown (serverless
        compute, self-hosted machines, an existing cluster), so the planner prices no egress."""
        return None


@dataclass(frozen=True)
class Capabilities:
    spot: bool = False
    serverless: bool = False
    gpu: bool = False
    existing_cluster: bool = False
    #: how Pipes context and messages travel, e.g. "temp files", "s3", "dbfs"
    pipes_transport: str = "temp files"


@dataclass(frozen=True)
class JobSpec:
    """A job: the script the platform runs, and the name shown in Spark."""

    script: Path
    name: str


@dataclass(frozen=True)
class LaunchRequest:
    job: JobSpec
    params: JobParams
    #: Spark settings after profile, asset and run overrides were applied
    spark_conf: Mapping[str, str]
    #: the project whose code (a wheel) remote platforms install; None: just the script
    project_root: Path | None = None
    #: cancel the run after this many seconds (None: no limit)
    timeout_s: float | None = None
    #: asked at every poll of a remote run: a reason to cancel it (over budget), or None
    budget: Callable[[], str | None] | None = None

    def conf_set_by_job(self) -> LaunchRequest:
        """This request with its Spark settings handed to the job, which sets them on its
        session: for platforms with no launcher to carry them (Connect, serverless compute)."""
        conf = {**self.params.spark_conf, **self.spark_conf}
        return replace(self, params=replace(self.params, spark_conf=conf))


@dataclass
class RunFacts:
    """What the platform reports about a finished run (ids, timings, billed usage)."""

    platform: str
    profile: str
    run_ids: dict[str, str] = field(default_factory=dict)
    console_url: str | None = None
    queue_s: float | None = None
    startup_s: float | None = None
    run_s: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def as_metadata(self) -> dict[str, Any]:
        meta: dict[str, Any] = {"platform": self.platform, "profile": self.profile}
        for key, value in self.run_ids.items():
            meta[f"platform_{key}"] = value
        if self.console_url:
            meta["platform_console_url"] = self.console_url
        for key in ("queue_s", "startup_s", "run_s"):
            value = getattr(self, key)
            if value is not None:
                meta[f"platform_{key}"] = round(float(value), 3)
        if self.extra:
            meta["platform_facts"] = self.extra
        return meta


@dataclass
class LaunchOutcome:
    """The Pipes results of a finished launch plus the platform's run facts."""

    results: list[Any]
    facts: RunFacts


ProfileT = TypeVar("ProfileT", bound=ProfileBase)


class Platform(abc.ABC, Generic[ProfileT]):
    """One Spark platform, generic over its profile type. Subclasses set the class attributes
    and implement `launch`."""

    name: ClassVar[str]
    capabilities: ClassVar[Capabilities]
    profile_model: ClassVar[type[ProfileBase]]

    def __init__(self, profile: ProfileT, profile_name: str) -> None:
        self.profile = profile
        self.profile_name = profile_name

    def pricing_facts(self, request: LaunchRequest) -> dict[str, Any]:
        """What the platform's cost model needs (region, machines, workers), from the profile
        and request alone, so a running estimate can be priced before any answer comes."""
        return {}

    def doctor_checks(self) -> Iterator[tuple[str, bool, str, str]]:
        """Read-only checks that this profile can run (`paasport doctor`): what, whether it
        holds, what was found, the fix (see `platforms/checks.py`). Nothing is created."""
        return iter(())

    @abc.abstractmethod
    def launch(self, context: Any, request: LaunchRequest) -> LaunchOutcome:
        """Run the job for `context` (a Dagster asset execution context) and wait for it."""
