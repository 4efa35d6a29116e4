"""Tuning in the resource: an asset's history on one profile, from the Dagster event log, to the
next run's settings; and what each materialization records of the tuning state.

The state is derived from the event log each time (no second database): `plan_next` replays
the runs recorded with `tuning_*` metadata.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from paasport.dagster.history import materializations
from paasport.tuning import TuningPlan, TuningRun, plan_next, tuning_run


@dataclass
class AssetTuning:
    """One asset on one profile: its runs so far and the plan for this run."""

    mode: str  # "suggest" or "auto"
    runs: list[TuningRun]
    own: dict[str, str]
    pinned: frozenset[str]
    deadline_s: float | None
    cores: int
    plan: TuningPlan

    @property
    def applies(self) -> bool:
        """This run tries the plan's settings (a trial, under `tuning = "auto"`)."""
        return self.mode == "auto" and self.plan.trial is not None

    def settings(self, incumbent: bool = False) -> dict[str, str]:
        """The settings tuning sets for this run: none under "suggest"."""
        if self.mode != "auto":
            return {}
        chosen = self.plan.incumbent if incumbent else self.plan.settings
        return {k: v for k, v in chosen.items() if k not in self.pinned}

    def metadata(self, run_meta: Mapping[str, Any], trial_failed: bool) -> dict[str, Any]:
        """What the materialization records: the trial this run made (if any), the decision
        once this run is counted, both sides' figures, and what comes next."""
        ran_trial = self.applies
        meta = {**run_meta, "tuning_failed": trial_failed}
        if ran_trial:
            meta["tuning_trial"] = self.plan.trial
        after = plan_next([*self.runs, tuning_run(meta)], self.own, self.pinned,
                          self.deadline_s, self.cores, seed=len(self.runs) + 1)  # fmt: skip
        out: dict[str, Any] = {
            "tuning_mode": self.mode,
            "tuning_decision": after.decision,
            "tuning_incumbent": after.incumbent,
            "tuning_figures": after.figures,
            "tuning_next": {"settings": after.settings, "trial": after.trial, "why": after.why},
            "tuning_failed": trial_failed,
        }
        if ran_trial:
            out["tuning_trial"] = self.plan.trial
        return out


def asset_tuning(
    instance: Any,
    asset: str,
    profile: str,
    mode: str,
    own: Mapping[str, str],
    pinned: Collection[str],
    deadline_s: float | None,
) -> AssetTuning:
    """The asset's tuning state on `profile` and the plan for its next run."""
    runs: list[TuningRun] = []
    cores: int | None = None
    for m in materializations(instance, asset):
        if m.metadata.get("profile") != profile:
            continue  # what is right on EMR is not right on Glue: state per profile
        runs.append(tuning_run(m.metadata))
        value = m.metadata.get("spark_cores")
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            cores = value
    cores = cores or os.cpu_count() or 2
    fixed = frozenset(pinned)
    plan = plan_next(runs, own, fixed, deadline_s, cores, seed=len(runs))
    return AssetTuning(mode, runs, dict(own), fixed, deadline_s, cores, plan)
