"""Job `edges`: every hyperlink on pages of the seed domains, from WAT or WARC files."""

from __future__ import annotations

from paasport.job import JobContext, run_job
from webgraph import layout, pipeline

#: more than this share of unreadable records fails the `input_integrity` check
MAX_CORRUPT_SHARE = 0.01


def main(ctx: JobContext) -> None:
    p = ctx.params
    crawl, stem = p.partition("crawl"), p.partition("seeds")
    mode = layout.check_mode(p.get("mode") or "wat")
    out = p.require("output")
    nodes = ctx.spark.read.parquet(layout.output_uri(out, "nodes", crawl, stem))
    domains = [r.domain for r in nodes.select("domain").distinct().collect()]
    files = layout.input_files(p.require("input"), crawl, mode, sample=p.sample)
    ctx.log.info(f"extracting links from {len(files)} {mode.upper()} files of {crawl}")
    result = pipeline.extract_edges(ctx.spark, files, mode, domains)
    ctx.write_parquet(result.edges, layout.output_uri(out, "edges", crawl, stem))
    result.release()
    stats = result.stats
    bad = stats["skipped_records"] + stats["corrupt_members"]
    ctx.add_metadata(stats, mode=mode, input_files=len(files), seed_domains=len(domains))
    ctx.report_check(
        "input_integrity",
        passed=bad <= MAX_CORRUPT_SHARE * max(1, stats["records"]),
        metadata={
            "skipped_records": stats["skipped_records"],
            "corrupt_members": stats["corrupt_members"],
            "records": stats["records"],
        },
    )


if __name__ == "__main__":
    run_job(main)
