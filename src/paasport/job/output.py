"""Atomic replacement of a dataset directory through the Hadoop FileSystem of the session.

A run writes into a hidden staging directory next to the target (names starting with `_` are
ignored by Spark and most Parquet readers), then swaps it in with two renames. Readers see the
old data or the new data, never a mix; a failed run leaves the old data untouched.
"""

from __future__ import annotations

import uuid
from typing import Any

from pyspark.sql import DataFrame, SparkSession


class OutputError(RuntimeError):
    pass


def _jvm(spark: SparkSession) -> Any:
    jvm = spark.sparkContext._jvm
    if jvm is None:
        raise OutputError("no JVM gateway: atomic output needs a classic (non-Connect) session")
    return jvm


def _fs_and_path(spark: SparkSession, uri: str) -> tuple[Any, Any]:
    path = _jvm(spark).org.apache.hadoop.fs.Path(uri)
    fs = path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())
    return fs, path


def replace_parquet(df: DataFrame, uri: str, *, run_token: str | None = None) -> int:
    """Write `df` as Parquet to `uri`, replacing what was there atomically; return row count."""
    spark = df.sparkSession
    fs, target = _fs_and_path(spark, uri)
    parent, leaf = target.getParent(), target.getName()
    token = run_token or uuid.uuid4().hex[:12]
    jpath = _jvm(spark).org.apache.hadoop.fs.Path
    staging = jpath(parent, f"_staging-{leaf}-{token}-{uuid.uuid4().hex[:6]}")
    trash = jpath(parent, f"_trash-{leaf}-{token}-{uuid.uuid4().hex[:6]}")
    fs.mkdirs(parent)
    try:
        df.write.mode("errorifexists").parquet(staging.toString())
        had_old = fs.exists(target)
        if had_old and not fs.rename(target, trash):
            raise OutputError(f"could not move the previous output {uri} aside")
        if not fs.rename(staging, target):
            if had_old:
                fs.rename(trash, target)
            raise OutputError(f"could not move the new output into {uri}")
        if had_old:
            fs.delete(trash, True)
        # counted after the swap: Spark skips reading directories whose names start with `_`
        return int(spark.read.parquet(uri).count())
    finally:
        if fs.exists(staging):
            fs.delete(staging, True)
