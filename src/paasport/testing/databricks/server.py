"""The workspace's REST API on 127.0.0.1: what databricks-sdk and dagster-databricks call.

Jobs API 2.2 (runs/submit, runs/get, runs/get-output, runs/cancel), clusters/get, DBFS API 2.0,
the Files API for volumes, and the `/.well-known/databricks-config` probe. Requests need the
workspace's token; errors have Databricks' JSON shape so the SDK raises its own exceptions.
"""

from __future__ import annotations

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

from paasport.testing.databricks.runs import EXISTING_CLUSTER_ID, RunBook
from paasport.testing.databricks.storage import Storage, StorageError
from paasport.testing.faults import CallKind, FaultBook
from paasport.testing.isolation import RequestLog


class Workspace:
    """What the handler serves: storage, runs, faults, the token, and logs of calls (method and
    path here; everything, headers and bodies, in `requests` when given)."""

    def __init__(
        self,
        storage: Storage,
        runs: RunBook,
        faults: FaultBook,
        token: str,
        requests: RequestLog | None = None,
    ) -> None:
        self.storage, self.runs, self.faults, self.token = storage, runs, faults, token
        self.requests = requests
        self.calls: list[tuple[str, str]] = []
        self._lock = threading.Lock()

    def record(self, method: str, path: str) -> None:
        with self._lock:
            self.calls.append((method, path))


def call_kind(method: str, path: str) -> CallKind:
    """Which kind of call a request is, for bursts of faults."""
    if path.startswith(("/api/2.0/dbfs/", "/api/2.0/fs/")):
        return "storage"
    op = path.rsplit("/", 1)[-1]
    if op in ("submit", "create"):
        return "submit"
    if op in ("cancel", "cancel-all", "delete", "terminate"):
        return "cancel"
    return "list" if op == "list" else "get"


def serve(workspace: Workspace) -> ThreadingHTTPServer:
    handler = type("Handler", (_Handler,), {"workspace": workspace})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="databricks-emulator", daemon=True).start()
    return server


