"""The platform layer: the interface (`base`), the registry of platforms by name, and the
mechanisms the platforms share (`remote`, `packaging`, `pipes_files`); one folder per provider
(`selfhosted`, `aws`, `databricks`, `gcp`) holds its platforms."""

from __future__ import annotations

from paasport.platforms.base import (
    Capabilities,
    JobSpec,
    LaunchOutcome,
    LaunchRequest,
    Platform,
    ProfileBase,
    RunFacts,
)
from paasport.platforms.entry import NoEmulatorError, PlatformEntry, UnknownPlatformError
from paasport.platforms.registry import (
    REGISTRY,
    emulated_platforms,
    entry,
    get_platform_class,
    platform_names,
)

__all__ = [
    "REGISTRY",
    "Capabilities",
    "JobSpec",
    "LaunchOutcome",
    "LaunchRequest",
    "NoEmulatorError",
    "Platform",
    "PlatformEntry",
    "ProfileBase",
    "RunFacts",
    "UnknownPlatformError",
    "emulated_platforms",
    "entry",
    "get_platform_class",
    "platform_names",
]
