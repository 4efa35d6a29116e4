"""Registry of platforms: names map to lazily imported classes (SDKs load only when used)."""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from paasport.platforms.base import (
    Capabilities,
    JobSpec,
    LaunchOutcome,
    LaunchRequest,
    Platform,
    ProfileBase,
    RunFacts,
)


@dataclass(frozen=True)
class PlatformEntry:
    target: str  # "module:Class"
    install_hint: str | None = None


AWS_HINT = "pip install 'paasport[aws]'"
DATABRICKS_HINT = "pip install 'paasport[databricks]'"

#: Every platform paasport knows. Later platforms add one line here and one module.
REGISTRY: dict[str, PlatformEntry] = {
    "local": PlatformEntry("paasport.platforms.local:LocalPlatform"),
    "standalone": PlatformEntry("paasport.platforms.standalone:StandalonePlatform"),
    "connect": PlatformEntry(
        "paasport.platforms.connect:ConnectPlatform", "pip install 'paasport[connect]'"
    ),
    "emr": PlatformEntry("paasport.platforms.emr:EmrPlatform", AWS_HINT),
    "emr_serverless": PlatformEntry(
        "paasport.platforms.emr_serverless:EmrServerlessPlatform", AWS_HINT
    ),
    "emr_eks": PlatformEntry("paasport.platforms.emr_eks:EmrEksPlatform", AWS_HINT),
    "glue": PlatformEntry("paasport.platforms.glue:GluePlatform", AWS_HINT),
    "databricks": PlatformEntry(
        "paasport.platforms.databricks:DatabricksPlatform", DATABRICKS_HINT
    ),
    "databricks_serverless": PlatformEntry(
        "paasport.platforms.databricks_serverless:DatabricksServerlessPlatform", DATABRICKS_HINT
    ),
    "dataproc": PlatformEntry(
        "paasport.platforms.dataproc:DataprocPlatform", "pip install 'paasport[gcp]'"
    ),
}


class UnknownPlatformError(KeyError):
    def __str__(self) -> str:
        return str(self.args[0])


def platform_names() -> list[str]:
    return sorted(REGISTRY)


def get_platform_class(name: str) -> type[Platform]:
    entry = REGISTRY.get(name)
    if entry is None:
        raise UnknownPlatformError(
            f"unknown platform '{name}' (known: {', '.join(platform_names())})"
        )
    module_name, _, class_name = entry.target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        hint = f"; install it with: {entry.install_hint}" if entry.install_hint else ""
        raise ImportError(f"platform '{name}' needs a missing package ({exc}){hint}") from exc
    cls: type[Platform] = getattr(module, class_name)
    return cls


__all__ = [
    "REGISTRY",
    "Capabilities",
    "JobSpec",
    "LaunchOutcome",
    "LaunchRequest",
    "Platform",
    "ProfileBase",
    "RunFacts",
    "UnknownPlatformError",
    "get_platform_class",
    "platform_names",
]
