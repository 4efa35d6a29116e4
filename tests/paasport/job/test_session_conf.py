"""paasport's Spark defaults fill in what nobody set; what a run records of its settings."""

from __future__ import annotations

from typing import Any, cast

import pytest
from pyspark.sql import SparkSession

from paasport.job.redact import REDACTED
from paasport.job.session import (
    COMMON_DEFAULTS,
    LOCAL_DEFAULTS,
    PER_RUN_KEYS,
    _fill_existing,
    defaults_for,
    effective_conf,
    merge_conf,
    session_conf,
)

USER = {"spark.sql.shuffle.partitions": "37", "spark.sql.adaptive.enabled": "false"}


def test_defaults_fill_only_what_the_launcher_left_unset() -> None:
    # what spark-submit --conf (or a cluster's spark_conf) put in the JVM's properties
    launched = {**USER, "spark.master": "local[2]", "spark.log.level": "INFO"}
    conf = merge_conf(launched, {}, defaults_for("local"))
    assert conf["spark.sql.shuffle.partitions"] == "37"
    assert conf["spark.sql.adaptive.enabled"] == "false"
    assert conf["spark.log.level"] == "INFO"  # a user-given level wins
    assert conf["spark.master"] == "local[2]"
    # what nobody set gets paasport's default
    assert conf["spark.sql.session.timeZone"] == "UTC"
    assert conf["spark.driver.host"] == "127.0.0.1"
    assert conf["spark.ui.showConsoleProgress"] == "false"


def test_the_plain_scripts_settings_win_over_the_launchers() -> None:
    conf = merge_conf(
        {"spark.sql.shuffle.partitions": "8"},
        {"spark.sql.shuffle.partitions": "3"},
        defaults_for("emr"),
    )
    assert conf["spark.sql.shuffle.partitions"] == "3"
    assert session_conf("local", USER)["spark.sql.shuffle.partitions"] == "37"


def test_which_defaults_each_platform_gets() -> None:
    assert defaults_for("emr") == COMMON_DEFAULTS  # no loopback or log level off `local`
    local = defaults_for("local")
    assert local == {**COMMON_DEFAULTS, **LOCAL_DEFAULTS}
    assert "spark.master" not in local  # spark-submit passes it
    assert defaults_for("local", submitted=False)["spark.master"] == "local[*]"


class FakeConf:
    """A running session's runtime conf: only non-static SQL settings can change."""

    def __init__(self, values: dict[str, str], static: tuple[str, ...] = ()) -> None:
        self.values, self.static = dict(values), set(static)
        self.changed: list[str] = []

    @property
    def getAll(self) -> dict[str, str]:  # PySpark names these
        return dict(self.values)

    def isModifiable(self, key: str) -> bool:
        return key.startswith("spark.sql.") and key not in self.static

    def set(self, key: str, value: str) -> None:
        if not self.isModifiable(key):
            raise RuntimeError(f"[CANNOT_MODIFY_CONFIG] {key}")
        self.values[key] = value
        self.changed.append(key)

    def get(self, key: str, default: str | None = None) -> str | None:
        return self.values.get(key, default)


class FakeSession:
    def __init__(self, conf: FakeConf) -> None:
        self.conf = conf


def test_a_running_session_keeps_the_clusters_settings(capsys: pytest.CaptureFixture[str]) -> None:
    # Databricks: the cluster's spark_conf is in the live session before the job starts
    cluster = {"spark.sql.sources.partitionOverwriteMode": "static", "spark.master": "x"}
    conf = FakeConf(cluster, static=("spark.sql.warehouse.dir",))
    user = {**USER, "spark.sql.warehouse.dir": "/w", "spark.log.level": "INFO"}
    _fill_existing(cast(SparkSession, FakeSession(conf)), user, defaults_for("local"))
    assert conf.values["spark.sql.sources.partitionOverwriteMode"] == "static"  # not clobbered
    assert conf.values["spark.sql.session.timeZone"] == "UTC"  # unset: filled in
    assert conf.values["spark.sql.shuffle.partitions"] == "37"  # the user's win
    assert conf.values["spark.sql.adaptive.enabled"] == "false"
    # a live driver's own settings are left alone without a word; a user's refused one is named
    assert "spark.driver.host" not in conf.values and "spark.log.level" not in conf.changed
    assert "spark.sql.warehouse.dir" in capsys.readouterr().out
    # a user's setting the session already has is not set again
    again = FakeConf(dict(USER))
    _fill_existing(cast(SparkSession, FakeSession(again)), USER, {})
    assert again.changed == []


