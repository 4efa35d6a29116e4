"""The launch bench's tiny job under Dagster's plain PipesSubprocessClient (no paasport): the
same work as tiny_bare.py, reporting a materialization through dagster-pipes.

    spark-submit bench/jobs/tiny_pipes.py OUTPUT   (launched by PipesSubprocessClient)
"""

from __future__ import annotations

import sys

from dagster_pipes import open_dagster_pipes
from pyspark.sql import SparkSession


def main(output: str) -> None:
    with open_dagster_pipes() as pipes:
        spark = SparkSession.builder.appName("tiny-pipes").getOrCreate()
        try:
            spark.range(1000).write.mode("overwrite").parquet(output)
        finally:
            spark.stop()
        pipes.report_asset_materialization(metadata={"rows": 1000})


if __name__ == "__main__":
    main(sys.argv[1])
