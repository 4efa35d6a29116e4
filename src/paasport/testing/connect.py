"""A real Spark Connect server on 127.0.0.1 (`sc://127.0.0.1:PORT`), from the pip pyspark package.

    with SparkConnectServer() as server:
        ... SPARK_REMOTE=server.url ...

The server runs `local[2]`; its Python workers use this interpreter and see the project's
code, so UDFs import what the job imports. Stopped by PID (its process group) on exit.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from paasport.java import java_env
from paasport.platforms.selfhosted.spark_submit import LOG4J_CONFIG, spark_home
from paasport.testing.processes import ServerProcess, Service, free_port, port_open

SERVER_CLASS = "org.apache.spark.sql.connect.service.SparkConnectServer"


class SparkConnectServer(Service):
    def __init__(
        self, cores: int = 2, driver_memory: str = "1g", start_timeout_s: float = 90.0
    ) -> None:
        self.cores = cores
        self.driver_memory = driver_memory
        self.start_timeout_s = start_timeout_s
        self.port = free_port()
        self.ui_port = free_port()
        self.logs = Path(tempfile.mkdtemp(prefix="paasport-connect-"))
        self._server: ServerProcess | None = None

    @property
    def url(self) -> str:
        return f"sc://127.0.0.1:{self.port}"

    def start(self) -> SparkConnectServer:
        env = {
            **os.environ,
            **java_env(),
            "SPARK_HOME": str(spark_home()),
            "SPARK_LOCAL_IP": "127.0.0.1",
            "PYSPARK_PYTHON": sys.executable,
            # Python UDFs run in workers of this server: they must import the project's code
            "PYTHONPATH": os.pathsep.join(p for p in sys.path if p),
        }
        cmd = [
            str(spark_home() / "bin" / "spark-submit"),
            "--class", SERVER_CLASS,
            "--master", f"local[{self.cores}]",
            "--driver-memory", self.driver_memory,
            "--driver-java-options", f"-Dlog4j2.configurationFile=file:{LOG4J_CONFIG}",
            "--conf", "spark.connect.grpc.binding.address=127.0.0.1",
            "--conf", f"spark.connect.grpc.binding.port={self.port}",
            "--conf", "spark.driver.host=127.0.0.1",
            "--conf", "spark.driver.bindAddress=127.0.0.1",
            "--conf", f"spark.ui.port={self.ui_port}",
            "--conf", "spark.sql.shuffle.partitions=4",
            "spark-internal",
        ]  # fmt: skip
        self._server = ServerProcess("Spark Connect server", cmd, self.logs / "server.log", env)
        self._server.wait_ready(lambda: port_open(self.port), self.start_timeout_s)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None


@contextmanager
def emulate(platform: str) -> Iterator[dict[str, str]]:
    """The registry's emulator of `connect`: a Spark Connect server on 127.0.0.1."""
    with SparkConnectServer() as server:
        yield {"platform": platform, "url": server.url}
