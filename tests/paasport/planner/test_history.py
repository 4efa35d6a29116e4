"""The planner's history skips tuning trials that were rolled back: it predicts each platform at
its tuned settings, not at a setting that lost."""

from __future__ import annotations

from typing import Any

import pytest

from paasport.planner.history import attempts_of
from paasport.record import RunRecord

TRIAL = {"id": 2, "settings": {"spark.sql.shuffle.partitions": "8"}, "why": ["search"]}


def record(**tuning: Any) -> RunRecord:
    meta = {"platform": "emr", "profile": "emr", "cost_usd_total": 0.5, "cost_usd_compute": 0.5}
    return RunRecord.from_metadata({**meta, "input_bytes": 10, **tuning})


@pytest.mark.parametrize(
    ("tuning", "counted"),
    [
        ({}, True),
        ({"tuning_trial": TRIAL, "tuning_decision": "accepted"}, True),
        ({"tuning_trial": TRIAL, "tuning_decision": "pending"}, True),
        ({"tuning_trial": TRIAL, "tuning_decision": "rolled back"}, False),
        # a failed trial retried with the incumbent: the run that succeeded ran the incumbent
        ({"tuning_trial": TRIAL, "tuning_decision": "rolled back", "tuning_failed": True}, True),
    ],
)
def test_a_rolled_back_trial_is_not_the_platforms_figure(
    tuning: dict[str, Any], counted: bool
) -> None:
    assert bool(attempts_of(record(**tuning), "edges", None)) == counted
