"""The SparkSession a job gets, built for the platform it runs on."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping

from pyspark.sql import SparkSession

#: Settings for a single machine: loopback only, quiet console, few shuffle partitions.
LOCAL_DEFAULTS: dict[str, str] = {
    "spark.driver.host": "127.0.0.1",
    "spark.driver.bindAddress": "127.0.0.1",
    "spark.ui.showConsoleProgress": "false",
    "spark.log.level": "WARN",
    # small data: a handful of partitions instead of 200; AQE coalesces further
    "spark.sql.shuffle.partitions": str(max(2, 2 * (os.cpu_count() or 2))),
    "spark.sql.adaptive.enabled": "true",
    "spark.sql.session.timeZone": "UTC",
}

#: Settings every platform gets unless the user overrides them.
COMMON_DEFAULTS: dict[str, str] = {
    "spark.sql.session.timeZone": "UTC",
    # progress bars are noise in logs that Dagster captures
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.sources.partitionOverwriteMode": "dynamic",
}


def session_conf(platform: str, overrides: Mapping[str, str]) -> dict[str, str]:
    """Spark settings for a platform: defaults first, user settings win."""
    conf = dict(COMMON_DEFAULTS)
    if platform == "local":
        conf.update(LOCAL_DEFAULTS)
    conf.update(overrides)
    return conf


def is_connect(spark: SparkSession) -> bool:
    """A Spark Connect client session: no SparkContext, no JVM on this side."""
    return type(spark).__module__.startswith("pyspark.sql.connect")


def connect_session(app_name: str, overrides: Mapping[str, str]) -> SparkSession:
    """A Connect session to SPARK_REMOTE; settings the server refuses (static ones) are skipped."""
    remote = os.environ.get("SPARK_REMOTE")
    if not remote:
        raise RuntimeError("platform 'connect' needs SPARK_REMOTE (sc://host:port)")
    spark = SparkSession.builder.remote(remote).appName(app_name).getOrCreate()
    # the SQL defaults every platform gets (time zone, dynamic partition overwrite); the others
    # (console progress) configure the server's own driver, which is not ours to change
    defaults = {k: v for k, v in COMMON_DEFAULTS.items() if k.startswith("spark.sql.")}
    for key, value in {**defaults, **overrides}.items():
        try:
            spark.conf.set(key, value)
        except Exception as exc:  # static settings cannot change on a running server
            print(f"paasport: not applied on the Connect session: {key} ({type(exc).__name__})")
    return spark


def app_id(spark: SparkSession) -> str:
    if is_connect(spark):
        return str(spark.conf.get("spark.app.id", "") or "")
    return str(spark.sparkContext.applicationId)


def connect_facts(spark: SparkSession) -> dict[str, str]:
    """What the Connect server says about itself and this client's session."""
    return {
        "spark_app_id": app_id(spark),
        "spark_version": str(spark.version),  # the server's version, asked over gRPC
        "spark_connect_session_id": str(getattr(spark, "session_id", "") or ""),
    }


def build_session(platform: str, app_name: str, overrides: Mapping[str, str]) -> SparkSession:
    """Get (or create) the SparkSession; on `local` without spark-submit, start `local[*]`."""
    if platform == "connect":
        return connect_session(app_name, overrides)
    if platform == "local":
        # Python workers must import what the driver imports, not whatever python3 is on PATH;
        # PySpark reads only the environment variable for this
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = SparkSession.builder.appName(app_name)
    # spark-submit passes the master in spark.master; a plain `python job.py` has none.
    if platform == "local" and "spark.master" not in overrides and not _submitted():
        builder = builder.master("local[*]")
    for key, value in session_conf(platform, overrides).items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    level = overrides.get("spark.log.level") or ("WARN" if platform == "local" else None)
    if level:
        spark.sparkContext.setLogLevel(level)
    return spark


def _submitted() -> bool:
    # spark-submit starts the Python driver with the gateway already launched
    return "PYSPARK_GATEWAY_PORT" in os.environ
