"""The plan for an asset (`planner/plan.py`): exploring first, then the plan's order; the deadline
and data locality."""

from __future__ import annotations

from typing import Any

import pytest

from paasport.config import parse_config
from paasport.planner.history import Attempt
from paasport.planner.plan import NoCandidatesError, Overrides, egress_rates, input_size, plan_asset

PROFILES: dict[str, Any] = {"a": {"platform": "local"}, "b": {"platform": "local"}}


def config(**planner: Any) -> Any:
    return parse_config(
        {"platform": "auto", "profiles": PROFILES,
         "planner": {"candidates": ["a", "b"], **planner},
         "assets": {"x": {"deadline_s": 100}}}, None)  # fmt: skip


def runs(platform: str, n: int, seconds: float, cost: float) -> list[Attempt]:
    return [Attempt(asset="x", platform=platform, input_bytes=10, duration_s=seconds,
                    cost_usd=cost) for _ in range(n)]  # fmt: skip


def test_first_runs_explore_then_the_cheapest_feasible_wins() -> None:
    project = config(explore_runs=2)
    first = plan_asset(project, "x", None, [], lambda _: None)
    assert first.order == ["a", "b"] and first.why.startswith("exploring: a has 0 of 2")
    half = plan_asset(project, "x", None, [*runs("a", 2, 50, 1.0), *runs("b", 1, 50, 0.5)],
                     lambda _: None)  # fmt: skip
    assert half.chosen == "b" and "exploring" in half.why
    history = [*runs("a", 2, 50, 1.0), *runs("b", 2, 50, 0.5)]
    cheap = plan_asset(project, "x", None, history, lambda _: None)
    assert cheap.order == ["b", "a"] and cheap.why == "the plan's choice (cost): b"
    recorded = cheap.record()
    assert recorded.predicted_cost_usd == pytest.approx(0.5)
    assert recorded.plan["platform"] == "b" and len(recorded.plan["candidates"]) == 2
    assert recorded.plan["order"] == ["b", "a"] and recorded.plan["why"] == cheap.why


def test_the_deadline_puts_the_cheaper_but_slower_candidate_last() -> None:
    history = [*runs("a", 3, 50, 1.0), *runs("b", 3, 500, 0.5)]  # b misses the 100 s deadline
    plan = plan_asset(config(), "x", None, history, lambda _: None)
    assert plan.order == ["a", "b"]
    b = next(c for c in plan.plan.candidates if c.platform == "b")
    assert not b.feasible and "deadline" in b.reason


def test_data_locality_prices_moving_the_input() -> None:
    from paasport.pricing.catalog import load_catalog

    role = "arn:aws:iam::123456789012:role/r"
    aws = {"bucket": "data-bucket", "application_id": "a1", "execution_role_arn": role}
    project = parse_config(
        {"platform": "auto",
         "profiles": {"near": {"platform": "emr_serverless", "region": "us-east-1", **aws},
                      "far": {"platform": "emr_serverless", "region": "us-west-2", **aws},
                      "gcp": {"platform": "dataproc", "project": "my-project",
                              "region": "us-central1", "bucket": "data-bucket"}},
         "planner": {"candidates": ["near", "far", "gcp"]},
         "assets": {"x": {"input_location": "aws:us-east-1"}}}, None)  # fmt: skip
    rates = egress_rates(project, "x", load_catalog())
    assert rates == {"far": 0.02, "gcp": 0.09}  # the source cloud's inter-region, then internet
    # 100 GB in: the far twin costs the same to run but $2 more to feed
    size = 100 * 1024**3
    costs = {"near": 1.5, "far": 1.0, "gcp": 1.2}
    history = [Attempt(asset="x", platform=n, input_bytes=size, duration_s=60, cost_usd=c)
               for n, c in costs.items() for _ in range(3)]  # fmt: skip
    plan = plan_asset(project, "x", None, history, lambda _: None, load_catalog())
    assert plan.chosen == "near"
    far = next(c for c in plan.plan.candidates if c.platform == "far")
    assert far.prediction is not None and far.prediction.cost_usd == pytest.approx(3.0)
    assert "to move the input here" in far.prediction.basis


def test_the_last_input_size_of_the_partition_else_of_the_asset() -> None:
    p1 = Attempt(asset="x", partition="p1", platform="b", input_bytes=7, duration_s=9, cost_usd=0)
    history = [*runs("a", 1, 5, 0.1), p1]
    assert input_size(history, "p1") == 7
    assert input_size(history, "p9") == 7  # the asset's last
    assert input_size([], "p1") == 0


def test_what_plan_asks_replaces_the_settings_and_history_names_the_candidates() -> None:
    history = [*runs("a", 3, 50, 1.0), *runs("b", 3, 500, 0.5)]
    asked = Overrides(candidates=["b"], objective="time", deadline_s=1000, confidence=0.95)
    plan = plan_asset(config(), "x", None, history, lambda _: None, None, asked)
    assert plan.order == ["b"] and plan.plan.request.objective == "time"
    assert plan.plan.request.deadline_s == 1000 and plan.why == "the plan's choice (time): b"
    # a project that is not on `auto`: the profiles the asset ran on
    project = parse_config({"platform": "local"}, None)
    seen = plan_asset(project, "x", None, history, lambda _: None)
    assert seen.plan.request.platforms == ["a", "b"]
    with pytest.raises(NoCandidatesError, match="no history of x"):
        plan_asset(project, "x", None, [], lambda _: None)
