"""The planner against fixed policies and an oracle on synthetic traces (bench/arbitrage.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from paasport.planner.simulate import ORACLE, run_synthetic

BENCH = Path(__file__).parents[3] / "bench" / "arbitrage.py"


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_planner_is_within_5_percent_of_the_oracle_with_few_misses(seed: int) -> None:
    scores = {s.policy: s for s in run_synthetic(seed=seed, requests=300)}
    oracle, planner = scores[ORACLE], scores["paasport planner"]
    assert planner.ratio(oracle) <= 1.05, planner
    assert planner.misses / planner.runs <= 0.02, planner
    # the fixed policies either cost more or miss deadlines (cheapest hourly rate ignores speed)
    for name in ("always EMR", "always Databricks", "cheapest hourly list price"):
        fixed = scores[name]
        assert fixed.cost_usd > planner.cost_usd or fixed.misses > 2 * planner.misses + 5, fixed


def test_the_benchmark_prints_every_policy_for_the_table_and_a_trace() -> None:
    out = subprocess.run(
        [sys.executable, str(BENCH), "--seeds", "1", "--requests", "60", "--json"],
        capture_output=True, text=True, check=True, timeout=120,
    )  # fmt: skip
    result = json.loads(out.stdout)
    table = {r["policy"]: r for r in result["table"]}
    assert table["paasport planner"]["cost_usd"] == 408.58 == table[ORACLE]["cost_usd"]
    assert table["always Databricks"]["cost_usd"] == 784.64
    assert len(result["synthetic"][0]["policies"]) == 5
