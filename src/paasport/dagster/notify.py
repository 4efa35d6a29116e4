"""Notifications: Dagster sensors that post a JSON message (a Slack-compatible body) to a
webhook when an asset of a run fails, or a check at severity ERROR fails.

The URL comes from an environment variable, never from code or config, and is never printed:
webhook URLs carry their token in the path.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from collections.abc import Sequence
from typing import Any

import dagster as dg
from dagster import DagsterEventType

from paasport.job.redact import redact_value

WEBHOOK_ENV = "PAASPORT_WEBHOOK_URL"
#: enough of an error to act on; the rest is in the Dagster UI
MAX_ERROR_CHARS = 1500


def redact_text(text: str) -> str:
    """Free text (an error message) with the secrets in URLs and `name=value` pairs removed."""
    return redact_value("text", text)


def error_text(error: Any) -> str:
    """The error's own message and its causes' (Dagster wraps the user's in a step error)."""
    parts = []
    while error is not None:
        parts.append(error.message.strip())
        error = error.cause
    return " <- ".join(parts[::-1]) or "failed"


def failure_messages(instance: dg.DagsterInstance, run: dg.DagsterRun) -> list[dict[str, Any]]:
    """One message per failed step (asset) of `run`, and one per failed check at ERROR."""
    partition = run.tags.get("dagster/partition")
    records = instance.get_records_for_run(
        run.run_id,
        of_type={DagsterEventType.STEP_FAILURE, DagsterEventType.ASSET_CHECK_EVALUATION},
    ).records
    messages: list[dict[str, Any]] = []
    for record in records:
        event = record.event_log_entry.dagster_event
        if event is None:
            continue
        base = {"run_id": run.run_id, "job": run.job_name, "partition": partition}
        if event.event_type == DagsterEventType.STEP_FAILURE:
            text = error_text(getattr(event.event_specific_data, "error", None))
            messages.append({**base, "kind": "asset_failed", "asset": event.step_key,
                             "error": redact_text(text.strip())[:MAX_ERROR_CHARS]})  # fmt: skip
        else:
            evaluation = event.event_specific_data
            if not isinstance(evaluation, dg.AssetCheckEvaluation):
                continue
            if evaluation.passed or evaluation.severity != dg.AssetCheckSeverity.ERROR:
                continue
            messages.append({**base, "kind": "check_failed",
                             "asset": evaluation.asset_key.to_user_string(),
                             "check": evaluation.check_name,
                             "description": redact_text(evaluation.description or "")})  # fmt: skip
    # a blocking check that failed also failed its asset's step: one message for that asset
    failed = {m["asset"] for m in messages if m["kind"] == "asset_failed"}
    return [
        m
        for m in messages
        if m["kind"] == "asset_failed" or m["asset"].replace("/", "__") not in failed
    ]


def slack_body(message: dict[str, Any]) -> dict[str, Any]:
    """Slack's incoming webhooks read `text`; other receivers get the fields in `paasport`."""
    where = f" [{message['partition']}]" if message.get("partition") else ""
    if message["kind"] == "asset_failed":
        text = f":red_circle: {message['asset']}{where} failed: {message['error']}"
    else:
        text = (
            f":warning: check {message['check']} on {message['asset']}{where} failed: "
            f"{message['description']}"
        )
    return {"text": f"{text}\n(run {message['run_id']})", "paasport": message}


def post(url: str, body: dict[str, Any], timeout_s: float = 10.0) -> None:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=timeout_s) as response:
        response.read()


def notify(
    context: dg.RunStatusSensorContext, env_var: str, messages: Sequence[dict[str, Any]]
) -> None:
    url = os.environ.get(env_var)
    if not url:
        context.log.info(f"no webhook: ${env_var} is not set; {len(messages)} message(s) dropped")
        return
    for message in messages:
        try:
            post(url, slack_body(message))
        except (urllib.error.URLError, OSError) as exc:
            # the URL is a secret: name the variable, never its value
            reason = getattr(exc, "reason", None) or getattr(exc, "code", None) or type(exc)
            context.log.warning(f"webhook ${env_var} refused the message: {reason}")


def webhook_sensors(
    env_var: str = WEBHOOK_ENV, minimum_interval_seconds: int = 30
) -> list[dg.SensorDefinition]:
    """Two sensors: failed runs (each failed asset, each failed ERROR check), and successful
    runs with failed ERROR checks that did not block. Add them to your Definitions."""

    @dg.run_failure_sensor(
        name="paasport_failure_webhook",
        minimum_interval_seconds=minimum_interval_seconds,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description=f"posts failed assets and ERROR checks to the webhook in ${env_var}",
    )
    def on_failure(context: dg.RunFailureSensorContext) -> None:
        notify(context, env_var, failure_messages(context.instance, context.dagster_run))

    @dg.run_status_sensor(
        run_status=dg.DagsterRunStatus.SUCCESS,
        name="paasport_check_webhook",
        minimum_interval_seconds=minimum_interval_seconds,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description=f"posts failed ERROR checks of successful runs to the webhook in ${env_var}",
    )
    def on_success(context: dg.RunStatusSensorContext) -> None:
        notify(context, env_var, failure_messages(context.instance, context.dagster_run))

    return [on_failure, on_success]
