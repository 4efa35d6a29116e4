"""Servers the emulators start: spawn with a log file, wait until ready, stop by PID."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import FrameType, TracebackType
from typing import ClassVar, Self

from paasport.testing.isolation import ProxyFault, RecordingProxy, RequestLog, isolated_env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


class ServerError(RuntimeError):
    pass


class ServerProcess:
    """One server process in its own process group, logging to a file."""

    def __init__(
        self, name: str, cmd: Sequence[str], log: Path, env: Mapping[str, str] | None = None
    ) -> None:
        self.name = name
        self.log = log
        log.parent.mkdir(parents=True, exist_ok=True)
        self._log_file = log.open("wb")
        # its own session: stopping it also stops whatever it started
        self.proc = subprocess.Popen(
            list(cmd),
            env=dict(env) if env is not None else None,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log.read_text(errors="replace").splitlines()
        except OSError:
            return ""
        return "\n".join(text[-lines:])

    def wait_ready(self, ready: Callable[[], bool], timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while not ready():
            if self.proc.poll() is not None:
                raise ServerError(
                    f"{self.name} exited with code {self.proc.returncode} before it was ready; "
                    f"log {self.log}:\n{self.log_tail()}"
                )
            if time.monotonic() > deadline:
                self.stop()
                raise ServerError(
                    f"{self.name} not ready after {timeout_s:.0f} s; log {self.log}:\n"
                    f"{self.log_tail()}"
                )
            time.sleep(0.2)

    def stop(self, timeout_s: float = 15.0) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        self._log_file.close()


class Service:
    """A context manager around `start()` / `stop()`: stopped whatever happens inside."""

    def start(self) -> Self:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class EnvOverlay:
    """Sets variables in this process's environment (hiding others) and puts them back after:
    how an emulator points the standard clients at itself and away from any real account."""

    def __init__(self) -> None:
        self._saved: dict[str, str | None] = {}

    def apply(
        self,
        values: dict[str, str],
        hide: tuple[str, ...] = (),
        hide_prefixes: tuple[str, ...] = (),
    ) -> None:
        """Set `values`; hide `hide` and every variable whose name starts with `hide_prefixes`."""
        hidden = [*hide, *(k for k in os.environ if hide_prefixes and k.startswith(hide_prefixes))]
        for key in (*values, *hidden):
            self._saved.setdefault(key, os.environ.get(key))
        for key in hidden:
            if key not in values:
                os.environ.pop(key, None)
        os.environ.update(values)

    def restore(self) -> None:
        for key, value in self._saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        self._saved.clear()


class LocalHttpServer(Service):
    """One server process on a free port of 127.0.0.1 with its data and log in `workdir`;
    ready when `health_path` answers at all (any HTTP status).

    It runs without any cloud variable of this process and with a home folder of its own, and
    clients reach it through a proxy that writes every request to `requests_log`."""

    title: ClassVar[str]
    health_path: ClassVar[str] = "/"

    def __init__(self, workdir: Path | None = None, start_timeout_s: float = 60.0) -> None:
        self.workdir = workdir or Path(tempfile.mkdtemp(prefix="paasport-server-"))
        self.start_timeout_s = start_timeout_s
        self.port = free_port()  # the recording proxy's: what clients use
        self.server_port = free_port()  # the server's own, behind the proxy
        self.requests_log = self.workdir / "requests.jsonl"
        self._server: ServerProcess | None = None
        self._proxy: RecordingProxy | None = None
        #: an emulator's injected faults, answered by the proxy (set before `start`)
        self.call_fault: ProxyFault | None = None

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self, data: Path) -> list[str]:
        """The server's command line, listening on `server_port`, keeping its data in `data`."""
        raise NotImplementedError

    def env(self) -> dict[str, str]:
        """The server's environment: none of the user's cloud variables or home files."""
        return isolated_env({}, self.workdir / "home")

    def _ready(self) -> bool:
        url = f"http://127.0.0.1:{self.server_port}{self.health_path}"
        try:
            # straight to the server: health checks are not requests worth recording
            with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(url, timeout=2):
                return True
        except urllib.error.HTTPError:
            return True  # it answers
        except (urllib.error.URLError, OSError):
            return False

    def start(self) -> Self:
        data = self.workdir / "data"
        data.mkdir(parents=True, exist_ok=True)
        log = self.workdir / "server.log"
        # the proxy binds its port before the server starts: servers such as SeaweedFS open
        # more ports of their own, and one of them could take the proxy's (seen in a suite run)
        requests = RequestLog(self.requests_log, self.title)
        self._proxy = RecordingProxy(self.port, self.server_port, requests, self.call_fault)
        self._server = ServerProcess(self.title, self.command(data), log, env=self.env())
        try:
            self._server.wait_ready(self._ready, self.start_timeout_s)
        except BaseException:
            self._proxy.close()
            self._proxy = None
            raise
        self._proxy.start()
        return self

    def stop(self) -> None:
        if self._proxy is not None:
            self._proxy.stop()
            self._proxy = None
        if self._server is not None:
            self._server.stop()
            self._server = None


def tick_until_signalled(workdir: Path, tick: Callable[[], None], period_s: float = 0.2) -> None:
    """An emulator server's main loop: say ready (`workdir/ready`), then advance the emulated
    world every `period_s` until SIGTERM or SIGINT."""
    stopping = threading.Event()

    def stop(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    (workdir / "ready").write_text(str(os.getpid()))
    while not stopping.is_set():
        tick()
        time.sleep(period_s)
