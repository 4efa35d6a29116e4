"""Bursts of throttled and failing AWS calls, at every call the platforms make.

The control plane (moto) gets them from a WSGI middleware, before moto sees the request: AWS
refuses a throttled or failed call before doing anything, so a retry never starts a second
run. S3 gets them from the recording proxy in front of SeaweedFS (`s3_call_fault`). Answers
have the shapes botocore parses: `ThrottlingException` / `SlowDown`, HTTP 500 and 503.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from paasport.testing.faults import CallFault, CallKind, FaultBook

#: signing names of the services that run jobs (not IAM or STS: setting up is not running)
JOB_SERVICES = {"elasticmapreduce", "emr-serverless", "emr-containers", "glue"}
#: what marks a request of paasport's own (the orchestrator's) clients; see aws/common.py
PAASPORT_APP = "app/paasport"
_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/[^/]+/([^/]+)/aws4_request")
#: REST collections (EMR Serverless, EMR on EKS): a GET of one of these lists
_COLLECTIONS = {"jobruns", "applications", "virtualclusters", "endpoints"}
_KINDS: list[tuple[tuple[str, ...], CallKind]] = [
    (("Get", "Describe", "Head"), "get"),
    (("List",), "list"),
    (("Cancel", "Stop", "BatchStop", "Terminate", "Delete"), "cancel"),
]


def signing_service(headers: Mapping[str, str]) -> str:
    match = _SCOPE.search(headers.get("authorization", ""))
    return match.group(1) if match else ""


def action_kind(action: str) -> CallKind:
    """The kind of an AWS action by its verb; anything that starts or adds work submits."""
    for prefixes, kind in _KINDS:
        if action.startswith(prefixes):
            return kind
    return "submit"


def rest_action(method: str, path: str) -> tuple[str, CallKind]:
    """A REST-JSON call's name and kind from its method and path."""
    last = path.rstrip("/").rsplit("/", 1)[-1]
    if method == "GET":
        return f"GET {path}", "list" if last in _COLLECTIONS else "get"
    if method == "DELETE":
        return f"DELETE {path}", "cancel"
    return f"{method} {path}", "submit"


class _Answers:
    """Server errors alternate between 500 and 503, as a service under strain answers."""

    def __init__(self) -> None:
        self._count = itertools.count()

    def server_error(self) -> tuple[int, str, str]:
        if next(self._count) % 2:
            return 503, "ServiceUnavailableException", "Service is unavailable. Try again."
        return 500, "InternalServerException", "An internal error occurred. Try again."


class ControlPlaneFaults:
    """WSGI middleware in front of moto: answers calls to the job services as `faults` say."""

    def __init__(self, app: Any, faults: FaultBook) -> None:
        self.app, self.faults = app, faults
        self._answers = _Answers()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        headers = {k[5:].replace("_", "-").lower(): str(v) for k, v in environ.items()
                   if k.startswith("HTTP_")}  # fmt: skip
        if signing_service(headers) not in JOB_SERVICES:
            return self.app(environ, start_response)
        target = headers.get("x-amz-target", "")
        if target:  # the JSON protocol (EMR, Glue): the action is named in a header
            action = target.rsplit(".", 1)[-1]
            kind = action_kind(action)
        else:
            action, kind = rest_action(environ["REQUEST_METHOD"], environ.get("PATH_INFO", ""))
        fault = self.faults.take_call(kind, action)
        if fault is None:
            return self.app(environ, start_response)
        status, code, message = self._answer(fault, json_protocol=bool(target))
        body = json.dumps({"__type": code, "message": message}).encode()
        start_response(
            f"{status} {'Error' if status < 500 else 'Server Error'}",
            [("Content-Type", "application/x-amz-json-1.1"), ("x-amzn-ErrorType", code),
             ("Content-Length", str(len(body)))],
        )  # fmt: skip
        return [body]

    def _answer(self, fault: CallFault, json_protocol: bool) -> tuple[int, str, str]:
        if fault == "call_throttles":
            # the JSON-protocol services throttle with 400; the REST ones with 429
            return (400 if json_protocol else 429), "ThrottlingException", "Rate exceeded"
        return self._answers.server_error()


def s3_call_fault(
    faults: FaultBook,
) -> Callable[[str, str, Mapping[str, str]], tuple[int, dict[str, str], bytes] | None]:
    """The S3 proxy's hook: paasport's storage calls answered with SlowDown, 500 or 503.

    Only the orchestrator's calls (User-Agent `app/paasport`): a job's own writes of Pipes
    messages are the job's client's to retry, and the emulator's downloads of artifacts are
    not calls paasport makes."""
    answers = _Answers()

    def fault(method: str, path: str, headers: Mapping[str, str]) -> Any:
        taken = faults.take_storage_call(PAASPORT_APP, method, path, headers)
        if taken is None:
            return None
        if taken == "call_throttles":
            status, code, message = 503, "SlowDown", "Please reduce your request rate."
        else:
            status, code, message = answers.server_error()
            code = {500: "InternalError", 503: "ServiceUnavailable"}[status]
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>'
            f"<Error><Code>{code}</Code><Message>{message}</Message>"
            "<RequestId>paasport-emulated</RequestId></Error>"
        ).encode()
        return status, {"Content-Type": "application/xml"}, body

    return fault
