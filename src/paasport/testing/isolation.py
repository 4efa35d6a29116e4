"""Keeping the user's cloud credentials away from the emulators, and what the emulators heard.

An emulator gives every client it configures its own credentials and endpoints, explicitly:
the processes it starts get an environment without any cloud variable of the user's and a
home folder of their own (no ~/.aws, ~/.databrickscfg or ~/.config/gcloud), and each server
writes the requests it receives (headers and bodies) to a log, so tests can check that nothing
of the user's arrived.
"""

from __future__ import annotations

import http.client
import json
import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

#: variable families that configure (or hold credentials of) a cloud or a Databricks workspace
CLOUD_PREFIXES = (
    "AWS_",
    "DATABRICKS_",
    "GOOGLE_",
    "CLOUDSDK_",
    "GCLOUD_",
    "GCE_",
    "AZURE_",
    "ARM_",
    "BOTO_",
)
#: files some of those clients read when no variable names another
CLOUD_FILES_HINT = "~/.aws, ~/.databrickscfg, ~/.config/gcloud"
#: what names a credential, whatever its family
_SECRET_WORDS = ("KEY", "SECRET", "TOKEN", "PASSWORD", "CREDENTIAL")
#: bodies are logged up to this size (credentials travel in headers and small JSON bodies)
BODY_LIMIT = 64 * 1024
_HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "expect",
               "te", "trailer", "upgrade", "content-length"}  # fmt: skip


def is_cloud_variable(name: str) -> bool:
    return name.upper().startswith(CLOUD_PREFIXES)


def isolated_env(
    values: Mapping[str, str], home: Path, base: Mapping[str, str] | None = None
) -> dict[str, str]:
    """`base` (this process's environment) without any cloud variable, with a home folder of
    its own, plus `values`: what an emulator's servers and jobs run with."""
    home.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in (os.environ if base is None else base).items()
           if not is_cloud_variable(k)}  # fmt: skip
    env["HOME"] = str(home)
    env.update(values)
    return env


def no_proxy_for_loopback(env: Mapping[str, str]) -> dict[str, str]:
    """NO_PROXY values that keep requests to 127.0.0.1 off any HTTP proxy the user set."""
    current = env.get("NO_PROXY") or env.get("no_proxy") or ""
    hosts = [h for h in current.split(",") if h]
    for host in ("127.0.0.1", "localhost"):
        if host not in hosts:
            hosts.append(host)
    joined = ",".join(hosts)
    return {"NO_PROXY": joined, "no_proxy": joined}


def secret_values(env: Mapping[str, str]) -> set[str]:
    """Values in `env` that may be credentials (or name the user's account): never print them."""
    out = set()
    for name, value in env.items():
        upper = name.upper()
        if len(value) >= 6 and (is_cloud_variable(upper) or any(w in upper for w in _SECRET_WORDS)):
            out.add(value)
    return out


def redact(text: str, secrets: Iterable[str]) -> str:
    for value in sorted(secrets, key=len, reverse=True):
        text = text.replace(value, "<redacted>")
    return text


class RequestLog:
    """Every request a server received, one JSON line each: method, path, headers, body."""

    def __init__(self, path: Path, server: str) -> None:
        self.path = path
        self.server = server
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()

    def record(
        self, method: str, path: str, headers: Iterable[tuple[str, str]], body: bytes
    ) -> None:
        entry = {
            "t": time.time(),
            "server": self.server,
            "method": method,
            "path": path,
            "headers": [[k, v] for k, v in headers],
            "body": body[:BODY_LIMIT].decode("utf-8", errors="replace"),
            "body_bytes": len(body),
        }
        line = json.dumps(entry) + "\n"
        with self._lock, self.path.open("a") as out:
            out.write(line)


def read_request_log(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


class RecordingWsgi:
    """WSGI middleware: records each request in `log`, then hands it on unchanged."""

    def __init__(self, app: Any, log: RequestLog) -> None:
        self.app, self.log = app, log

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        import io

        stream = environ["wsgi.input"]
        length = environ.get("CONTENT_LENGTH")
        if length:
            body = stream.read(int(length))
        elif environ.get("wsgi.input_terminated"):
            body = stream.read()
        else:
            body = b""
        environ["wsgi.input"] = io.BytesIO(body)
        headers = [(k[5:].replace("_", "-").title(), str(v)) for k, v in environ.items()
                   if k.startswith("HTTP_")]  # fmt: skip
        for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            if environ.get(key):
                headers.append((key.replace("_", "-").title(), str(environ[key])))
        path = environ.get("PATH_INFO", "")
        if environ.get("QUERY_STRING"):
            path += "?" + environ["QUERY_STRING"]
        self.log.record(environ.get("REQUEST_METHOD", ""), path, headers, body)
        return self.app(environ, start_response)


#: (method, path, headers) -> None to forward the request, or (status, headers, body) to answer
ProxyFault = Callable[[str, str, Mapping[str, str]], "tuple[int, dict[str, str], bytes] | None"]


class _ProxyHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    upstream_port: int
    requests: RequestLog
    #: answers a request itself instead of forwarding it (an emulator's injected fault)
    fault: ProxyFault | None = None

    def log_message(self, format: str, *args: Any) -> None:  # the request log says it all
        pass

    def _body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            parts: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(parts)
                parts.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _forward(self) -> None:
        body = self._body()
        self.requests.record(self.command, self.path, self.headers.items(), body)
        answer = (
            self.fault(self.command, self.path, dict(self.headers.items())) if self.fault else None
        )
        if answer is not None:
            status, headers, data = answer
            self.send_response_only(status)
            for key, value in {**headers, "Content-Length": str(len(data))}.items():
                self.send_header(key, value)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)
            return
        conn = http.client.HTTPConnection("127.0.0.1", self.upstream_port, timeout=300)
        try:
            # the client's Host header goes on as it is: request signatures cover it
            conn.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
            for key, value in self.headers.items():
                if key.lower() not in _HOP_BY_HOP:
                    conn.putheader(key, value)
            if body or self.command in ("POST", "PUT", "PATCH"):
                conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body or None)
            response = conn.getresponse()
            data = response.read()
        except OSError as exc:
            self.send_error(502, f"the server behind this proxy did not answer: {exc}")
            return
        finally:
            conn.close()
        self.send_response_only(response.status, response.reason)
        for key, value in response.getheaders():
            if key.lower() not in _HOP_BY_HOP:
                self.send_header(key, value)
            elif key.lower() == "content-length" and self.command == "HEAD":
                self.send_header(key, value)  # the size of what a GET would return
        if self.command != "HEAD":
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = do_OPTIONS = _forward


class RecordingProxy:
    """An HTTP proxy on 127.0.0.1:`port` in front of a server on `upstream_port` that records
    every request: how a third-party server (SeaweedFS, the GCS emulator) gets a request log."""

    def __init__(
        self, port: int, upstream_port: int, requests: RequestLog, fault: ProxyFault | None = None
    ) -> None:
        attrs = {"upstream_port": upstream_port, "requests": requests,
                 "fault": staticmethod(fault) if fault else None}  # fmt: skip
        handler = type("Handler", (_ProxyHandler,), attrs)
        self._server = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, name=f"recording-proxy-{port}", daemon=True
        )

    def start(self) -> RecordingProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def close(self) -> None:
        """Release the port of a proxy that never started serving."""
        self._server.server_close()
