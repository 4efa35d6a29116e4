"""How the webgraph `edges` asset scales with its input, on local Spark and on a 2-worker
standalone cluster.

    python bench/scaling.py [--factors 1,4,16] [--pages 2000] [--platforms local,standalone]
                            [--links-per-page 50-80] [--json]

For each factor F it writes one crawl of F WAT files (F x --pages captures, deterministic),
materializes `nodes` then `edges` for the crawl's `all_firms` partition through Dagster and
paasport, and prints the edges run's Spark time, wall time and compressed WAT input, and the
Spark time per MB. The standalone cluster (2 workers of 1 core, on 127.0.0.1) is started and
stopped here. ``--links-per-page 50-80`` gives the pages the link density of real Common Crawl
pages; the default is the generator's own pages (about 30 links).
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import dagster as dg

from paasport.testing import StandaloneCluster
from webgraph.assets import WebgraphPaths
from webgraph.run import run_pipeline
from webgraph.sample import generate_sample
from webgraph.sample_links import parse_range


def sample(root: Path, factor: int, pages: int, links: str | None) -> tuple[Path, int]:
    """One crawl of `factor` WAT files; its root and its WAT bytes."""
    extra: dict[str, Any] = {}
    if links is not None:
        extra["links_per_page"] = parse_range(links)
    info = generate_sample(root, crawls=1, files_per_crawl=factor, pages_per_crawl=pages * factor,
                           corrupt=False, **extra)  # fmt: skip
    return root, sum(f.stat().st_size for f in info.wat_files)


def edges_run(root: Path, profile: str, profiles: dict[str, dict[str, str]]) -> dict[str, float]:
    paths = WebgraphPaths(root / "input", root / "seeds", root / f"out-{profile}", "wat")
    crawl = next(p.name for p in (root / "input").iterdir() if p.is_dir())
    steps = run_pipeline(paths, instance=dg.DagsterInstance.ephemeral(), platform=profile,
                         only=[f"{crawl}|all_firms"], extra_profiles=profiles)  # fmt: skip
    edges = next(s for s in steps if s.asset == "edges")
    return {"spark_s": edges.spark_s, "wall_s": edges.wall_s, "rows": edges.rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--factors", default="1,4,16")
    parser.add_argument("--pages", type=int, default=2000, help="captures per WAT file")
    parser.add_argument("--platforms", default="local,standalone")
    parser.add_argument("--links-per-page", default=None, help="e.g. 50-80 (realistic density)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    factors = [int(f) for f in args.factors.split(",")]
    platforms = args.platforms.split(",")
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="paasport-scaling-") as tmp, ExitStack() as stack:
        profiles: dict[str, dict[str, str]] = {"local": {"platform": "local"}}
        if "standalone" in platforms:
            cluster = stack.enter_context(StandaloneCluster(workers=2))
            profiles["standalone"] = {"platform": "standalone", "master": cluster.master_url,
                                      "executor_memory": "512m"}  # fmt: skip
        for factor in factors:
            root, wat_bytes = sample(Path(tmp) / f"x{factor}", factor, args.pages,
                                     args.links_per_page)  # fmt: skip
            for platform in platforms:
                run = edges_run(root, platform, profiles)
                mb = wat_bytes / 1e6
                row = {"platform": platform, "factor": factor, "wat_mb": round(mb, 2), **run,
                       "spark_s_per_mb": round(run["spark_s"] / mb, 4)}  # fmt: skip
                results.append(row)
                if not args.json:
                    spark = f"Spark {run['spark_s']:7.2f} s ({row['spark_s_per_mb']:.3f} s/MB)"
                    print(f"{platform:10s} {factor:3d}x {mb:8.1f} MB: {spark}, "
                          f"wall {run['wall_s']:6.1f} s", flush=True)  # fmt: skip
    ratios = {}
    if 4 in factors and 16 in factors:
        for platform in platforms:
            per = {r["factor"]: r["spark_s_per_mb"] for r in results if r["platform"] == platform}
            ratios[platform] = round(per[16] / per[4], 3)
    if args.json:
        print(json.dumps({"runs": results, "per_mb_16x_over_4x": ratios}, indent=2))
        return
    for platform, ratio in ratios.items():
        print(f"{platform}: Spark time per MB at 16x is {ratio:.2f}x that at 4x")


if __name__ == "__main__":
    main()
