"""What a platform's registry entry holds: the single source of what paasport knows about it.

An entry names modules as strings, so nothing heavy (boto3, databricks-sdk, google-cloud) is
imported until a platform is used, the way fsspec's registry works.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from paasport.platforms.base import Capabilities, Platform, RunFacts
    from paasport.pricing.breakdown import CostBreakdown
    from paasport.pricing.catalog import Catalog


@dataclass(frozen=True)
class Provider:
    """Who runs the machines: the folder that holds its platforms and what they share."""

    key: str  # the folder under paasport.platforms
    title: str  # as messages name it
    extra: str | None = None  # the pip extra its platforms need

    @property
    def install_hint(self) -> str | None:
        return f"pip install 'paasport[{self.extra}]'" if self.extra else None


@dataclass(frozen=True)
class PlatformEntry:
    name: str  # what `platform = "..."` says in a profile
    provider: Provider
    target: str  # "module:Class" of the Platform subclass
    cost_model: str  # "module:function" (facts, catalog) -> CostBreakdown
    #: "module:function" (or the function): platform name -> context manager yielding a
    #: profile (config data) pointing at a running emulator; None: no emulator
    emulator: str | Callable[[str], AbstractContextManager[dict[str, Any]]] | None = None
    #: the platform's own extra when it differs from its provider's
    extra: str | None = None

    @property
    def install_hint(self) -> str | None:
        if self.extra:
            return f"pip install 'paasport[{self.extra}]'"
        return self.provider.install_hint

    def load(self) -> type[Platform]:
        try:
            cls: type[Platform] = _resolve(self.target)
        except ImportError as exc:
            hint = f"; install it with: {self.install_hint}" if self.install_hint else ""
            raise ImportError(
                f"platform '{self.name}' needs a missing package ({exc}){hint}"
            ) from exc
        return cls

    @property
    def capabilities(self) -> Capabilities:
        return self.load().capabilities

    def cost(self, facts: RunFacts, catalog: Catalog) -> CostBreakdown:
        model: Callable[[RunFacts, Catalog], CostBreakdown] = _resolve(self.cost_model)
        return model(facts, catalog)

    def emulator_factory(self) -> Callable[[str], AbstractContextManager[dict[str, Any]]] | None:
        """The emulator's start function (imported now), or None when there is none."""
        if self.emulator is None:
            return None
        return _resolve(self.emulator) if isinstance(self.emulator, str) else self.emulator

    def emulate(self) -> AbstractContextManager[dict[str, Any]]:
        start = self.emulator_factory()
        if start is None:
            raise NoEmulatorError(f"no emulator for platform '{self.name}'")
        return start(self.name)


class UnknownPlatformError(KeyError):
    def __str__(self) -> str:
        return str(self.args[0])


class NoEmulatorError(KeyError):
    def __str__(self) -> str:
        return str(self.args[0])


def _resolve(target: str) -> Any:
    module_name, _, attr = target.partition(":")
    return getattr(importlib.import_module(module_name), attr)
