"""The SparkSession a job gets, built for the platform it runs on."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping

from pyspark.sql import SparkSession

from paasport.job.connect_fixes import plain_default_strings
from paasport.job.defaults import (
    COMMON_DEFAULTS,
    LOCAL_DEFAULTS,
    STRICT_CONF_VAR,
)
from paasport.job.redact import redact_value


def defaults_for(platform: str, submitted: bool = True) -> dict[str, str]:
    """paasport's defaults for a platform: they fill in keys nobody set, never replace one."""
    conf = dict(COMMON_DEFAULTS)
    if platform == "local":
        conf.update(LOCAL_DEFAULTS)
        if not submitted:
            # spark-submit passes the master in spark.master; a plain `python job.py` has none
            conf["spark.master"] = "local[*]"
    return conf


def merge_conf(
    launched: Mapping[str, str], overrides: Mapping[str, str], defaults: Mapping[str, str]
) -> dict[str, str]:
    """The settings a session starts with (pure): what the launcher passed (spark-submit
    `--conf`, cluster spark_conf, job properties), then `overrides` (the plain script's `--conf`)
    over it, then `defaults` only for keys neither of them set."""
    conf = {**launched, **overrides}
    for key, value in defaults.items():
        conf.setdefault(key, value)
    return conf


def session_conf(platform: str, overrides: Mapping[str, str]) -> dict[str, str]:
    """Spark settings for a platform when nothing else was passed: defaults, user settings win."""
    return merge_conf({}, overrides, defaults_for(platform))


def is_connect(spark: SparkSession) -> bool:
    """A Spark Connect client session: no SparkContext, no JVM on this side."""
    return type(spark).__module__.startswith("pyspark.sql.connect")


def connect_defaults() -> dict[str, str]:
    """The defaults a Connect session gets: the SQL ones every platform gets (time zone, dynamic
    partition overwrite); the others (console progress) configure the server's own driver,
    which is not ours to change."""
    return {k: v for k, v in COMMON_DEFAULTS.items() if k.startswith("spark.sql.")}


def connect_session(app_name: str, overrides: Mapping[str, str]) -> SparkSession:
    """A Connect session to SPARK_REMOTE; settings the server refuses (static ones) are skipped."""
    remote = os.environ.get("SPARK_REMOTE")
    if not remote:
        raise RuntimeError("platform 'connect' needs SPARK_REMOTE (sc://host:port)")
    plain_default_strings()
    spark = SparkSession.builder.remote(remote).appName(app_name).getOrCreate()
    # the server's own settings (its --conf, spark-defaults) count as set: defaults fill gaps
    _fill_existing(spark, overrides, connect_defaults())
    return spark


def _set_keys(spark: SparkSession) -> dict[str, str]:
    """What the session has set explicitly (the SparkConf it started from plus runtime sets);
    a setting at Spark's built-in default is absent."""
    try:
        return dict(spark.conf.getAll)
    except Exception:  # an old server without GetAll: nothing known to be set
        return {}


def _fill_existing(
    spark: SparkSession, overrides: Mapping[str, str], defaults: Mapping[str, str]
) -> None:
    """Settle the settings of a session that already runs (Connect, Databricks): the user's
    override what is there, paasport's defaults only fill keys the session has not set."""
    current = _set_keys(spark)
    for key, value in defaults.items():
        # a driver setting (ui, host, master) of a live driver stays the driver's: skip quietly
        if key not in current and key not in overrides and _modifiable(spark, key):
            _set(spark, key, value)
    for key, value in overrides.items():
        if key != "spark.log.level" and current.get(key) != value:  # the level: setLogLevel
            _set(spark, key, value)


def _modifiable(spark: SparkSession, key: str) -> bool:
    try:
        return bool(spark.conf.isModifiable(key))
    except Exception:
        return False


