"""Per-asset Spark settings tuning: the pure logic (no Spark, no Dagster).

A run's metadata -> TuningRun; the history of TuningRuns -> plan_next -> the next run's
settings, trial and decision. Rules fix plainly wrong settings first; a small seeded
optuna search follows; `decide` keeps noise from being mistaken for a gain.
"""

from __future__ import annotations

from paasport.tuning.compare import decide
from paasport.tuning.plan import TuningPlan, plan_next
from paasport.tuning.rules import rule_proposal
from paasport.tuning.run import TuningRun, objective, tuning_run
from paasport.tuning.space import TUNABLE

__all__ = [
    "TUNABLE",
    "TuningPlan",
    "TuningRun",
    "decide",
    "objective",
    "plan_next",
    "rule_proposal",
    "tuning_run",
]
