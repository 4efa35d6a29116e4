"""Atomic replacement of a dataset directory: through the Hadoop FileSystem of the session, or
through pyarrow's filesystem under Spark Connect (no JVM on the client).

A run writes into a hidden staging directory next to the target (names starting with `_` are
ignored by Spark and most Parquet readers), then swaps it in with two renames. Readers see the
old data or the new data, never a mix; a failed run leaves the old data untouched.
"""

from __future__ import annotations

import os
import re
import uuid
from typing import Any

from pyspark.sql import DataFrame, Observation, SparkSession
from pyspark.sql import functions as F

from paasport.job.session import is_connect


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


def _counted(df: DataFrame, token: str) -> tuple[DataFrame, Observation]:
    """`df` with its rows counted as they are written (an observed metric of the write itself):
    reading the output back to count it was a second Spark job (seconds on a cold JVM), whose
    input bytes read as the job's own."""
    rows = Observation(f"paasport-output-rows-{token}")
    return df.observe(rows, F.count(F.lit(1)).alias("rows")), rows


def replace_parquet(df: DataFrame, uri: str, *, run_token: str | None = None) -> int:
    """Write `df` as Parquet to `uri`, replacing what was there atomically; return row count."""
    spark = df.sparkSession
    if is_connect(spark):
        return _replace_with_arrow_fs(df, uri, run_token or uuid.uuid4().hex[:12])
    fs, target = _fs_and_path(spark, uri)
    parent, leaf = target.getParent(), target.getName()
    token = run_token or uuid.uuid4().hex[:12]
    jpath = _jvm(spark).org.apache.hadoop.fs.Path
    staging = jpath(parent, f"_staging-{leaf}-{token}-{uuid.uuid4().hex[:6]}")
    trash = jpath(parent, f"_trash-{leaf}-{token}-{uuid.uuid4().hex[:6]}")
    fs.mkdirs(parent)
    try:
        counted, rows = _counted(df, token)
        counted.write.mode("errorifexists").parquet(staging.toString())
        had_old = fs.exists(target)
        if had_old and not fs.rename(target, trash):
            raise OutputError(f"could not move the previous output {uri} aside")
        if not fs.rename(staging, target):
            if had_old:
                fs.rename(trash, target)
            raise OutputError(f"could not move the new output into {uri}")
        if had_old:
            fs.delete(trash, True)
        return int(rows.get["rows"])
    finally:
        if fs.exists(staging):
            fs.delete(staging, True)


#: pyarrow filesystems whose `move` renames a whole directory in one step; S3 and GCS cannot
#: (pyarrow copies single objects only), Azure can only with a hierarchical namespace
_RENAMING_FILESYSTEMS = ("LocalFileSystem", "HadoopFileSystem")


def _arrow_target(uri: str) -> tuple[Any, str, str]:
    """The pyarrow filesystem of `uri`, the path on it, and the absolute URI Spark gets."""
    import pyarrow.fs as pafs

    if uri.startswith("/") or not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", uri):
        # a plain path: made absolute here, since the server's working directory is not ours
        path = os.path.abspath(uri)
        return pafs.LocalFileSystem(), path, path
    if uri.startswith("file:"):
        # literally, as Hadoop's Path reads it (pyarrow's URI parser refuses spaces)
        path = os.path.abspath(re.sub(r"^file:(//(localhost)?)?", "", uri))
        return pafs.LocalFileSystem(), path, f"file://{path}"
    try:
        fs, path = pafs.FileSystem.from_uri(uri)
    except (OSError, ValueError) as exc:  # ArrowInvalid is a ValueError
        raise OutputError(
            f"{uri}: no pyarrow filesystem for it on the Connect client ({exc})"
        ) from exc
    if type(fs).__name__ not in _RENAMING_FILESYSTEMS:
        raise OutputError(
            f"{uri}: {type(fs).__name__} cannot rename a directory, so the output cannot be "
            "replaced atomically from a Spark Connect client; write to a local, shared or HDFS "
            "path, or use a table format (Delta, Iceberg)"
        )
    return fs, path, uri


def _replace_with_arrow_fs(df: DataFrame, uri: str, token: str) -> int:
    """The same swap without a JVM on this side (Spark Connect): the server writes the staging
    directory, the renames happen here through pyarrow's filesystem (local or HDFS)."""
    import pyarrow.fs as pafs

    # checked before the write: an unusable filesystem must not cost a Spark run
    fs, target, spark_uri = _arrow_target(uri)
    parent, _, leaf = target.rstrip("/").rpartition("/")
    base = spark_uri.rstrip("/").rpartition("/")[0]  # keeps scheme and authority (hdfs://nn)
    suffix = f"{token}-{uuid.uuid4().hex[:6]}"
    staging_name, trash_name = f"_staging-{leaf}-{suffix}", f"_trash-{leaf}-{suffix}"
    staging, trash = f"{parent}/{staging_name}", f"{parent}/{trash_name}"

    def exists(path: str) -> bool:
        return bool(fs.get_file_info(path).type != pafs.FileType.NotFound)

    fs.create_dir(parent or "/", recursive=True)
    try:
        counted, rows = _counted(df, token)
        # Connect knows "error", not "errorifexists"
        counted.write.mode("error").parquet(f"{base}/{staging_name}")
        had_old = exists(target)
        if had_old:
            try:
                fs.move(target, trash)
            except OSError as exc:
                raise OutputError(f"could not move the previous output {uri} aside: {exc}") from exc
        try:
            fs.move(staging, target)
        except OSError as exc:
            if had_old:
                fs.move(trash, target)
            raise OutputError(f"could not move the new output into {uri}: {exc}") from exc
        if had_old:
            fs.delete_dir(trash)
        return int(rows.get["rows"])
    finally:
        if exists(staging):
            fs.delete_dir(staging)