class FakeSparkContext:
    def __init__(self, values: dict[str, str]) -> None:
        self.values = values

    def getConf(self) -> Any:
        values = self.values

        class Conf:
            def getAll(self) -> list[tuple[str, str]]:
                return list(values.items())

        return Conf()


class FakeClassic(FakeSession):
    def __init__(self, conf: FakeConf, driver: dict[str, str]) -> None:
        super().__init__(conf)
        self.sparkContext = FakeSparkContext(driver)


def test_the_recorded_settings_are_what_ran_without_noise_or_secrets() -> None:
    driver = {
        **USER,
        "spark.app.id": "local-1796236350099",
        "spark.app.startTime": "1796236348505",
        "spark.app.submitTime": "1796236346602",
        "spark.driver.host": "10.1.2.3",
        "spark.driver.port": "35101",
        "spark.executor.id": "driver",
        "spark.hadoop.fs.s3a.secret.key": "PLANTED-SECRET-123",
        "spark.driver.extraJavaOptions": "-Djava.net.preferIPv6Addresses=false -Dx=1",
        "spark.executor.extraJavaOptions": "-Djava.net.preferIPv6Addresses=false",
        "spark.jars": "https://etl:PLANTED-SECRET-123@repo/x.jar",
    }
    runtime = FakeConf({**driver, "spark.sql.shuffle.partitions": "12"})  # the job changed it
    conf = effective_conf(cast(SparkSession, FakeClassic(runtime, driver)), {})
    assert conf["spark.sql.shuffle.partitions"] == "12"
    assert conf["spark.sql.adaptive.enabled"] == "false"
    assert not set(conf) & PER_RUN_KEYS
    assert conf["spark.hadoop.fs.s3a.secret.key"] == REDACTED
    assert conf["spark.jars"] == f"https://etl:{REDACTED}@repo/x.jar"
    assert conf["spark.driver.extraJavaOptions"] == "-Dx=1"  # without Spark's own flags
    assert "spark.executor.extraJavaOptions" not in conf
    assert "PLANTED" not in str(conf)


def test_under_connect_the_record_is_what_the_server_reports() -> None:
    connect = type("SparkSession", (FakeSession,), {"__module__": "pyspark.sql.connect.session"})
    server = FakeConf({"spark.sql.shuffle.partitions": "37", "spark.other": "not asked"})
    user = {"spark.sql.shuffle.partitions": "37", "spark.sql.ansi.enabled": "true"}
    user["spark.hadoop.fs.s3a.secret.key"] = "PLANTED-SECRET-123"
    server.values["spark.hadoop.fs.s3a.secret.key"] = "PLANTED-SECRET-123"
    conf = effective_conf(cast(SparkSession, connect(server)), user)
    assert conf == {
        "spark.hadoop.fs.s3a.secret.key": REDACTED,
        "spark.sql.ansi.enabled": None,  # the server reports no value: none is made up
        "spark.sql.session.timeZone": None,
        "spark.sql.shuffle.partitions": "37",
        "spark.sql.sources.partitionOverwriteMode": None,
    }


@pytest.mark.spark
def test_build_session_on_a_live_session_fills_without_clobbering(spark: Any) -> None:
    from paasport.job.session import build_session

    key = "spark.sql.sources.partitionOverwriteMode"
    before = {k: spark.conf.get(k) for k in (key, "spark.sql.shuffle.partitions")}
    try:
        spark.conf.set(key, "static")  # as a cluster's own setting would be
        again = build_session("local", "again", {"spark.sql.shuffle.partitions": "37"})
        assert again.conf.get(key) == "static"
        assert again.conf.get("spark.sql.shuffle.partitions") == "37"
    finally:
        for k, v in before.items():
            spark.conf.set(k, v)
