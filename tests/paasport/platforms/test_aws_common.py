"""Waiting, failure kinds, packaging and the missing-extra error of the AWS platforms."""

from __future__ import annotations

import builtins
import importlib
import sys
from pathlib import Path
from typing import Any

import pytest

from paasport.platforms import get_platform_class
from paasport.platforms.aws.common import (
    CapacityError,
    RemoteRunError,
    RunTimeoutError,
    SpotLossError,
    classify_failure,
    wait_until_done,
)
from paasport.platforms.packaging import S3Store, source_hash, upload


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_a_run_longer_than_thirty_minutes_is_waited_for() -> None:
    fake = FakeClock()
    # RUNNING for 45 minutes, then done: the boto waiters of the Dagster clients stop at ~30
    waited = wait_until_done(
        lambda: "DONE" if fake.now > 45 * 60 else "RUNNING",
        lambda r: r,
        {"DONE"},
        poll_s=5,
        poll_max_s=60,
        timeout_s=None,
        on_timeout=lambda: None,
        log=lambda m: None,
        clock=fake.clock,
        sleep=fake.sleep,
    )
    assert waited.state == "DONE" and fake.now > 45 * 60
    assert fake.sleeps[0] == 5 and max(fake.sleeps) == 60  # backs off, capped
    assert fake.sleeps == sorted(fake.sleeps)


def test_the_asset_timeout_cancels_the_remote_run() -> None:
    fake, cancelled = FakeClock(), []
    with pytest.raises(RunTimeoutError, match="timeout of 120 s"):
        wait_until_done(
            lambda: "RUNNING",
            lambda r: r,
            {"DONE"},
            poll_s=5,
            poll_max_s=60,
            timeout_s=120,
            on_timeout=lambda: cancelled.append(True),
            log=lambda m: None,
            clock=fake.clock,
            sleep=fake.sleep,
        )
    assert cancelled == [True]


@pytest.mark.parametrize(
    ("message", "kind"),
    [
        ("Spot instance interruption: EC2 reclaimed the Spot capacity", SpotLossError),
        ("EC2 returned InsufficientInstanceCapacity for m5.xlarge", CapacityError),
        ("Step failed: exit code 1", RemoteRunError),
    ],
)
def test_failures_are_classified(message: str, kind: type[RemoteRunError]) -> None:
    assert classify_failure(message) is kind


def test_code_version_follows_the_sources(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "a.py").write_text("x = 1\n")
    (tmp_path / ".venv").mkdir()
    first = source_hash(tmp_path)
    (tmp_path / ".venv" / "ignored.py").write_text("y = 2\n")
    assert source_hash(tmp_path) == first
    (tmp_path / "pkg" / "a.py").write_text("x = 2\n")
    assert source_hash(tmp_path) != first


def test_artifacts_are_content_addressed_and_uploaded_once(tmp_path: Path) -> None:
    from moto import mock_aws

    with mock_aws():
        import boto3

        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="art")
        one, two = tmp_path / "one" / "job.py", tmp_path / "two" / "job.py"
        for path, text in ((one, "print(1)\n"), (two, "print(2)\n")):
            path.parent.mkdir()
            path.write_text(text)
        store = S3Store(s3, "art")
        uri_one = upload(store, one, "p")
        assert upload(store, one, "p") == uri_one  # same bytes, same key
        uri_two = upload(store, two, "p")
        assert uri_one != uri_two and uri_one.endswith("/job.py")  # same name, other key
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket="art")["Contents"]]
        assert len(keys) == 2


def test_a_missing_sdk_names_the_extra_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = builtins.__import__

    def no_dagster_aws(name: str, *args: Any, **kwargs: Any) -> Any:
        if name.startswith("dagster_aws"):
            raise ModuleNotFoundError(f"No module named '{name}'", name=name)
        return real_import(name, *args, **kwargs)

    for mod in [
        m for m in sys.modules if m.startswith(("paasport.platforms.aws.emr", "dagster_aws"))
    ]:
        monkeypatch.delitem(sys.modules, mod)
    monkeypatch.delitem(sys.modules, "paasport.platforms.aws.common", raising=False)
    monkeypatch.setattr(builtins, "__import__", no_dagster_aws)
    with pytest.raises(ImportError, match=r"pip install 'paasport\[aws\]'"):
        get_platform_class("emr")

    from paasport.config import ConfigError, parse_config

    with pytest.raises(ConfigError, match=r"profiles\.cloud\.platform.*paasport\[aws\]"):
        parse_config({"profiles": {"cloud": {"platform": "emr", "bucket": "b-1"}}}, None)
    monkeypatch.undo()
    importlib.import_module("paasport.platforms.aws.emr")
