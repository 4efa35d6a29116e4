"""The budget guard: the tightest cap, the running estimate, and the cancel within one poll."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import dagster as dg
import pytest

from paasport.dagster.costing import spent_in_run
from paasport.platforms.budget import BudgetGuard, Cap, tightest_cap
from paasport.platforms.remote import BudgetExceededError, wait_until_done
from paasport.pricing.breakdown import CostBreakdown


def estimate_at(rate: Decimal) -> Callable[[float], CostBreakdown]:
    def estimate(elapsed_s: float) -> CostBreakdown:
        out = CostBreakdown(basis="estimate while running", duration_s=elapsed_s)
        out.add_amount("compute", "test", rate * Decimal(str(elapsed_s)))
        return out

    return estimate


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_the_tightest_cap_wins_and_the_run_cap_counts_what_was_spent() -> None:
    assert tightest_cap(None, None, Decimal(0)) is None
    asset_only = tightest_cap(5.0, None, Decimal(0))
    assert (
        asset_only is not None and asset_only.usd == 5 and "asset's cap of $5.00" in asset_only.what
    )
    run = tightest_cap(5.0, 20.0, Decimal("17.5"))
    assert run is not None and run.usd == Decimal("2.5")
    assert "$2.50 left of the run's cap of $20.00 ($17.50 spent" in run.what


def test_the_guard_cancels_at_the_first_poll_over_the_cap() -> None:
    clock = Clock()
    guard = BudgetGuard(estimate=estimate_at(Decimal("0.01")), cap=Cap(Decimal("0.1"), "the cap"),
                        clock=clock)  # fmt: skip
    cancelled: list[float] = []
    polls: list[float] = []

    def fetch() -> str:
        polls.append(clock.now)
        return "RUNNING"

    with pytest.raises(
        BudgetExceededError, match=r"estimated cost \$0\.1\d+ after 1\d s exceeds the cap"
    ):
        wait_until_done(fetch, str, {"DONE"}, poll_s=1.0, poll_max_s=3.0, timeout_s=None,
                        on_timeout=lambda: cancelled.append(clock.now), log=lambda _: None,
                        guard=guard, clock=clock, sleep=clock.sleep)  # fmt: skip
    # $0.01/s crosses $0.10 at 10 s: cancelled at the first poll after that, within one interval
    assert cancelled == [polls[-1]]
    assert 10 < cancelled[0] - 100 <= 10 + 3.0
    assert polls[-2] - 100 <= 10  # the poll before was still under the cap
    assert guard.metadata()["budget_cap_usd"] == 0.1
    assert guard.metadata()["budget_estimate_usd"] > 0.1


def test_spent_in_run_sums_the_earlier_materializations(tmp_path: Path) -> None:
    @dg.asset
    def first() -> dg.MaterializeResult:
        return dg.MaterializeResult(metadata={"cost_usd_total": 1.25})

    @dg.asset(deps=[first])
    def second(context) -> dg.MaterializeResult:  # type: ignore[no-untyped-def]  # Dagster reads it
        spent = spent_in_run(context.instance, context.run.run_id)
        return dg.MaterializeResult(metadata={"cost_usd_total": 0.5, "spent_before": float(spent)})

    @dg.asset
    def unpriced() -> None:
        return None

    with dg.instance_for_test(temp_dir=str(tmp_path)) as instance:
        result = dg.materialize([first, second, unpriced], instance=instance)
        assert result.success
        meta = result.asset_materializations_for_node("second")[0].metadata
        assert meta["spent_before"].value == 1.25
        assert spent_in_run(instance, result.run_id) == Decimal("1.75")
