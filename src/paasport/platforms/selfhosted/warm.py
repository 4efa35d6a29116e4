"""The warm local Spark: one Spark Connect server on 127.0.0.1 that every `local` run of a
profile with `warm = true` shares, so a run pays for a Python client, not for a JVM and a
SparkContext.

A detached supervisor (`python -m paasport.platforms.selfhosted.warm serve SPEC`) owns the
server. It is keyed by what the server is started with (master, driver memory, class archive,
this interpreter, its import path, Spark's home): a run with other values gets its own server.
Its state lives in `$PAASPORT_STATE_DIR/warm`, else the user's state folder, as `KEY.json`.

Runs serialize on `KEY.lock` to find or start the server, then hold a shared lock on
`KEY.lease` while they run; the supervisor stops the server when it can take both locks and the
lease file is older than `idle_s` (its mtime is touched at every acquire and release), or on
SIGTERM (`stop`). Python workers are not reused, so a long-lived server runs the code of the
job's modules as they are now, as a cold run would.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Any

from paasport.files import write_atomically
from paasport.job.defaults import LOCAL_DEFAULTS
from paasport.platforms.checks import reachable
from paasport.platforms.launch_records import STATE_DIR_ENV, user_state_dir
from paasport.platforms.selfhosted.class_archive import spark_home, submit_opts_with_archive
from paasport.platforms.selfhosted.connect_server import server_command, server_env

#: SQL settings Spark reads only when the session state is built (StaticSQLConf and the
#: catalog's): a run that sets one needs a Spark of its own
STATIC_SQL_PREFIXES = (
    "spark.sql.warehouse.dir",
    "spark.sql.catalogImplementation",
    "spark.sql.catalog.",
    "spark.sql.extensions",
    "spark.sql.globalTempDatabase",
    "spark.sql.queryExecutionListeners",
    "spark.sql.streaming.streamingQueryListeners",
    "spark.sql.ui.",
    "spark.sql.event.truncate.length",
    "spark.sql.hive.",
    "spark.sql.codegen.cache.maxEntries",
    "spark.sql.codegen.comments",
    "spark.sql.debug",
    "spark.sql.sources.schemaStringLengthThreshold",
    "spark.sql.filesourceTableRelationCacheSize",
    "spark.sql.broadcastExchange.maxThreadThreshold",
    "spark.sql.subquery.maxThreadThreshold",
    "spark.sql.metadataCacheTTLSeconds",
    "spark.sql.legacy.sessionInitWithConfigDefaults",
    "spark.sql.defaultUrlStreamHandlerFactory.enabled",
    "spark.sql.connect.",
)
#: the job's own session sets these (LOCAL_DEFAULTS the cold path's driver starts with)
SERVER_CONF = {
    **{k: v for k, v in LOCAL_DEFAULTS.items() if not k.startswith("spark.driver.")},
    # a reused Python worker would keep the job modules it imported first: a long-lived
    # server must run the code as it is now
    "spark.python.worker.reuse": "false",
}
POLL_S = 1.0


class WarmError(RuntimeError):
    """The warm server could not be found or started (the run goes cold, saying why)."""


def needs_launch(conf: Mapping[str, str]) -> list[str]:
    """The settings of `conf` a running server cannot take: anything outside `spark.sql.*`
    (driver, executor, memory, jars, ...) and the static SQL settings."""
    return sorted(
        key
        for key in conf
        if not key.startswith("spark.sql.") or key.startswith(STATIC_SQL_PREFIXES)
    )


def warm_dir() -> Path:
    if env := os.environ.get(STATE_DIR_ENV):
        return Path(env) / "warm"
    return user_state_dir() / "warm"


@dataclass(frozen=True)
class WarmSpec:
    """What a warm server is started with; one server per distinct spec."""

    master: str
    driver_memory: str
    class_archive: bool = True
    idle_s: float = 600.0

    def key(self) -> str:
        ident = {
            "master": self.master,
            "driver_memory": self.driver_memory,
            "class_archive": self.class_archive,
            "python": sys.executable,
            "path": [p for p in sys.path if p],
            "spark_home": str(spark_home()),
        }
        return hashlib.sha256(json.dumps(ident, sort_keys=True).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class WarmServer:
    """A running warm server, as its supervisor wrote it down."""

    key: str
    supervisor_pid: int
    server_pid: int
    port: int
    ui_port: int
    log: str

    @property
    def url(self) -> str:
        return f"sc://127.0.0.1:{self.port}"

    @property
    def ui_url(self) -> str:
        return f"http://127.0.0.1:{self.ui_port}"


def _port_open(port: int) -> bool:
    return reachable(f"127.0.0.1:{port}", port)


def _alive(pid: int) -> bool:
    try:  # a supervisor this process started and that ended is a zombie until reaped here
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False
    except ChildProcessError:
        pass  # not this process's child
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _state_file(key: str) -> Path:
    return warm_dir() / f"{key}.json"


def read_state(key: str) -> WarmServer | None:
    """The server of `key` if its supervisor lives and it listens; a stale file is removed."""
    path = _state_file(key)
    try:
        state = WarmServer(**json.loads(path.read_text()))
    except (OSError, ValueError, TypeError):
        return None
    if _alive(state.supervisor_pid) and _port_open(state.port):
        return state
    if not _alive(state.supervisor_pid):
        path.unlink(missing_ok=True)
    return None


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def _start(spec: WarmSpec, key: str, timeout_s: float) -> WarmServer:
    folder = warm_dir()
    log = folder / f"{key}.supervisor.log"
    # the server's Python workers must import what this process imports
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", __name__, "serve", key, json.dumps(asdict(spec))],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # outlives this run; stopped by `stop` or when idle
        )
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        state = read_state(key)
        if state is not None and state.supervisor_pid == proc.pid:
            return state
        if proc.poll() is not None:
            server_log = folder / f"{key}.server.log"
            raise WarmError(
                f"the warm Spark Connect server did not start (exit {proc.returncode}); "
                f"log {server_log}:\n{_tail(server_log)}\n{_tail(log)}"
            )
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGTERM)
    raise WarmError(f"the warm Spark Connect server was not up after {timeout_s:.0f} s; log {log}")


@contextlib.contextmanager
def acquire(
    spec: WarmSpec, say: Callable[[str], None] = print, timeout_s: float = 180.0
) -> Iterator[WarmServer]:
    """The warm server of `spec`, started if none runs, leased for the `with` block."""
    folder = warm_dir()
    folder.mkdir(parents=True, exist_ok=True)
    key = spec.key()
    lease_path = folder / f"{key}.lease"
    lease = lease_path.open("a")
    try:
        with (folder / f"{key}.lock").open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            state = read_state(key)
            if state is None:
                say(
                    f"starting the warm local Spark ({spec.master}, driver {spec.driver_memory}; "
                    f"stops after {spec.idle_s:.0f} s unused; log {folder / (key + '.server.log')})"
                )
                started = time.monotonic()
                state = _start(spec, key, timeout_s)
                say(f"warm local Spark up at {state.url} in {time.monotonic() - started:.1f} s")
            # before the start lock is let go: the supervisor cannot find it idle in between
            fcntl.flock(lease, fcntl.LOCK_SH)
        os.utime(lease_path)
        yield state
    finally:
        with contextlib.suppress(OSError):
            os.utime(lease_path)
        lease.close()  # releases the shared lock


def stop(key: str | None = None, timeout_s: float = 30.0) -> list[str]:
    """Stop the warm server of `key` (or every one) by its supervisor's PID; the keys stopped."""
    stopped = []
    for path in sorted(warm_dir().glob("*.json")):
        if key is not None and path.stem != key:
            continue
        state = read_state(path.stem)
        if state is None:
            continue
        os.kill(state.supervisor_pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout_s
        while _alive(state.supervisor_pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        stopped.append(path.stem)
    return stopped


# --- the supervisor ---------------------------------------------------------------------------


def _try_lock(handle: IO[Any]) -> bool:
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _idle(folder: Path, key: str, idle_s: float, held: list[IO[Any]]) -> bool:
    """True, with both locks taken (kept in `held` until exit), when no run holds or is taking
    the server and the last one left `idle_s` ago."""
    lease_path = folder / f"{key}.lease"
    lease = lease_path.open("a")
    if not _try_lock(lease):
        lease.close()
        return False
    if time.time() - lease_path.stat().st_mtime < idle_s:
        lease.close()
        return False
    lock = (folder / f"{key}.lock").open("a")
    if not _try_lock(lock):  # a run is finding the server right now
        lock.close()
        lease.close()
        return False
    held += [lease, lock]
    return True


def serve(key: str, spec: WarmSpec) -> int:
    """Run the server of `spec` until it is idle, it dies, or SIGTERM; `key` is the spec's key
    as the run that started it computed it (this process's import path differs)."""
    folder = warm_dir()
    ports = []
    for _ in range(2):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            ports.append(int(sock.getsockname()[1]))
    port, ui_port = ports
    env = server_env(os.environ)
    if spec.class_archive:
        env["SPARK_SUBMIT_OPTS"] = submit_opts_with_archive(env.get("SPARK_SUBMIT_OPTS"))
    cmd = server_command(spec.master, spec.driver_memory, port, ui_port, SERVER_CONF)
    log = folder / f"{key}.server.log"
    stopping: list[int] = []
    signal.signal(signal.SIGTERM, lambda signum, _frame: stopping.append(signum))
    signal.signal(signal.SIGINT, lambda signum, _frame: stopping.append(signum))
    with log.open("wb") as out:
        server = subprocess.Popen(
            cmd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    held: list[IO[Any]] = []
    state_path = _state_file(key)
    try:
        while not _port_open(port):
            if server.poll() is not None or stopping:
                return 1
            time.sleep(0.2)
        state = WarmServer(key, os.getpid(), server.pid, port, ui_port, str(log))
        write_atomically(state_path, json.dumps(asdict(state)).encode())
        print(f"warm server {key} up: {state.url}, UI {state.ui_url}", flush=True)
        while not stopping and server.poll() is None:
            if _idle(folder, key, spec.idle_s, held):
                print(f"idle for {spec.idle_s:.0f} s: stopping", flush=True)
                break
            time.sleep(POLL_S)
    finally:
        with contextlib.suppress(OSError, ValueError):
            if json.loads(state_path.read_text()).get("supervisor_pid") == os.getpid():
                state_path.unlink()
        _stop_server(server)
        for handle in held:
            handle.close()
    return 0


def _stop_server(server: subprocess.Popen[bytes], grace_s: float = 20.0) -> None:
    if server.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.pid, signal.SIGTERM)  # its group: the JVM and its Python workers
    try:
        server.wait(grace_s)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGKILL)
        server.wait()


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "serve":
        sys.exit(serve(sys.argv[2], WarmSpec(**json.loads(sys.argv[3]))))
    print(f"usage: python -m {__name__} serve KEY SPEC_JSON", file=sys.stderr)
    sys.exit(2)
