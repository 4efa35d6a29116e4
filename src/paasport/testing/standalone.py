"""A real Spark standalone cluster (master + workers) on 127.0.0.1, from the pip pyspark package.

    with StandaloneCluster(workers=2) as cluster:
        ... spark-submit --master cluster.master_url ...

Every process it starts is stopped by PID on exit; logs go to a temp folder shown on failure.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from paasport.java import java_env
from paasport.platforms.selfhosted.spark_submit import spark_home
from paasport.testing.processes import Service, free_port


class ClusterError(RuntimeError):
    pass


class StandaloneCluster(Service):
    def __init__(
        self,
        workers: int = 2,
        cores_per_worker: int = 1,
        memory_per_worker: str = "1g",
        start_timeout_s: float = 90.0,
    ) -> None:
        self.workers = workers
        self.cores_per_worker = cores_per_worker
        self.memory_per_worker = memory_per_worker
        self.start_timeout_s = start_timeout_s
        self.port = free_port()
        self.ui_port = free_port()
        self.logs = Path(tempfile.mkdtemp(prefix="paasport-standalone-"))
        self._procs: list[tuple[subprocess.Popen[bytes], IO[bytes]]] = []

    @property
    def master_url(self) -> str:
        return f"spark://127.0.0.1:{self.port}"

    @property
    def ui_url(self) -> str:
        return f"http://127.0.0.1:{self.ui_port}"

    def _spawn(self, name: str, *args: str) -> None:
        env = {
            **os.environ,
            **java_env(),
            "SPARK_HOME": str(spark_home()),
            "SPARK_LOCAL_IP": "127.0.0.1",
            "SPARK_NO_DAEMONIZE": "1",
            "SPARK_WORKER_DIR": str(self.logs / f"{name}-work"),
        }
        log = (self.logs / f"{name}.log").open("wb")
        cmd = [str(spark_home() / "bin" / "spark-class"), *args]
        proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
        self._procs.append((proc, log))

    def state(self) -> dict[str, Any]:
        with urllib.request.urlopen(f"{self.ui_url}/json/", timeout=5) as resp:
            data: dict[str, Any] = json.load(resp)
            return data

    def alive_workers(self) -> int:
        try:
            workers = self.state().get("workers", [])
        except (urllib.error.URLError, OSError, ValueError):
            return 0
        return sum(1 for w in workers if w.get("state") == "ALIVE")

    def start(self) -> StandaloneCluster:
        master = "org.apache.spark.deploy.master.Master"
        self._spawn("master", master, "--host", "127.0.0.1", "--port", str(self.port),
                    "--webui-port", str(self.ui_port))  # fmt: skip
        for i in range(self.workers):
            self._spawn(
                f"worker-{i}",
                "org.apache.spark.deploy.worker.Worker",
                self.master_url,
                "--host", "127.0.0.1",
                "--cores", str(self.cores_per_worker),
                "--memory", self.memory_per_worker,
                "--webui-port", str(free_port()),
            )  # fmt: skip
        deadline = time.monotonic() + self.start_timeout_s
        while self.alive_workers() < self.workers:
            dead = [p.args for p, _ in self._procs if p.poll() is not None]
            if dead or time.monotonic() > deadline:
                self.stop()
                why = f"exited: {dead}" if dead else "timeout"
                raise ClusterError(f"standalone cluster did not start ({why}); logs in {self.logs}")
            time.sleep(0.5)
        return self

    def stop(self) -> None:
        for proc, _ in reversed(self._procs):
            if proc.poll() is None:
                proc.terminate()
        for proc, log in self._procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
            log.close()
        self._procs.clear()


@contextmanager
def emulate(platform: str) -> Iterator[dict[str, str]]:
    """The registry's emulator of `standalone`: a 2-worker cluster on 127.0.0.1."""
    with StandaloneCluster(workers=2) as cluster:
        yield {"platform": platform, "master": cluster.master_url, "executor_memory": "512m"}
