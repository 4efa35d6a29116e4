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
    if type(spark).__module__.startswith("pyspark.sql.connect"):
        return _replace_with_arrow_fs(df, uri, run_token or uuid.uuid4().hex[:12])
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


def _replace_with_arrow_fs(df: DataFrame, uri: str, token: str) -> int:
    """The same swap without a JVM on this side (Spark Connect): the renames go through
    pyarrow's filesystem for the URI (local, S3, GCS, HDFS); the server writes the data."""
    import pyarrow.fs as pafs

    fs, target = pafs.FileSystem.from_uri(uri if "://" in uri else f"file://{uri}")
    parent, _, leaf = target.rstrip("/").rpartition("/")
    suffix = f"{token}-{uuid.uuid4().hex[:6]}"
    staging, trash = f"{parent}/_staging-{leaf}-{suffix}", f"{parent}/_trash-{leaf}-{suffix}"
    scheme = uri.split("://", 1)[0] if "://" in uri else "file"
    # the write goes to the server, which needs a URI; the renames happen here, on paths
    staging_uri = f"{scheme}://{staging}" if scheme != "file" else f"file://{staging}"
    fs.create_dir(parent, recursive=True)
    try:
        df.write.mode("error").parquet(staging_uri)  # Connect knows "error", not "errorifexists"
        had_old = fs.get_file_info(target).type != pafs.FileType.NotFound
        if had_old:
            fs.move(target, trash)
        try:
            fs.move(staging, target)
        except OSError as exc:
            if had_old:
                fs.move(trash, target)
            raise OutputError(f"could not move the new output into {uri}: {exc}") from exc
        if had_old:
            fs.delete_dir(trash)
        return int(df.sparkSession.read.parquet(uri).count())
    finally:
        if fs.get_file_info(staging).type != pafs.FileType.NotFound:
            fs.delete_dir(staging)
