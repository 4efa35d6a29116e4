"""The webhook sensors against a real HTTP server on 127.0.0.1: one message per failed asset,
nothing for successes, no secret in what is sent or logged."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import dagster as dg
import pytest

from paasport.dagster.notify import WEBHOOK_ENV, webhook_sensors

SECRET = "AKIAPLANTEDSECRET1234"
HOOK_TOKEN = "T000/B000/hooktokenXYZ"


class Receiver:
    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.paths: list[str] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers["Content-Length"])
                receiver.bodies.append(json.loads(self.rfile.read(length)))
                receiver.paths.append(self.path)
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/services/{HOOK_TOKEN}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver(monkeypatch: pytest.MonkeyPatch) -> Iterator[Receiver]:
    r = Receiver()
    monkeypatch.setenv(WEBHOOK_ENV, r.url)
    yield r
    r.stop()


@dg.asset
def good() -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata={"rows": 1})


@dg.asset
def broken() -> None:
    raise RuntimeError(f"could not read s3://bucket/x with aws_secret_access_key={SECRET}")


@dg.asset(check_specs=[dg.AssetCheckSpec("rows_ok", asset="graded")])
def graded() -> dg.MaterializeResult:
    return dg.MaterializeResult(
        check_results=[
            dg.AssetCheckResult(
                check_name="rows_ok", passed=False, severity=dg.AssetCheckSeverity.ERROR,
                description="0 rows",
            ),
        ]
    )  # fmt: skip


def evaluate(result: dg.ExecuteInProcessResult, instance: dg.DagsterInstance) -> None:
    """Run the sensor that watches this run's status, as the daemon would."""
    on_failure, on_success = webhook_sensors()
    sensor, event = (
        (on_success, result.get_run_success_event())
        if result.success
        else (on_failure, result.get_run_failure_event())
    )
    context = dg.build_run_status_sensor_context(
        sensor_name=sensor.name,
        dagster_event=event,
        dagster_instance=instance,
        dagster_run=result.dagster_run,
    )
    if not result.success:
        context = context.for_run_failure()
    sensor(context)


def test_one_message_per_failed_asset_and_none_for_success(receiver: Receiver) -> None:
    instance = dg.DagsterInstance.ephemeral()
    failed = dg.materialize([good, broken], instance=instance, raise_on_error=False)
    assert not failed.success
    evaluate(failed, instance)
    assert len(receiver.bodies) == 1
    body = receiver.bodies[0]
    assert body["paasport"]["kind"] == "asset_failed"
    assert body["paasport"]["asset"] == "broken"
    assert "could not read" in body["text"]
    sent = json.dumps(receiver.bodies)
    assert SECRET not in sent and HOOK_TOKEN not in sent

    fine = dg.materialize([good], instance=instance)
    evaluate(fine, instance)
    assert len(receiver.bodies) == 1  # nothing for a success


def test_a_failed_error_check_of_a_successful_run_is_sent(receiver: Receiver) -> None:
    instance = dg.DagsterInstance.ephemeral()
    result = dg.materialize([graded], instance=instance)
    assert result.success  # not blocking: the run goes on
    evaluate(result, instance)
    assert [b["paasport"]["check"] for b in receiver.bodies] == ["rows_ok"]
    assert "0 rows" in receiver.bodies[0]["text"]


def test_without_a_url_nothing_is_sent(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(WEBHOOK_ENV, raising=False)
    instance = dg.DagsterInstance.ephemeral()
    failed = dg.materialize([broken], instance=instance, raise_on_error=False)
    evaluate(failed, instance)  # must not raise


def test_a_refusing_receiver_is_named_by_variable_never_by_url(
    monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    # a port nobody listens on: connection refused
    monkeypatch.setenv(WEBHOOK_ENV, f"http://127.0.0.1:9/services/{HOOK_TOKEN}")
    instance = dg.DagsterInstance.ephemeral()
    failed = dg.materialize([broken], instance=instance, raise_on_error=False)
    capfd.readouterr()
    evaluate(failed, instance)  # must not raise
    out, err = capfd.readouterr()
    assert f"webhook ${WEBHOOK_ENV} refused" in out + err
    assert HOOK_TOKEN not in out + err