def _set(spark: SparkSession, key: str, value: str) -> None:
    try:
        spark.conf.set(key, value)
    except Exception as exc:  # static settings cannot change on a running session
        if os.environ.get(STRICT_CONF_VAR):
            raise RuntimeError(
                f"the running Spark refused the setting {key} ({type(exc).__name__}); set it "
                "where Spark starts (on `local`: warm = false in the profile)"
            ) from exc
        print(f"paasport: not applied on the running session: {key} ({type(exc).__name__})")


def app_id(spark: SparkSession) -> str:
    if is_connect(spark):
        return str(spark.conf.get("spark.app.id", "") or "")
    return str(spark.sparkContext.applicationId)


def connect_job_tag(spark: SparkSession) -> str:
    """What every job of this Connect session carries in its tags on the server (Spark tags
    each with SparkConnect_OperationTag_User_<user>_Session_<session id>_Operation_<id>)."""
    return f"_Session_{getattr(spark, 'session_id', '')}_"


def connect_facts(spark: SparkSession) -> dict[str, str]:
    """What the Connect server says about itself and this client's session."""
    return {
        "spark_app_id": app_id(spark),
        "spark_version": str(spark.version),  # the server's version, asked over gRPC
        "spark_connect_session_id": str(getattr(spark, "session_id", "") or ""),
    }


def build_session(platform: str, app_name: str, overrides: Mapping[str, str]) -> SparkSession:
    """Get (or create) the SparkSession; on `local` without spark-submit, start `local[*]`.

    paasport's defaults only fill in keys nobody set: the launcher's settings (spark-submit
    `--conf`, a cluster's spark_conf, job properties: the merged user settings on every remote
    platform) reach the JVM as spark.* properties, which `SparkConf()` loads; `overrides` (the
    plain script's `--conf`, Connect's settings) win over both.
    """
    if platform == "connect":
        return connect_session(app_name, overrides)
    if platform == "local":
        # Python workers must import what the driver imports, not whatever python3 is on PATH;
        # PySpark reads only the environment variable for this
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    if _connect_mode():
        # a Connect session this process is given (Databricks serverless): no JVM of ours
        plain_default_strings()
        spark = SparkSession.builder.appName(app_name).getOrCreate()
        _fill_existing(spark, overrides, connect_defaults())
        return spark
    from pyspark import SparkConf, SparkContext

    defaults = defaults_for(platform, submitted=_submitted())
    _attach_jvm(overrides, defaults)
    if _running_session():
        # a live session (Databricks' own, or one this process made): its settings are the
        # cluster's; change only what the user asked for and fill what nobody set
        spark = SparkSession.builder.getOrCreate()
        _fill_existing(spark, overrides, defaults)
        level = overrides.get("spark.log.level")
    else:
        conf = SparkConf()  # with the JVM up: every spark.* property the launcher passed
        launched = dict(conf.getAll())
        for key, value in merge_conf(launched, overrides, defaults).items():
            if launched.get(key) != value:
                conf.set(key, value)
        if "spark.app.name" not in overrides:
            conf.setAppName(app_name)  # the run's name (asset and partition) over the launcher's
        sc = SparkContext.getOrCreate(conf)
        spark = SparkSession.builder.getOrCreate()
        # Spark applies spark.log.level itself when the context starts; once more, to be sure
        level = sc.getConf().get("spark.log.level", None)
    if level:
        spark.sparkContext.setLogLevel(level)
    return spark


#: Settings the shell launcher sets when its command line has none.
_SHELL_DEFAULTS = ("spark.ui.showConsoleProgress",)


def _attach_jvm(overrides: Mapping[str, str], defaults: Mapping[str, str]) -> None:
    """Connect to spark-submit's JVM (or the one this process runs), or start one: a plain
    script passes its settings at the JVM's launch, where settings such as spark.driver.memory
    must be."""
    from pyspark import SparkConf, SparkContext

    if SparkContext._gateway is not None or _submitted():
        SparkContext._ensure_initialized()
        return
    launch = SparkConf()  # no JVM yet: a plain dict, passed as --conf to the JVM's launch
    for key, value in overrides.items():
        launch.set(key, value)
    # PySpark's launcher (spark-submit pyspark-shell) turns the console progress bar on unless
    # its command line says otherwise: it is no user's setting, so paasport's default goes there
    for key in _SHELL_DEFAULTS:
        if key in defaults:
            launch.setIfMissing(key, defaults[key])
    SparkContext._ensure_initialized(conf=launch)


