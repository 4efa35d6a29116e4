"""Shared fixtures: one in-process SparkSession for every test that needs one."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")


@pytest.fixture(scope="session")
def spark() -> Iterator[object]:
    from paasport.java import java_env

    os.environ.update(java_env())
    from paasport.job.session import build_session

    session = build_session("local", "paasport-tests", {"spark.master": "local[2]"})
    yield session
    session.stop()
