"""The tuning loop on local Spark: a workload with settings copied from a big cluster, and a
well-tuned one, each materialized N times under `tuning = "auto"` through Dagster.

    python bench/tuning.py [--runs 6] [--rows 2000000] [--json]

Prints, per workload, the Spark time of every run with the settings it ran and the decision
recorded, the ratio of the best tuned run to the first, the worst run against the first, and the
run after which the incumbent stopped changing. With ``--json`` one JSON object.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import dagster as dg

from paasport.dagster import PaasportResource, spark_asset

JOB = Path(__file__).resolve().parent / "jobs" / "tuning_job.py"
#: copied from a big cluster: thousands of shuffle partitions, AQE and broadcast joins off
PLANTED = {
    "spark.sql.shuffle.partitions": "2000",
    "spark.sql.adaptive.enabled": "false",
    "spark.sql.autoBroadcastJoinThreshold": "-1",
}
#: what suits this machine's 2 cores
TUNED = {
    "spark.sql.shuffle.partitions": "4",
    "spark.sql.adaptive.enabled": "true",
    "spark.sql.autoBroadcastJoinThreshold": "10m",
}


def loop(name: str, conf: dict[str, str], runs: int, rows: int, root: Path) -> dict[str, Any]:
    folder = root / name
    folder.mkdir()
    settings = ", ".join(f'"{k}" = "{v}"' for k, v in conf.items())
    toml = folder / "paasport.toml"
    toml.write_text(f'[assets.{name}]\ntuning = "auto"\nspark_conf = {{ {settings} }}\n')
    asset = spark_asset(
        name=name, job=JOB, params={"output": str(folder / "out"), "rows": str(rows)}
    )
    instance = dg.DagsterInstance.ephemeral()
    seen: list[dict[str, Any]] = []
    for i in range(runs):
        result = dg.materialize(
            [asset], instance=instance,
            resources={"paasport": PaasportResource(config_path=str(toml))},
        )  # fmt: skip
        recorded = result.asset_materializations_for_node(name)[0].metadata
        meta: dict[str, Any] = {k: getattr(v, "value", v) for k, v in recorded.items()}
        ran = {k: meta["spark_conf"].get(k) for k in conf}
        trial: dict[str, Any] = meta.get("tuning_trial") or {}
        seen.append({"run": i + 1, "spark_time_s": meta["spark_time_s"], "settings": ran,
                     "trial": trial.get("id"), "decision": meta["tuning_decision"],
                     "incumbent": meta["tuning_incumbent"]})  # fmt: skip
        print(f"{name} run {i + 1}: {meta['spark_time_s']:.2f} s Spark, trial "
              f"{seen[-1]['trial']}, {meta['tuning_decision']}, ran {ran}", flush=True)  # fmt: skip
    first = seen[0]["spark_time_s"]
    tuned = [r["spark_time_s"] for r in seen[1:]] or [first]
    changes = [r["run"] for a, r in itertools.pairwise(seen) if r["incumbent"] != a["incumbent"]]
    return {
        "workload": name,
        "runs": seen,
        "best_over_first": min(tuned) / first,
        "worst_over_first": max(r["spark_time_s"] for r in seen) / first,
        "last_over_first": seen[-1]["spark_time_s"] / first,
        "incumbent_settled_after_run": changes[-1] if changes else 1,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=6)
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    with tempfile.TemporaryDirectory(prefix="paasport-tuning-") as tmp:
        out = [loop(name, conf, args.runs, args.rows, Path(tmp))
               for name, conf in (("planted", PLANTED), ("tuned", TUNED))]  # fmt: skip
    if args.json:
        print(json.dumps({"workloads": out}, indent=2))
        return
    for w in out:
        print(f"{w['workload']}: best tuned run {w['best_over_first']:.2f}x the first, worst "
              f"run {w['worst_over_first']:.2f}x, last {w['last_over_first']:.2f}x; incumbent "
              f"settled after run {w['incumbent_settled_after_run']}")  # fmt: skip


if __name__ == "__main__":
    main()
