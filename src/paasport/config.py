"""The project config file (`paasport.toml`): default platform, profiles, per-asset settings.

Every error names the file and the field, and is raised before anything is launched.
"""

from __future__ import annotations

import math
import os
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from paasport.diagnostics.settings import DiagnosticsSettings
from paasport.job.params import DEFAULT_PLATFORM
from paasport.platforms import ProfileBase, UnknownPlatformError, get_platform_class, platform_names
from paasport.pricing.catalog import PricingSettings
from paasport.tuning.space import TUNABLE

CONFIG_FILE = "paasport.toml"
CONFIG_ENV = "PAASPORT_CONFIG"


class ConfigError(ValueError):
    """Invalid configuration; the message names the file and the field."""


class AssetSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    platform: str | None = Field(None, description="platform or profile for this asset")
    spark_conf: dict[str, str] = Field(default_factory=dict)
    params: dict[str, str] = Field(default_factory=dict)
    timeout_s: float | None = Field(None, gt=0, description="cancel runs that take longer")
    max_cost_usd: float | None = Field(
        None, gt=0, description="cancel a run whose estimated cost goes over this"
    )
    deadline_s: float | None = Field(
        None, gt=0, description="platform = auto: finish within this, at the planner's confidence"
    )
    diagnostics: DiagnosticsSettings = Field(
        default_factory=DiagnosticsSettings,
        description="which diagnostics checks block (fail_on), are off (disable), thresholds",
    )
    input_location: str | None = Field(
        None,
        pattern=r"^(aws|gcp|azure):[a-z0-9-]+$",
        description="platform = auto: where the input lives, e.g. aws:us-east-1 (egress prices)",
    )
    tuning: Literal["off", "suggest", "auto"] = Field(
        "off",
        description="suggest: record the next settings to try; auto: run with them (see README)",
    )
    tuning_pinned: list[str] = Field(
        default_factory=list, description="Spark settings tuning never changes for this asset"
    )

    @field_validator("tuning_pinned")
    @classmethod
    def _tunable(cls, keys: list[str]) -> list[str]:
        for key in keys:
            if key not in TUNABLE:
                raise ValueError(
                    f"{key!r} is not a setting tuning changes, so it needs no pin; tuning "
                    f"changes: {', '.join(sorted(TUNABLE))}"
                )
        return keys


#: the platform name that lets the planner choose among [planner] candidates
AUTO = "auto"


