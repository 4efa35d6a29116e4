"""Job `nodes`: the cleaned seed firms of one seed list (firm_id, name, domain)."""

from __future__ import annotations

from paasport.job import JobContext, run_job
from webgraph import layout, pipeline


def main(ctx: JobContext) -> None:
    p = ctx.params
    stem = p.partition("seeds")
    seeds = layout.seeds_csv(p.require("seeds"), stem)
    result = pipeline.build_nodes(ctx.spark, layout.file_uri(seeds))
    uri = layout.output_uri(p.require("output"), "nodes", p.partition("crawl"), stem)
    ctx.write_parquet(result.nodes, uri)
    ctx.add_metadata(
        seeds_file=str(seeds),
        seed_rows=result.rows,
        invalid_rows=result.invalid_rows,
        duplicate_rows=result.duplicate_rows,
        input_bytes=seeds.stat().st_size,
    )
    ctx.report_check(
        "valid_seed_rows",
        passed=result.invalid_rows == 0,
        metadata={"invalid_rows": result.invalid_rows, "rows": result.rows},
    )


if __name__ == "__main__":
    run_job(main)
