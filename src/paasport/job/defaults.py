"""The settings and variable names the job side and its launchers share, without pyspark: the
orchestrator reads them on every run and must not pay for importing Spark."""

from __future__ import annotations

import os

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


#: the Connect server's Spark UI (http://host:port), when the launcher knows it: the job reads
#: its own session's Spark metrics there
CONNECT_UI_VAR = "PAASPORT_CONNECT_SPARK_UI"


#: set by a launcher that promised the user's settings apply (the warm local Spark): a setting
#: the running session refuses fails the run instead of being skipped
STRICT_CONF_VAR = "PAASPORT_STRICT_CONF"
