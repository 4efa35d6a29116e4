"""Thin fixes of Dagster bugs that bite paasport, applied once when paasport.dagster loads.

Each fix names the Dagster version it was written against and is tested in
tests/paasport/dagster/test_fixes.py; drop it when Dagster ships its own.
"""

from __future__ import annotations

import time

from dagster._core.execution.plan.instance_concurrency_context import InstanceConcurrencyContext


def _interval_to_next_pending_claim_check(self: InstanceConcurrencyContext) -> float:
    """Seconds until a step blocked on a concurrency pool should try to claim a slot again.

    Dagster 1.13.27 returns `min([0, *waits])`, never more than 0, so a run whose step waits for
    a pool's slot never sleeps: its executor loop spins a core until the slot frees (32 backfill
    partitions under a limit of 4 burned minutes of CPU doing nothing). The wait it means is
    the nearest retry time of a step still waiting, and none once one is due.
    """
    if not self._pending_claims:
        return 0.0
    now = time.time()
    # only the steps still waiting: a claimed step's old retry time stays in the dict
    waits = [self._pending_timeouts[key] - now for key in self._pending_claims]
    return max(0.0, min(waits))


def apply() -> None:
    InstanceConcurrencyContext.interval_to_next_pending_claim_check = (  # type: ignore[method-assign]
        _interval_to_next_pending_claim_check
    )
