"""`platform = "auto"`: configuration, exploring first, then the plan's order."""

from __future__ import annotations

from typing import Any

import pytest

from paasport.config import ConfigError, parse_config
from paasport.dagster.auto import attempts_of, egress_rates, input_size, plan_auto
from paasport.planner.history import Attempt

PROFILES: dict[str, Any] = {"a": {"platform": "local"}, "b": {"platform": "local"}}


def config(**planner: Any) -> Any:
    return parse_config(
        {"platform": "auto", "profiles": PROFILES,
         "planner": {"candidates": ["a", "b"], **planner},
         "assets": {"x": {"deadline_s": 100}}}, None)  # fmt: skip


def runs(platform: str, n: int, seconds: float, cost: float) -> list[Attempt]:
    return [Attempt(asset="x", platform=platform, input_bytes=10, duration_s=seconds,
                    cost_usd=cost) for _ in range(n)]  # fmt: skip


def test_auto_needs_candidates_that_resolve() -> None:
    with pytest.raises(ConfigError, match=r"'auto' needs \[planner\] candidates"):
        parse_config({"platform": "auto"}, None)
    with pytest.raises(
        ConfigError, match=r"planner.candidates\[1\]: unknown platform or profile 'c'"
    ):
        parse_config({"platform": "auto", "profiles": PROFILES,
                      "planner": {"candidates": ["a", "c"]}}, None)  # fmt: skip


def test_first_runs_explore_then_the_cheapest_feasible_wins() -> None:
    project = config(explore_runs=2)
    first = plan_auto(project, "x", None, [], lambda _: None)
    assert first.order == ["a", "b"] and first.why.startswith("exploring: a has 0 of 2")
    half = plan_auto(project, "x", None, [*runs("a", 2, 50, 1.0), *runs("b", 1, 50, 0.5)],
                     lambda _: None)  # fmt: skip
    assert half.chosen == "b" and "exploring" in half.why
    history = [*runs("a", 2, 50, 1.0), *runs("b", 2, 50, 0.5)]
    cheap = plan_auto(project, "x", None, history, lambda _: None)
    assert cheap.order == ["b", "a"] and cheap.why == "the plan's choice (cost): b"
    meta = cheap.as_metadata()
    assert meta["plan_predicted_cost_usd"] == pytest.approx(0.5)
    assert meta["plan"]["platform"] == "b" and len(meta["plan"]["candidates"]) == 2


def test_the_deadline_puts_the_cheaper_but_slower_candidate_last() -> None:
    history = [*runs("a", 3, 50, 1.0), *runs("b", 3, 500, 0.5)]  # b misses the 100 s deadline
    plan = plan_auto(config(), "x", None, history, lambda _: None)
    assert plan.order == ["a", "b"]
    b = next(c for c in plan.plan.candidates if c.platform == "b")
    assert not b.feasible and "deadline" in b.reason


def test_history_reads_attempts_back_and_the_last_input_size() -> None:
    meta = {"attempts": [
        {"platform": "a", "status": "interrupted", "duration_s": 5, "cost_usd": 0.1,
         "input_bytes": 7, "detail": {"kind": "spot_loss"}},
        {"platform": "b", "status": "success", "duration_s": 9, "cost_usd": 0.2, "input_bytes": 7},
    ]}  # fmt: skip
    got = attempts_of({**meta}, "x", "p1")
    assert [(a.platform, a.status) for a in got] == [("a", "interrupted"), ("b", "success")]
    plain = attempts_of({"profile": "a", "cost_usd_total": 0.3, "input_bytes": 11,
                         "cost": {"duration_s": 4.0}}, "x", "p2")  # fmt: skip
    assert plain[0].duration_s == 4.0 and plain[0].input_bytes == 11
    assert input_size([*got, *plain], "p1") == 7
    assert input_size([*got, *plain], "p9") == 11


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
    plan = plan_auto(project, "x", None, history, lambda _: None, load_catalog())
    assert plan.chosen == "near"
    far = next(c for c in plan.plan.candidates if c.platform == "far")
    assert far.prediction is not None and far.prediction.cost_usd == pytest.approx(3.0)
    assert "to move the input here" in far.prediction.basis
