"""The job side of paasport: what runs on the cluster.

Depends only on `dagster-pipes`, `pyspark` and the standard library, so it installs cheaply on
any Spark platform. A job is a function of a :class:`JobContext`::

    from paasport.job import JobContext, run_job

    def main(ctx: JobContext) -> None:
        df = ctx.spark.read.parquet(ctx.params.require("input"))
        ctx.write_parquet(df.distinct(), ctx.params.require("output"))

    if __name__ == "__main__":
        run_job(main)
"""

from paasport.job.context import JobContext, pipes_metadata, run_job
from paasport.job.output import replace_parquet
from paasport.job.params import JobParamError, JobParams, parse_cli

__all__ = [
    "JobContext",
    "JobParamError",
    "JobParams",
    "parse_cli",
    "pipes_metadata",
    "replace_parquet",
    "run_job",
]
