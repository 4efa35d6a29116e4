"""The launch bench's tiny job as a bare spark-submit script: 1,000 rows written as Parquet.

spark-submit bench/jobs/tiny_bare.py OUTPUT
"""

from __future__ import annotations

import sys

from pyspark.sql import SparkSession


def main(output: str) -> None:
    spark = SparkSession.builder.appName("tiny-bare").getOrCreate()
    try:
        spark.range(1000).write.mode("overwrite").parquet(output)
    finally:
        spark.stop()


if __name__ == "__main__":
    main(sys.argv[1])
