"""The tuning loop on local Spark: a workload with settings copied from a big cluster, and a
well-tuned one, each materialized N times under `tuning = "auto"` through Dagster.

    python bench/tuning.py [--runs 6] [--rows 2000000] [--json] [--keep DIR]

Prints, per workload, the Spark time of every run with the settings it ran and the decision
recorded, the ratio of the best tuned run to the first, the worst run against the first, and the
run after which the incumbent stopped changing, and whether the last three runs are within the
noise of the runs with the first settings. With ``--json`` one JSON object. With ``--keep DIR``
each workload's project (paasport.toml and its Dagster instance in .dagster) is kept in DIR, so
`PAASPORT_CONFIG=DIR/planted/paasport.toml DAGSTER_HOME=DIR/planted/.dagster paasport tune planted`
shows its tuning state.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import statistics
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
    home = folder / ".dagster"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    instance = dg.DagsterInstance.local_temp(tempdir=str(home))
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
    # the noise: the spread of the runs that ran the first settings (first run included)
    same = [r["spark_time_s"] for r in seen if r["settings"] == seen[0]["settings"]]
    noise = (max(same) - min(same)) / statistics.median(same) if len(same) > 1 else 0.0
    settled = statistics.median(r["spark_time_s"] for r in seen[-3:]) / first
    return {
        "workload": name,
        "runs": seen,
        "best_over_first": min(tuned) / first,
        "worst_over_first": max(r["spark_time_s"] for r in seen) / first,
        "last_over_first": seen[-1]["spark_time_s"] / first,
        "incumbent_settled_after_run": changes[-1] if changes else 1,
        "noise": noise,
        "last3_median_over_first": settled,
        "last3_within_noise": settled <= 1 + max(0.1, noise),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=6)
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--keep", type=Path, help="keep each workload's project in this folder")
    args = parser.parse_args()
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    with tempfile.TemporaryDirectory(prefix="paasport-tuning-") as tmp:
        root = args.keep or Path(tmp)
        root.mkdir(parents=True, exist_ok=True)
        out = [loop(name, conf, args.runs, args.rows, root)
               for name, conf in (("planted", PLANTED), ("tuned", TUNED))]  # fmt: skip
    if args.json:
        print(json.dumps({"workloads": out}, indent=2))
        return
    for w in out:
        print(f"{w['workload']}: best tuned run {w['best_over_first']:.2f}x the first, worst "
              f"run {w['worst_over_first']:.2f}x, last {w['last_over_first']:.2f}x; incumbent "
              f"settled after run {w['incumbent_settled_after_run']}; median of the last 3 "
              f"runs {w['last3_median_over_first']:.2f}x the first (noise of the first "
              f"settings {w['noise']:.0%}, within it: {w['last3_within_noise']})")  # fmt: skip


if __name__ == "__main__":
    main()