def _running_session() -> bool:
    from pyspark import SparkContext

    if SparkContext._active_spark_context is not None:
        return True
    jvm = SparkContext._jvm
    if jvm is None:
        return False
    try:  # a session the JVM made before this Python driver attached (Databricks)
        return bool(jvm.org.apache.spark.sql.SparkSession.getDefaultSession().isDefined())
    except Exception:
        return False


def _connect_mode() -> bool:
    from pyspark.util import is_remote_only

    connect_env = ("SPARK_CONNECT_MODE_ENABLED", "SPARK_REMOTE")
    return is_remote_only() or any(os.environ.get(v) for v in connect_env)


def _submitted() -> bool:
    # spark-submit starts the Python driver with the gateway already launched
    return "PYSPARK_GATEWAY_PORT" in os.environ


#: Settings Spark assigns anew on every run that say nothing about how the run was tuned: ids
#: and start times of the application, the driver's address and port (an ephemeral port, the
#: node the cluster manager picked), the executor id of the driver, and URLs that embed them.
#: Recording them would make every run's settings differ from the last one's and hide the
#: settings that did change.
PER_RUN_KEYS = frozenset(
    {
        "spark.app.id",
        "spark.app.attempt.id",
        "spark.app.startTime",
        "spark.app.submitTime",
        "spark.app.initial.jar.urls",
        "spark.app.initial.file.urls",
        "spark.app.initial.archive.urls",
        "spark.driver.host",
        "spark.driver.port",
        "spark.executor.id",
        "spark.ui.proxyBase",
        "spark.repl.class.uri",
        "spark.repl.class.outputDir",
    }
)
_JAVA_OPTIONS = ("spark.driver.extraJavaOptions", "spark.executor.extraJavaOptions")


def effective_conf(spark: SparkSession, overrides: Mapping[str, str]) -> dict[str, str | None]:
    """The settings the run actually had, secrets redacted: on a classic session, everything the
    driver's SparkConf holds plus the SQL settings changed at runtime (both only hold what was
    set: Spark's built-in defaults are absent), without PER_RUN_KEYS. Under Connect, what the
    server reports for the keys paasport sets and the user's (None: it reports no value)."""
    if is_connect(spark):
        current = _set_keys(spark)
        found: dict[str, str | None] = {}
        for key in sorted({*connect_defaults(), *overrides}):
            found[key] = current[key] if key in current else spark.conf.get(key, None)
        return {k: None if v is None else redact_value(k, v) for k, v in found.items()}
    conf = dict(spark.sparkContext.getConf().getAll())
    conf.update(_set_keys(spark))
    spark_flags = _spark_java_flags(spark)
    for key in _JAVA_OPTIONS:  # what the user passed, not the JVM flags Spark adds to every run
        if key in conf:
            if spark_flags:
                conf[key] = conf[key].replace(spark_flags, " ")
            # and Spark puts its IPv6 preference first (SparkContext, from java.net's default)
            conf[key] = re.sub(r"^\s*-Djava\.net\.preferIPv6Addresses=\w+", "", conf[key])
            conf[key] = " ".join(conf[key].split())
            if not conf[key]:
                del conf[key]
    return {k: redact_value(k, v) for k, v in sorted(conf.items()) if k not in PER_RUN_KEYS}


def _spark_java_flags(spark: SparkSession) -> str:
    try:
        jvm = spark.sparkContext._jvm
        assert jvm is not None
        return str(jvm.org.apache.spark.launcher.JavaModuleOptions.defaultModuleOptions())
    except Exception:
        return ""
