"""A backfill under load: N partitions of a tiny Spark asset launched at once on an emulated
platform, a Dagster concurrency pool letting LIMIT of them run together.

    python bench/backfill.py [--platform connect] [--partitions 32] [--limit 4] [--json]

Each partition is its own Dagster run, started together from threads of this process (the
orchestrator), as paasport.testing.backfill does for tests/paasport/testing/test_backfill.py.
It prints the wall time, the orchestrator's peak resident memory, the most steps that ran at
once (from the event log) and checks every partition's rows against what its key makes.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

import dagster as dg
import pyarrow.parquet as pq

from paasport.dagster import PaasportResource, spark_asset
from paasport.testing import EmulatorPool
from paasport.testing.backfill import backfill, backfill_instance

JOB = Path(__file__).parents[1] / "tests" / "paasport" / "fixtures" / "count_job.py"
N = 70  # ids per unit of the key: key k counts 70 k ids, 10 k per remainder of 7
POOL = "paasport-backfill"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--platform", default="connect", help="an emulated platform")
    parser.add_argument("--partitions", type=int, default=32)
    parser.add_argument("--limit", type=int, default=4, help="the pool's limit")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.partitions < 1 or args.limit < 1:
        parser.error("--partitions and --limit must be at least 1")
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    keys = [str(k) for k in range(1, args.partitions + 1)]
    with tempfile.TemporaryDirectory(prefix="paasport-backfill-") as tmp, EmulatorPool() as pool:
        out = Path(tmp) / "out"
        asset = spark_asset(
            name="counts",
            job=JOB,
            partitions_def=dg.StaticPartitionsDefinition(keys),
            params={"output": str(out), "n": str(N)},
            checks=["has_rows"],
            diagnostics=False,
            pool=POOL,
        )
        outcome = backfill(
            [asset],
            keys,
            instance=backfill_instance(Path(tmp) / "dagster_home"),
            resources={"paasport": PaasportResource(extra_profiles={"b": pool[args.platform]})},
            pool=POOL,
            limit=args.limit,
            tags={"paasport/platform": "b"},
        )
        wrong = [
            key
            for key in keys
            if key not in outcome.failed
            and sorted((r["k"], r["count"]) for r in pq.read_table(out / key).to_pylist())
            != [(m, 10 * int(key)) for m in range(7)]
        ]
    figures = {
        "platform": args.platform,
        "partitions": args.partitions,
        "limit": args.limit,
        "wall_s": round(outcome.wall_s, 1),
        "orchestrator_peak_rss_mib": round(outcome.peak_rss_mib),
        "max_running": outcome.max_running,
        "failed": outcome.failed,
        "wrong_output": wrong,
    }
    if args.json:
        print(json.dumps(figures))
    else:
        print(
            f"{args.partitions} partitions on {args.platform}, pool limit {args.limit}: "
            f"wall {figures['wall_s']} s, orchestrator peak RSS "
            f"{figures['orchestrator_peak_rss_mib']} MiB, at most {outcome.max_running} running "
            f"at once, {len(outcome.failed)} failed, {len(wrong)} with wrong output"
        )
    return 1 if outcome.failed or wrong else 0


if __name__ == "__main__":
    sys.exit(main())
