"""paasport's fixes of Dagster bugs (paasport.dagster.fixes), on Dagster's own objects."""

from __future__ import annotations

import time

import dagster as dg
from dagster._core.execution.plan.instance_concurrency_context import InstanceConcurrencyContext

import paasport.dagster  # noqa: F401  (applies the fixes)


def blocked_context(instance: dg.DagsterInstance) -> InstanceConcurrencyContext:
    """A run's concurrency context whose one step waits for the only slot of pool `p`."""
    instance.event_log_storage.set_concurrency_slots("p", 1)
    holder = instance.create_run_for_job(dg.GraphDefinition("g").to_job())  # takes the slot
    instance.event_log_storage.claim_concurrency_slot("p", holder.run_id, "s")
    run = instance.create_run_for_job(dg.GraphDefinition("h").to_job())
    context = InstanceConcurrencyContext(instance, run)
    assert context.claim("p", "step") is False  # blocked
    return context


def test_a_step_blocked_on_a_pool_sleeps_until_its_next_claim() -> None:
    with dg.instance_for_test() as instance:
        context = blocked_context(instance)
        wait = context.interval_to_next_pending_claim_check()
        # Dagster 1.13.27 said <= 0 here, so the executor loop spun a core while blocked
        assert 0 < wait <= 1.0
        time.sleep(wait)
        assert context.interval_to_next_pending_claim_check() == 0.0  # due: claim again now


def test_nothing_pending_means_no_wait() -> None:
    with dg.instance_for_test() as instance:
        run = instance.create_run_for_job(dg.GraphDefinition("g").to_job())
        assert InstanceConcurrencyContext(instance, run).interval_to_next_pending_claim_check() == 0
