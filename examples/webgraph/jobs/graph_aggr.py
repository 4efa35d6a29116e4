"""Job `graph_aggr`: per ordered pair of seed domains, `<a href>` links and source pages."""

from __future__ import annotations

from paasport.job import JobContext, run_job
from webgraph import layout, pipeline


def main(ctx: JobContext) -> None:
    p = ctx.params
    crawl, stem, out = p.partition("crawl"), p.partition("seeds"), p.require("output")
    graph = ctx.spark.read.parquet(layout.output_uri(out, "graph", crawl, stem))
    aggr = pipeline.build_graph_aggr(graph)
    ctx.write_parquet(aggr, layout.output_uri(out, "graph_aggr", crawl, stem))


if __name__ == "__main__":
    run_job(main)
