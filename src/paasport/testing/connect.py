"""A real Spark Connect server on 127.0.0.1 (`sc://127.0.0.1:PORT`), from the pip pyspark package.

    with SparkConnectServer() as server:
        ... SPARK_REMOTE=server.url ...

The server runs `local[2]`; its Python workers use this interpreter and see the project's
code, so UDFs import what the job imports. Stopped by PID (its process group) on exit.

With a `token`, the server accepts only clients that present it as a bearer token (Spark's
`spark.connect.authenticate.token`, given through its environment variable so no command line
shows it); PySpark's client sends a token without TLS only to `localhost`, so the URL says so.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from paasport.platforms.selfhosted.connect_server import server_command, server_env
from paasport.testing.processes import EnvOverlay, ServerProcess, Service, free_port, port_open

#: the variable the emulated `connect` profile names in `token_env`
PROFILE_TOKEN_VAR = "PAASPORT_EMULATED_CONNECT_TOKEN"


class SparkConnectServer(Service):
    def __init__(
        self,
        cores: int = 2,
        driver_memory: str = "1g",
        start_timeout_s: float = 90.0,
        token: str | None = None,
    ) -> None:
        self.cores = cores
        self.token = token
        self.driver_memory = driver_memory
        self.start_timeout_s = start_timeout_s
        self.port = free_port()
        self.ui_port = free_port()
        self.logs = Path(tempfile.mkdtemp(prefix="paasport-connect-"))
        self._server: ServerProcess | None = None

    @property
    def url(self) -> str:
        return f"sc://{'localhost' if self.token else '127.0.0.1'}:{self.port}"

    @property
    def ui_url(self) -> str:
        return f"http://127.0.0.1:{self.ui_port}"

    def start(self) -> SparkConnectServer:
        conf = {"spark.sql.shuffle.partitions": "4"}
        cmd = server_command(
            f"local[{self.cores}]", self.driver_memory, self.port, self.ui_port, conf
        )
        env = server_env(os.environ, self.token)
        self._server = ServerProcess("Spark Connect server", cmd, self.logs / "server.log", env)
        self._server.wait_ready(lambda: port_open(self.port), self.start_timeout_s)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None


@contextmanager
def emulate(platform: str) -> Iterator[dict[str, str]]:
    """The registry's emulator of `connect`: a Spark Connect server on 127.0.0.1 that wants a
    token, which the profile names by variable (`token_env`), as a real endpoint's would be."""
    env = EnvOverlay()
    env.apply({PROFILE_TOKEN_VAR: f"connect-token-{secrets.token_hex(12)}"})
    try:
        with SparkConnectServer(token=os.environ[PROFILE_TOKEN_VAR]) as server:
            yield {"platform": platform, "url": server.url, "token_env": PROFILE_TOKEN_VAR,
                   "ui_url": server.ui_url}  # fmt: skip
    finally:
        env.restore()
