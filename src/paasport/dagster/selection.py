"""Which platform runs an asset: configuration only, most specific first.

1. the asset's run config (launchpad: `ops.<asset>.config.platform`)
2. the run tag `paasport/platform`
3. the project config file: `[assets.<asset>] platform`
4. the project config file: top-level `platform`
5. `local`
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from paasport.config import AUTO, ProjectConfig, ResolvedProfile

PLATFORM_TAG = "paasport/platform"


@dataclass(frozen=True)
class Selection:
    name: str
    #: where the choice came from, recorded as metadata so a surprise is easy to trace
    source: str
    #: None for `auto`: the planner resolves a candidate per run
    resolved: ResolvedProfile | None


def select_platform(
    config: ProjectConfig,
    asset: str,
    run_config_platform: str | None,
    run_tags: Mapping[str, str],
) -> Selection:
    candidates = [
        (run_config_platform, f"run config ops.{asset}.config.platform"),
        (run_tags.get(PLATFORM_TAG), f"run tag {PLATFORM_TAG}"),
        (config.asset(asset).platform, f"{config.source}: assets.{asset}.platform"),
        (config.platform, f"{config.source}: platform"),
    ]
    for name, source in candidates:
        if name == AUTO:
            return Selection(name=name, source=source, resolved=None)
        if name:
            return Selection(name=name, source=source, resolved=config.resolve(name, source))
    raise AssertionError("config.platform always has a value")  # pragma: no cover