class _Handler(BaseHTTPRequestHandler):
    workspace: Workspace

    def log_message(self, format: str, *args: Any) -> None:  # quiet: tests read the call log
        pass

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PUT(self) -> None:
        self._handle("PUT")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    def do_HEAD(self) -> None:
        self._handle("HEAD")

    # --- plumbing -----------------------------------------------------------------------------
    def _handle(self, method: str) -> None:
        url = urlparse(self.path)
        path = unquote(url.path)
        self.query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        self.workspace.record(method, path)
        length = int(self.headers.get("Content-Length") or 0)
        self.body = self.rfile.read(length) if length else b""
        if self.workspace.requests is not None:
            self.workspace.requests.record(method, self.path, self.headers.items(), self.body)
        if path == "/.well-known/databricks-config":
            return self._json({"workspace_id": "1234567890", "cloud": "aws", "emulated": True})
        if self.headers.get("Authorization") != f"Bearer {self.workspace.token}":
            return self._error(401, "UNAUTHENTICATED", "Invalid access token.")
        if self._call_fault(method, path):
            return
        try:
            self._route(method, path)
        except StorageError as exc:
            self._error(exc.status, exc.code, exc.message)
        except KeyError as exc:
            self._error(400, "INVALID_PARAMETER_VALUE", f"unknown or missing {exc}")

    def _call_fault(self, method: str, path: str) -> bool:
        """Answer the call as throttled or unavailable when the faults say so, before doing
        anything (as Databricks' front end does): True when it was answered."""
        fault = self.workspace.faults.take_call(call_kind(method, path), f"{method} {path}")
        if fault == "call_throttles":
            self._error(429, "REQUEST_LIMIT_EXCEEDED", "Too many requests.", retry_after=1)
        elif fault == "server_errors":
            # Databricks' answer when a service behind the API is overloaded or restarting
            self._error(503, "TEMPORARILY_UNAVAILABLE", "Service unavailable.", retry_after=1)
        return fault is not None

    def _json(self, value: Any, status: int = 200) -> None:
        data = json.dumps(value).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _raw(self, data: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _empty(self, status: int = 200) -> None:
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _error(self, status: int, code: str, message: str, retry_after: int | None = None) -> None:
        data = json.dumps({"error_code": code, "message": message}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if retry_after is not None:
            self.send_header("Retry-After", str(retry_after))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _args(self) -> dict[str, Any]:
        return dict(json.loads(self.body or b"{}"))

    # --- routes -------------------------------------------------------------------------------
    def _route(self, method: str, path: str) -> None:
        if path.startswith("/api/2.2/jobs/"):
            return self._jobs(method, path.removeprefix("/api/2.2/jobs/"))
        if path.startswith("/api/2.0/dbfs/"):
            return self._dbfs(method, path.removeprefix("/api/2.0/dbfs/"))
        if path.startswith("/api/2.0/fs/files/"):
            return self._files(method, path.removeprefix("/api/2.0/fs/files"))
        if path.startswith("/api/2.0/fs/directories/"):
            return self._directories(method, path.removeprefix("/api/2.0/fs/directories"))
        if path == "/api/2.1/clusters/get" and self.query.get("cluster_id") == EXISTING_CLUSTER_ID:
            return self._json({"cluster_id": EXISTING_CLUSTER_ID, "state": "RUNNING",
                               "spark_version": "16.4.x-scala2.13", "node_type_id": "m5d.xlarge",
                               "num_workers": 2})  # fmt: skip
        self._error(404, "ENDPOINT_NOT_FOUND", f"No API found for '{method} {path}'")

    def _jobs(self, method: str, op: str) -> None:
        runs, faults = self.workspace.runs, self.workspace.faults
        if op == "runs/submit" and method == "POST":
            run_id = runs.submit(self._args())
            if faults.take("lost_answers"):
                # the run exists, but the answer never arrives: the client must retry safely
                self.close_connection = True
                return
            return self._json({"run_id": run_id})
        if op in ("runs/get", "runs/get-output") and faults.take("throttles"):
            return self._error(429, "REQUEST_LIMIT_EXCEEDED", "Too many requests.", retry_after=1)
        try:
            if op == "runs/get":
                return self._json(runs.get(int(self.query["run_id"])).as_json())
            if op == "runs/get-output":
                return self._json(runs.output(int(self.query["run_id"])))
            if op == "runs/cancel" and method == "POST":
                runs.cancel(int(self._args()["run_id"]))
                return self._json({})
        except KeyError as exc:
            return self._error(404, "RESOURCE_DOES_NOT_EXIST", f"Run {exc} does not exist.")
        self._error(404, "ENDPOINT_NOT_FOUND", f"No API found for '{method} jobs/{op}'")

    def _dbfs(self, method: str, op: str) -> None:
        st, q = self.workspace.storage, self.query
        if method == "GET":
            if op == "get-status":
                return self._json(st.dbfs_status(q["path"]))
            if op == "list":
                return self._json({"files": st.dbfs_list(q["path"])})
            if op == "read":
                offset, length = int(q.get("offset", 0)), int(q.get("length", 1 << 20))
                return self._json(st.dbfs_read(q["path"], offset, length))
        args = self._args()
        if op == "mkdirs":
            st.dbfs(args["path"]).mkdir(parents=True, exist_ok=True)
        elif op == "put":
            st.dbfs_put(args["path"], base64.b64decode(args.get("contents", "")),
                        bool(args.get("overwrite")))  # fmt: skip
        elif op == "create":
            return self._json({"handle": st.dbfs_create(args["path"], bool(args.get("overwrite")))})
        elif op == "add-block":
            st.dbfs_add_block(int(args["handle"]), args["data"])
        elif op == "close":
            st.dbfs_close(int(args["handle"]))
        elif op == "delete":
            st.dbfs_delete(args["path"], bool(args.get("recursive")))
        elif op == "move":
            st.dbfs_move(args["source_path"], args["destination_path"])
        else:
            return self._error(404, "ENDPOINT_NOT_FOUND", f"No API found for dbfs/{op}")
        self._json({})

    def _files(self, method: str, path: str) -> None:
        st = self.workspace.storage
        if method == "PUT":
            st.file_put(path, self.body, self.query.get("overwrite", "true") != "false")
            return self._empty(204)
        if method in ("GET", "HEAD"):
            return self._raw(st.file_get(path))
        if method == "DELETE":
            st.file_delete(path)
            return self._empty(204)
        self._error(405, "NOT_IMPLEMENTED", f"{method} on files")

    def _directories(self, method: str, path: str) -> None:
        st = self.workspace.storage
        if method == "PUT":
            st.dir_create(path)
            return self._empty(204)
        if method == "GET":
            return self._json({"contents": st.dir_list(path)})
        if method == "HEAD":
            st.dir_list(path)
            return self._empty(200)
        if method == "DELETE":
            st.dir_delete(path)
            return self._empty(204)
        self._error(405, "NOT_IMPLEMENTED", f"{method} on directories")
