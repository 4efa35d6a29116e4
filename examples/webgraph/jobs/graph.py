"""Job `graph`: links between seed firms, with firm ids at both ends."""

from __future__ import annotations

from paasport.job import JobContext, run_job
from webgraph import layout, pipeline


def main(ctx: JobContext) -> None:
    p = ctx.params
    crawl, stem, out = p.partition("crawl"), p.partition("seeds"), p.require("output")
    read = ctx.spark.read.parquet
    edges = read(layout.output_uri(out, "edges", crawl, stem))
    nodes = read(layout.output_uri(out, "nodes", crawl, stem))
    ctx.write_parquet(
        pipeline.build_graph(edges, nodes), layout.output_uri(out, "graph", crawl, stem)
    )


if __name__ == "__main__":
    run_job(main)
