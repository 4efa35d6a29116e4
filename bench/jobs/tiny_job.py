"""The launch bench's tiny job through paasport: 1,000 rows written as Parquet.

Params: `output` (a folder). bench/jobs/tiny_bare.py does the same work as a bare script.
"""

from __future__ import annotations

from paasport.job import JobContext, run_job


def main(ctx: JobContext) -> None:
    ctx.write_parquet(ctx.spark.range(1000), ctx.params.require("output"))


if __name__ == "__main__":
    run_job(main)
