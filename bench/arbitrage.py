"""What the planner saves: policies replayed on the published table and on synthetic traces.

    python bench/arbitrage.py [--table FILE] [--seeds 1 2 3] [--requests 300] [--history-runs 10]
                              [--confidence 0.98] [--json]

For each policy (always EMR, always Databricks, the cheapest hourly list price, paasport's
planner, and an oracle) it prints the total cost, its ratio to the oracle and the deadline
misses.

- The published table (`tests/paasport/fixtures/paper_appendix2_costs.csv`, the paper's
  Appendix 2): runs 1-3 are the history, every step has the same input size, and a choice is
  charged the table's best observed cost of that step on that platform. The oracle takes the
  cheapest observed cost per step.
- Synthetic traces (`paasport.planner.simulate`): 6 assets on 5 platforms with their own
  start-up, speed per asset, hourly price, noise, stragglers and spot interruptions; half the
  requests carry a deadline between 1.5 x the fastest platform's expected time and the slowest
  one's. The oracle knows the world's true costs and odds and meets each deadline with the
  same confidence as the planner.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

from paasport.planner.choose import choose
from paasport.planner.history import Attempt, PlanRequest
from paasport.planner.simulate import ORACLE, run_synthetic

TABLE = Path(__file__).resolve().parents[1] / "tests/paasport/fixtures/paper_appendix2_costs.csv"
SIZE = 80 * 1024**3


def replay_table(path: Path) -> list[dict[str, Any]]:
    rows = list(csv.DictReader(path.open(newline="")))
    steps = list(dict.fromkeys(r["step"] for r in rows))
    platforms = sorted({r["platform"] for r in rows})
    best: dict[tuple[str, str], float] = {}
    hours: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for r in rows:
        key, cost = (r["step"], r["platform"]), float(r["total_usd"])
        best[key] = min(best.get(key, cost), cost)
        hours[r["platform"]][0] += cost
        hours[r["platform"]][1] += float(r["duration_h"])
    history = [
        Attempt(asset=r["step"], platform=r["platform"], input_bytes=SIZE,
                duration_s=float(r["duration_h"]) * 3600, cost_usd=float(r["total_usd"]))
        for r in rows
    ]  # fmt: skip
    per_hour = {p: cost / h for p, (cost, h) in hours.items()}
    cheapest_rate = min(per_hour, key=lambda p: per_hour[p])

    def planned(step: str) -> str:
        request = PlanRequest(asset=step, input_bytes=SIZE, platforms=platforms)
        chosen = choose(request, history).platform
        assert chosen is not None
        return chosen

    choices = {
        "always EMR": dict.fromkeys(steps, "emr"),
        "always Databricks": dict.fromkeys(steps, "databricks"),
        "cheapest hourly list price": dict.fromkeys(steps, cheapest_rate),
        "paasport planner": {s: planned(s) for s in steps},
        ORACLE: {s: min(platforms, key=lambda p: best[(s, p)]) for s in steps},
    }
    totals = {name: sum(best[(s, c[s])] for s in steps) for name, c in choices.items()}
    return [
        {"policy": name, "cost_usd": round(total, 2), "ratio": round(total / totals[ORACLE], 3),
         "misses": 0, "runs": len(steps), "choices": choices[name]}
        for name, total in totals.items()
    ]  # fmt: skip


def synthetic(seeds: list[int], requests: int, history_runs: int, confidence: float) -> list[Any]:
    out = []
    for seed in seeds:
        scores = run_synthetic(seed, requests, history_runs, confidence)
        oracle = next(s for s in scores if s.policy == ORACLE)
        rows = [{"policy": s.policy, "cost_usd": round(s.cost_usd, 2),
                 "ratio": round(s.ratio(oracle), 3), "misses": s.misses, "runs": s.runs}
                for s in scores]  # fmt: skip
        out.append({"seed": seed, "policies": rows})
    return out


def _print(title: str, rows: list[dict[str, Any]]) -> None:
    print(title)
    print(f"  {'policy':32} {'cost USD':>12} {'x oracle':>9} {'deadline misses':>16}")
    for r in rows:
        misses = f"{r['misses']}/{r['runs']} ({r['misses'] / r['runs']:.1%})"
        print(f"  {r['policy']:32} {r['cost_usd']:12,.2f} {r['ratio']:9.3f} {misses:>16}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--table", type=Path, default=TABLE)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--history-runs", type=int, default=10)
    parser.add_argument("--confidence", type=float, default=0.98)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    table = replay_table(args.table)
    traces = synthetic(args.seeds, args.requests, args.history_runs, args.confidence)
    if args.json:
        print(json.dumps({"table": table, "synthetic": traces}, indent=2))
        return 0
    _print(f"published table ({args.table.name}), at the best observed costs:", table)
    for r in table:
        if r["policy"] == "paasport planner":
            print(f"  planner's choices: {r['choices']}")
    for trace in traces:
        _print(f"\nsynthetic trace, seed {trace['seed']} ({args.requests} requests, "
               f"{args.history_runs} history runs per asset and platform, "
               f"confidence {args.confidence}):", trace["policies"])  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
