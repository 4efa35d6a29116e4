"""The class archive the test suite's Spark launches start from."""

from __future__ import annotations

import os
import subprocess

from paasport.java import java_env
from paasport.platforms.selfhosted.spark_submit import spark_home
from paasport.testing.class_archive import archive_path, fast_start_opts

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
