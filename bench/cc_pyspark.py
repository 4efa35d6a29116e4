"""Our WAT link extraction against cc-pyspark's page-level one (``ExtractLinksJob``), side by
side on the same files, one process each, no Spark.

    python bench/cc_pyspark.py --cc-pyspark DIR FILE... [--repeat 3] [--json]

DIR is a checkout of https://github.com/commoncrawl/cc-pyspark (its code is run from there,
never copied here); its reader needs warcio (``pip install -e '.[bench]'``). Two cc-pyspark
variants: ``warcio`` (its default ``CCSparkJob``, with orjson as its json_importer picks) and
``fastwarc`` (its ``ExtractLinksJob`` on ``CCFastWarcSparkJob``, composed as its own
``hostlinks_extract_fastwarc.py`` does; written for FastWARC 0.15, so it is reported skipped
where FastWARC 2 is installed, as here). Their
Spark accumulators are replaced by plain counters; each variant's (source, target) pairs are
consumed and counted. Ours is ``bench/edges.py``'s run (pages with links and domains).

Prints, per variant, the best wall time of ``--repeat`` runs, compressed MB/s, link pairs and
the speed-up of ours over each. With ``--json`` one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from edges import run as run_ours  # bench/edges.py, beside this file


class Counter:
    """Stands in for a Spark accumulator."""

    def __init__(self) -> None:
        self.value = 0

    def add(self, n: int) -> None:
        self.value += n


COUNTERS = ("records_processed", "warc_input_processed", "warc_input_failed", "records_failed",
            "records_non_html", "records_response", "records_response_wat",
            "records_response_warc", "records_response_redirect", "records_response_robotstxt",
            "link_count")  # fmt: skip


def cc_job(checkout: Path, variant: str) -> Any:
    """cc-pyspark's ExtractLinksJob on one of its readers, from the checkout, with counters."""
    sys.path.insert(0, str(checkout))
    from wat_extract_links import ExtractLinksJob

    job_class = ExtractLinksJob
    if variant == "fastwarc":
        # written for FastWARC 0.15 (fastwarc.stream_io.FastWARCError): raises ImportError on
        # the FastWARC 2 this project pins
        from sparkcc_fastwarc import CCFastWarcSparkJob

        class FastWarcLinks(CCFastWarcSparkJob, ExtractLinksJob):
            """Composed as cc-pyspark composes its FastWARC host-links job."""

        job_class = FastWarcLinks
    job = job_class()
    job.args = SimpleNamespace(input_base_url=None)
    for name in COUNTERS:
        setattr(job, name, Counter())
    return job


def run_cc(job: Any, files: list[str]) -> dict[str, Any]:
    pairs = 0
    start = time.perf_counter()
    for path in files:
        with open(path, "rb") as stream:
            for _pair in job.process_warc(f"file://{path}", stream):
                pairs += 1
    wall = time.perf_counter() - start
    return {"wall_s": wall, "pairs": pairs, "pages": job.records_response_wat.value}


def best(runs: list[dict[str, Any]]) -> dict[str, Any]:
    return min(runs, key=lambda r: float(r["wall_s"]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", help="WAT files (.warc.wat.gz)")
    parser.add_argument("--cc-pyspark", type=Path, required=True, help="a cc-pyspark checkout")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    input_mb = sum(os.path.getsize(f) for f in args.files) / 1e6
    results: dict[str, dict[str, Any]] = {}
    ours = best([run_ours(args.files, "wat") for _ in range(args.repeat)])
    results["paasport"] = {"wall_s": ours["wall_s"], "pairs": ours["links"],
                           "pages": ours["pages"]}  # fmt: skip
    skipped: dict[str, str] = {}
    for name in ("warcio", "fastwarc"):
        try:
            # a fresh job per run: its counters start at zero
            runs = [run_cc(cc_job(args.cc_pyspark, name), args.files) for _ in range(args.repeat)]
        except ImportError as exc:
            skipped[f"cc-pyspark {name}"] = f"cannot run here: {exc}"
            continue
        results[f"cc-pyspark {name}"] = best(runs)
    for r in results.values():
        r["mb_per_s"] = round(input_mb / r["wall_s"], 2)
        r["wall_s"] = round(r["wall_s"], 4)
    speedups = {k: round(v["wall_s"] / results["paasport"]["wall_s"], 1)
                for k, v in results.items() if k != "paasport"}  # fmt: skip
    out = {"input_mb": round(input_mb, 2), "files": len(args.files), "repeat": args.repeat,
           "results": results, "paasport_speedup": speedups, "skipped": skipped}  # fmt: skip
    if args.json:
        print(json.dumps(out, indent=2))
        return
    print(f"{input_mb:.1f} MB of WAT in {len(args.files)} file(s), best of {args.repeat}:")
    for name, r in results.items():
        gain = f", paasport {speedups[name]}x faster" if name in speedups else ""
        print(f"  {name:20s} {r['wall_s']:8.2f} s {r['mb_per_s']:7.2f} MB/s "
              f"{r['pages']:7d} pages {r['pairs']:9d} link pairs{gain}")  # fmt: skip
    for name, why in skipped.items():
        print(f"  {name:20s} skipped: {why}")


if __name__ == "__main__":
    main()
