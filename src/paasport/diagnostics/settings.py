"""Per-asset diagnostics settings, as written in `paasport.toml` (`[assets.X] diagnostics`)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from paasport.diagnostics.findings import ALL_CHECKS
from paasport.diagnostics.thresholds import THRESHOLDS


class DiagnosticsSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    #: checks whose failure is an ERROR (blocks the run); the rest only warn
    fail_on: list[str] = []
    #: checks not run at all
    disable: list[str] = []
    #: threshold name -> value, replacing the default in paasport.diagnostics.thresholds
    thresholds: dict[str, float] = {}
    #: how many of the latest successful runs make the regression baseline
    baseline_runs: int = Field(default=10, ge=1)

    @field_validator("fail_on", "disable")
    @classmethod
    def _known_checks(cls, names: list[str]) -> list[str]:
        for name in names:
            if name not in ALL_CHECKS:
                raise ValueError(f"unknown check {name!r}; valid checks: {', '.join(ALL_CHECKS)}")
        return names

    @field_validator("thresholds")
    @classmethod
    def _known_thresholds(cls, values: dict[str, float]) -> dict[str, float]:
        for name in values:
            if name not in THRESHOLDS:
                raise ValueError(
                    f"unknown threshold {name!r}; valid thresholds: {', '.join(THRESHOLDS)}"
                )
        return values

    def threshold(self, name: str) -> float:
        """The user's value, else the default (a KeyError for a name that does not exist)."""
        return float(self.thresholds.get(name, THRESHOLDS[name]))

    def severity(self, check: str) -> str:
        return "ERROR" if check in self.fail_on else "WARN"
