"""The registry: every platform paasport knows, one entry each, declared by its provider.

Each provider folder (`platforms/<provider>/__init__.py`) lists its platforms' entries
(`entry.py`); this module gathers them. Everything that lists platforms (pricing, doctor,
emulators, the CLI, the conformance suite) reads the registry.
"""

from __future__ import annotations

import importlib

from paasport.platforms.base import Platform
from paasport.platforms.entry import PlatformEntry, UnknownPlatformError

#: provider packages under paasport.platforms; each has a PLATFORMS list of entries
PROVIDERS = ("selfhosted", "aws", "databricks", "gcp")


def _load_registry() -> dict[str, PlatformEntry]:
    out: dict[str, PlatformEntry] = {}
    for key in PROVIDERS:
        module = importlib.import_module(f"paasport.platforms.{key}")
        for entry in module.PLATFORMS:
            if entry.name in out:
                raise ValueError(f"platform '{entry.name}' is registered twice ({key})")
            out[entry.name] = entry
    return out


#: every platform paasport knows, by name (provider order, then each provider's order)
REGISTRY: dict[str, PlatformEntry] = _load_registry()


def platform_names() -> list[str]:
    return sorted(REGISTRY)


def entry(name: str) -> PlatformEntry:
    found = REGISTRY.get(name)
    if found is None:
        raise UnknownPlatformError(
            f"unknown platform '{name}' (known: {', '.join(platform_names())})"
        )
    return found


def get_platform_class(name: str) -> type[Platform]:
    return entry(name).load()


def emulated_platforms() -> list[str]:
    return sorted(name for name, e in REGISTRY.items() if e.emulator)
