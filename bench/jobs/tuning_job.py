"""The tuning bench's workload: a fact table joined to a small dimension and aggregated, the
shape whose cost depends on shuffle partitions, AQE and broadcast joins.

Params: `output` (a folder), `rows` (fact rows, default 2,000,000).
"""

from __future__ import annotations

from pyspark.sql import functions as F

from paasport.job import JobContext, run_job


def main(ctx: JobContext) -> None:
    rows = int(ctx.params.get("rows") or "2000000")
    facts = ctx.spark.range(rows).select(
        (F.col("id") % 1000).alias("key"), (F.col("id") * 7 % 101).alias("amount")
    )
    dims = ctx.spark.range(1000).select(F.col("id").alias("key"), (F.col("id") % 17).alias("grp"))
    out = facts.join(dims, "key").groupBy("grp").agg(F.sum("amount").alias("total"))
    ctx.write_parquet(out, ctx.params.require("output"))
    ctx.add_metadata(rows=rows, input_bytes=rows * 16)


if __name__ == "__main__":
    run_job(main)
