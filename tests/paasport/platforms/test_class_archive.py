"""The class archive local spark-submit launches (and the test suite's) start from."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from paasport.java import java_env
from paasport.platforms.selfhosted.class_archive import (
    archive_path,
    fast_start_opts,
    spark_home,
    submit_opts_with_archive,
)
from paasport.platforms.selfhosted.local import LocalPlatform, LocalProfile

OPTS = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"


def test_a_spark_launch_maps_spark_classes_from_the_archive() -> None:
    opts = fast_start_opts(OPTS)  # the suite's options: dumped already, or dumped now
    assert "-XX:SharedArchiveFile=" in opts
    env = {**os.environ, **java_env(), "SPARK_SUBMIT_OPTS": f"{opts} -Xlog:class+load=info"}
    done = subprocess.run([str(spark_home() / "bin" / "spark-submit"), "--version"],
                          env=env, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    shared = [
        line
        for line in (done.stdout + done.stderr).splitlines()
        if "org.apache.spark." in line and "shared objects file (top)" in line
    ]
    assert len(shared) > 50  # SparkSubmit's classes came from the archive, not the jars


def test_other_jvm_options_get_their_own_archive() -> None:
    assert archive_path(OPTS) != archive_path("-XX:+UseG1GC")
    assert archive_path(OPTS) == archive_path(OPTS)


def test_local_launches_map_the_archive_unless_told_otherwise(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SPARK_SUBMIT_OPTS", OPTS)  # the suite's options, archive already dumped
    env = LocalPlatform(LocalProfile(), "local").extra_env()
    opts = env["SPARK_SUBMIT_OPTS"]
    assert opts.startswith(OPTS) and f"-XX:SharedArchiveFile={archive_path(OPTS)}" in opts
    assert Path(opts.split("-XX:SharedArchiveFile=")[1].split()[0]).is_file()
    # the profile says no: nothing added
    assert LocalPlatform(LocalProfile(class_archive=False), "local").extra_env() == {}


@pytest.mark.parametrize("own", ["-XX:SharedArchiveFile=/mine.jsa", "-Xshare:off -Dx=1"])
def test_an_archive_the_user_chose_is_left_alone(own: str) -> None:
    assert submit_opts_with_archive(own) == own