class PlannerSettings(BaseModel):
    """`[planner]`: what `platform = "auto"` may choose from, and how it fails over."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    candidates: list[str] = Field(default_factory=list, description="profiles or platforms")
    objective: Literal["cost", "time"] = "cost"
    confidence: float = Field(0.9, ge=0.5, lt=1)
    #: successful runs each candidate needs on an asset before the plan trusts its history
    explore_runs: int = Field(1, ge=0)
    #: platform errors (capacity, throttling, quota, outage) retried on the same candidate
    platform_retries: int = Field(1, ge=0)
    #: the first backoff (it doubles per retry); longer than a day is an outage, not a backoff,
    #: and an absurd one would overflow the sleep after launching
    retry_backoff_s: float = Field(10.0, ge=0, le=24 * 3600)
    #: a job that fails by itself (its own code or data) is tried again this often, then fails
    user_error_retries: int = Field(0, ge=0)


class _RawConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    platform: str = DEFAULT_PLATFORM
    params: dict[str, str] = Field(default_factory=dict)
    max_run_cost_usd: float | None = Field(
        None, gt=0, description="cap on what all steps of one Dagster run may cost"
    )
    pricing: PricingSettings = Field(default_factory=PricingSettings)
    planner: PlannerSettings = Field(default_factory=PlannerSettings)
    profiles: dict[str, dict[str, Any]] = Field(default_factory=dict)
    assets: dict[str, AssetSettings] = Field(default_factory=dict)


@dataclass(frozen=True)
class ResolvedProfile:
    name: str
    profile: ProfileBase


@dataclass(frozen=True)
class ProjectConfig:
    path: Path | None
    platform: str
    params: Mapping[str, str]
    profiles: Mapping[str, ProfileBase]
    assets: Mapping[str, AssetSettings]
    #: how errors name this config: the file, or where an in-memory config came from
    source: str = "built-in defaults"
    pricing: PricingSettings = field(default_factory=PricingSettings)
    max_run_cost_usd: float | None = None
    planner: PlannerSettings = field(default_factory=PlannerSettings)

    @property
    def root(self) -> Path:
        """Directory the config file lives in; relative paths in params are relative to it."""
        return self.path.parent if self.path else Path.cwd()

    def asset(self, name: str) -> AssetSettings:
        return self.assets.get(name) or AssetSettings(platform=None)

    def resolve(self, name: str, where: str) -> ResolvedProfile:
        """A platform or profile name -> its validated profile; `where` names the field."""
        if name == AUTO:
            raise ConfigError(
                f"{self.source}: {where}: 'auto' is chosen by the planner, not a profile"
            )
        if name in self.profiles:
            return ResolvedProfile(name, self.profiles[name])
        if name in platform_names():
            try:
                return ResolvedProfile(name, _validate_profile({"platform": name}, "profile"))
            except ConfigError as exc:
                raise ConfigError(
                    f"{self.source}: {where}: platform '{name}' has required settings, so it "
                    f'needs a profile: add [profiles.<name>] with platform = "{name}" ({exc})'
                ) from None
        raise ConfigError(
            f"{self.source}: {where}: unknown platform or profile '{name}' "
            f"(profiles: {', '.join(sorted(self.profiles)) or 'none'}; "
            f"platforms: {', '.join(platform_names())})"
        )


def _format_validation(error: ValidationError, prefix: str) -> str:
    lines = []
    for item in error.errors():
        loc = ".".join(str(p) for p in (prefix, *item["loc"]) if p != "")
        lines.append(f"{loc}: {item['msg']}")
    return "; ".join(lines)


def _validate_profile(raw: Mapping[str, Any], where: str) -> ProfileBase:
    platform = raw.get("platform")
    if not isinstance(platform, str):
        raise ConfigError(f"{where}.platform: required (one of {', '.join(platform_names())})")
    try:
        model = get_platform_class(platform).profile_model
    except UnknownPlatformError as exc:
        raise ConfigError(f"{where}.platform: {exc}") from None
    except ImportError as exc:  # the platform's optional SDK is not installed
        raise ConfigError(f"{where}.platform: {exc}") from None
    try:
        return model.model_validate(dict(raw))
    except ValidationError as exc:
        raise ConfigError(_format_validation(exc, where)) from None


def find_config_file(start: Path | None = None) -> Path | None:
    if env := os.environ.get(CONFIG_ENV):
        path = Path(env)
        if not path.is_file():
            raise ConfigError(f"{CONFIG_ENV}={env}: no such file")
        return path.resolve()
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / CONFIG_FILE
        if candidate.is_file():
            return candidate
    return None


def _not_finite(value: Any, loc: str = "") -> str | None:
    """The first NaN or infinity in the config (TOML has `nan` and `inf`), as an error naming
    its field: no field means either (a comparison with NaN is always false, so a NaN limit
    would silently never apply; an infinite time overflows the sleep that waits for it)."""
    if isinstance(value, float) and not math.isfinite(value):
        return f"{loc}: not a finite number ({value})"
    if isinstance(value, Mapping):
        items: Iterable[tuple[Any, Any]] = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return None
    for key, child in items:
        if found := _not_finite(child, f"{loc}.{key}" if loc else str(key)):
            return found
    return None


def parse_config(data: Mapping[str, Any], path: Path | None) -> ProjectConfig:
    source = str(path) if path else ("inline config" if data else "built-in defaults")
    if problem := _not_finite(data):
        raise ConfigError(f"{source}: {problem}")
    try:
        raw = _RawConfig.model_validate(dict(data))
    except ValidationError as exc:
        raise ConfigError(f"{source}: {_format_validation(exc, '')}") from None
    try:
        profiles = {
            name: _validate_profile(body, f"profiles.{name}") for name, body in raw.profiles.items()
        }
    except ConfigError as exc:
        raise ConfigError(f"{source}: {exc}") from None
    config = ProjectConfig(
        path=path,
        platform=raw.platform,
        params=raw.params,
        profiles=profiles,
        assets=raw.assets,
        source=source,
        pricing=raw.pricing,
        max_run_cost_usd=raw.max_run_cost_usd,
        planner=raw.planner,
    )
    # every platform reference must resolve now, not at launch time
    references = [(raw.platform, "platform")] + [
        (s.platform, f"assets.{asset}.platform") for asset, s in raw.assets.items() if s.platform
    ]
    for name, where in references:
        if name != AUTO:
            config.resolve(name, where)
        elif not raw.planner.candidates:
            raise ConfigError(
                f"{source}: {where}: 'auto' needs [planner] candidates = [...] "
                "(the profiles or platforms the planner may choose from)"
            )
    for i, name in enumerate(raw.planner.candidates):
        config.resolve(name, f"planner.candidates[{i}]")
    return config


def load_config(
    path: Path | str | None = None,
    extra_profiles: Mapping[str, Mapping[str, Any]] | None = None,
    planner: Mapping[str, Any] | None = None,
) -> ProjectConfig:
    """Load and validate the project config; no file at all means built-in defaults.

    `extra_profiles` adds profiles that exist only for this process (an emulated platform);
    `planner` replaces [planner] for this process (the emulated `auto` demo).
    """
    file = Path(path).resolve() if path else find_config_file()
    data: dict[str, Any] = {}
    if file is not None:
        try:
            data = tomllib.loads(file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"{file}: no such file") from None
        except OSError as exc:  # a folder, no permission
            raise ConfigError(f"{file}: cannot read the config ({exc.strerror})") from None
        except UnicodeDecodeError as exc:
            raise ConfigError(
                f"{file}: invalid TOML: not UTF-8 text (byte {exc.start}: {exc.reason})"
            ) from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{file}: invalid TOML: {exc}") from None
        except RecursionError:  # tomllib recurses once per nested array or table
            raise ConfigError(f"{file}: invalid TOML: arrays or tables nested too deeply") from None
    if extra_profiles:
        # a malformed [profiles] is left as it is, for the validation to name it
        found = data.get("profiles", {})
        data["profiles"] = {**found, **extra_profiles} if isinstance(found, Mapping) else found
    if planner:
        data["planner"] = dict(planner)
    return parse_config(data, file)
