"""Shared fixtures: one in-process SparkSession for every test that needs one."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator

import pytest
from hypothesis import settings

# Property-based tests run in the suite, so they must be reproducible and bounded: the same
# examples on every run and machine (derandomize: a failure seen in CI is seen locally too),
# a fixed example budget for the suite's time limit, and no per-example deadline (a loaded CI
# machine must not turn a slow example into a flaky failure). A test's own
# @settings(max_examples=...) still overrides the budget.
settings.register_profile("paasport", derandomize=True, deadline=None, max_examples=60)
settings.load_profile("paasport")

os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
# every remote launch writes a launch record (for `paasport gc`): the suite's go to a folder of
# its own, never to the user's ~/.local/state
os.environ.setdefault("PAASPORT_STATE_DIR", tempfile.mkdtemp(prefix="paasport-test-state-"))
# Every test job is short: a JIT that stops at C1 and the serial GC halve the CPU a Spark
# driver JVM burns at start (measured: 14.5 s -> 7.8 s user time for a tiny job), which is most
# of a launch here. spark-submit reads SPARK_SUBMIT_OPTS for the driver in client/local mode;
# every launch inherits it (Dagster's subprocess client, the emulators, child processes).
# A class-data archive of Spark's classes cuts it again (a tiny job: 11.8 s -> 6.8 s): see
# paasport.platforms.selfhosted.class_archive (real local runs map one too, for the JVM's default
# options). The C1-only JIT and serial GC are test-only settings.
if "SPARK_SUBMIT_OPTS" not in os.environ:
    from paasport.platforms.selfhosted.class_archive import fast_start_opts

    os.environ["SPARK_SUBMIT_OPTS"] = fast_start_opts("-XX:TieredStopAtLevel=1 -XX:+UseSerialGC")
# the standalone cluster's master and workers start the same way
os.environ.setdefault("SPARK_DAEMON_JAVA_OPTS", os.environ["SPARK_SUBMIT_OPTS"])


@pytest.fixture(scope="session")
def spark() -> Iterator[object]:
    from paasport.java import java_env

    os.environ.update(java_env())
    from paasport.job.session import build_session

    session = build_session("local", "paasport-tests", {"spark.master": "local[2]"})
    yield session
    session.stop()
