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

from typing import TYPE_CHECKING, Any

from paasport.job.params import JobParamError, JobParams, parse_cli

if TYPE_CHECKING:
    from paasport.job.context import JobContext, pipes_metadata, run_job
    from paasport.job.output import replace_parquet

#: names that import pyspark, loaded on first use: the orchestrator imports paasport.job.params
#: (through this package) on every Dagster start and never needs pyspark
_LAZY = {
    "JobContext": "paasport.job.context",
    "pipes_metadata": "paasport.job.context",
    "run_job": "paasport.job.context",
    "replace_parquet": "paasport.job.output",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'paasport.job' has no attribute {name!r}")


__all__ = [
    "JobContext",
    "JobParamError",
    "JobParams",
    "parse_cli",
    "pipes_metadata",
    "replace_parquet",
    "run_job",
]
