"""Throughput of the webgraph link extraction alone (no Spark), single process.

    python bench/edges.py FILE... [--mode wat|warc] [--json] [--repeat N] [--profile N]
    python bench/edges.py --sample 5000 [--links-per-page 50-80] [--mode wat|warc] [--json]

Extracts every page of every file (no seed filter), consumes every link and prints pages/s and
compressed input MB/s per core (input bytes / wall time / 1 process). With ``--json`` it prints
exactly one JSON object with at least ``pages_per_s``, ``mb_per_s`` and ``wall_s``.

``--sample PAGES`` first writes a synthetic crawl of that many pages with
``webgraph.sample.generate_sample`` (into a temporary directory) and measures its files;
``--links-per-page 50-80`` gives its pages the link density of real ones (default: the
generator's planned 20-35 links per page).

The one-time worker setup (loading the public suffix list, about 0.1 s) happens before the clock
starts, as it does once per Spark Python worker; ``setup_s`` reports it.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

try:
    import webgraph  # noqa: F401
except ImportError:  # running from a checkout without the editable install
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "examples"))

from webgraph.extract import ExtractStats, extract
from webgraph.urls import clear_caches, registered_domain
from webgraph.wat_fast import COMPILED


def warm_up() -> float:
    """Load what every Spark Python worker loads once (the public suffix list, resiliparse)."""
    start = time.perf_counter()
    registered_domain("example.com")
    import resiliparse.extract.html2text
    import resiliparse.parse.html  # noqa: F401

    return time.perf_counter() - start


def run(files: list[str], mode: str) -> dict[str, Any]:
    clear_caches()  # every run starts with a cold domain cache, like a fresh worker
    stats = ExtractStats()
    input_bytes = sum(os.path.getsize(f) for f in files)
    link_chars = 0
    setup = warm_up()
    cpu_start = time.process_time()
    start = time.perf_counter()
    for path in files:
        for page in extract(path, "wat" if mode == "wat" else "warc", stats):
            link_chars += sum(map(len, page.targets))  # every link's URL, read in C
    wall = time.perf_counter() - start
    cpu = time.process_time() - cpu_start
    return {
        "mode": mode,
        "files": len(files),
        "input_bytes": input_bytes,
        "wall_s": round(wall, 4),
        "pages_per_s": round(stats.pages / wall, 1) if wall > 0 else 0.0,
        "mb_per_s": round(input_bytes / 1e6 / wall, 2) if wall > 0 else 0.0,
        "links_per_s": round(stats.links / wall, 1) if wall > 0 else 0.0,
        # CPU time of this process: less sensitive to other load on the machine than wall time
        "cpu_s": round(cpu, 4),
        "mb_per_cpu_s": round(input_bytes / 1e6 / cpu, 2) if cpu > 0 else 0.0,
        "processes": 1,
        # the Cython-compiled hot path (make setup builds it) or the same code interpreted
        "compiled": COMPILED,
        "setup_s": round(setup, 4),
        "link_chars": link_chars,
        **stats.as_dict(),
    }


def sample_files(
    folder: Path, pages: int, mode: str, links_per_page: tuple[int, int] | None = None
) -> list[str]:
    from webgraph.sample import generate_sample

    info = generate_sample(
        folder,
        crawls=1,
        files_per_crawl=1,
        pages_per_crawl=pages,
        corrupt=False,
        links_per_page=links_per_page,
    )
    return [str(f) for f in getattr(info, f"{mode}_files")]


def _links_range(text: str) -> tuple[int, int]:
    from webgraph.sample_links import parse_range

    try:
        return parse_range(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def measure(args: argparse.Namespace) -> dict[str, Any]:
    if args.profile:
        profiler = cProfile.Profile()
        result = profiler.runcall(run, args.files, args.mode)
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("tottime").print_stats(args.profile)
    else:
        runs = [run(args.files, args.mode) for _ in range(max(1, args.repeat))]
        result = min(runs, key=lambda r: float(r["wall_s"]))
        result["setup_s"] = runs[0]["setup_s"]
        result["runs"] = len(runs)
        result["wall_s_all"] = [r["wall_s"] for r in runs]
        # the fastest run's figures above; CPU time and medians say how steady they were
        result["mb_per_s_median"] = statistics.median(float(r["mb_per_s"]) for r in runs)
        result["mb_per_cpu_s_best"] = max(float(r["mb_per_cpu_s"]) for r in runs)
        result["mb_per_cpu_s_median"] = statistics.median(float(r["mb_per_cpu_s"]) for r in runs)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="*", metavar="FILE", help="WAT or WARC files (gzipped)")
    parser.add_argument(
        "--sample",
        type=int,
        default=0,
        metavar="PAGES",
        help="measure a generated sample crawl of PAGES pages instead of FILEs",
    )
    parser.add_argument(
        "--links-per-page",
        type=_links_range,
        default=None,
        metavar="LOW-HIGH",
        help="with --sample: top every page up to LOW-HIGH links (real pages: 50-80)",
    )
    parser.add_argument("--mode", choices=("wat", "warc"), default="wat")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--repeat", type=int, default=1, metavar="N", help="run N times, report the fastest"
    )
    parser.add_argument(
        "--profile", type=int, default=0, metavar="N", help="cProfile the run, print the top N"
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-edges-") as tmp:
        if args.sample:
            args.files = sample_files(Path(tmp), args.sample, args.mode, args.links_per_page)
        elif args.links_per_page is not None:
            parser.error("--links-per-page needs --sample")
        if not args.files:
            parser.error("give FILEs or --sample PAGES")
        missing = [f for f in args.files if not os.path.isfile(f)]
        if missing:
            parser.error(f"no such file: {', '.join(missing)}")
        result = measure(args)
    result["links_per_page"] = round(result["links"] / result["pages"], 1) if result["pages"] else 0

    if args.json:
        print(json.dumps(result))
        return 0
    mb = result["input_bytes"] / 1e6
    print(f"mode             {result['mode']}  ({result['files']} files, {mb:.1f} MB compressed)")
    compiled = "yes" if result["compiled"] else "no: interpreted (run make setup with a C compiler)"
    print(f"compiled         {compiled}")
    print(f"pages            {result['pages']:,}  ({result['pages_per_s']:,.0f} pages/s)")
    print(f"links            {result['links']:,}  ({result['links_per_s']:,.0f} links/s)")
    print(f"links per page   {result['links_per_page']}")
    print(f"records          {result['records']:,}")
    print(f"skipped records  {result['skipped_records']:,}")
    print(f"corrupt members  {result['corrupt_members']:,}")
    print(f"wall             {result['wall_s']:.2f} s  (+ {result['setup_s']:.2f} s setup)")
    print(f"throughput       {result['mb_per_s']:.1f} MB/s compressed input per core")
    cpu = f"{result['cpu_s']:.2f} s  ({result['mb_per_cpu_s']:.1f} MB per CPU second)"
    print(f"cpu              {cpu}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
