"""One-time runs (Jobs API 2.2 runs/submit) of the emulated workspace, really executed.

A run goes PENDING (the cluster starts) -> RUNNING (spark-submit of the task's Python file)
-> TERMINATING -> TERMINATED with SUCCESS, FAILED or CANCELED, or INTERNAL_ERROR when its
cluster cannot start. Durations, the cluster and the task are reported the way Databricks does.
"""

from __future__ import annotations

import itertools
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from paasport.testing.databricks.storage import Storage
from paasport.testing.faults import FaultBook
from paasport.testing.spark_runner import SparkRun, job_env

EXISTING_CLUSTER_ID = "0101-000000-emulated"
#: what a run's driver takes from this process's environment: how its JVM starts, nothing else
_INHERITED = ("SPARK_SUBMIT_OPTS", "JAVA_HOME")
CAPACITY = (
    "AWS_INSUFFICIENT_INSTANCE_CAPACITY_FAILURE (CLOUD_FAILURE): the cloud provider has "
    "insufficient instance capacity for the requested node type"
)
SPOT_LOSS = (
    "Cluster lost its driver: SPOT_INSTANCE_TERMINATION (the cloud provider reclaimed the "
    "spot instance)"
)


@dataclass
class Run:
    run_id: int
    task_run_id: int
    request: dict[str, Any]
    host: str
    submitted: float = field(default_factory=time.time)
    life_cycle: str = "PENDING"
    result: str | None = None
    message: str = ""
    started: float | None = None  # the task's Spark work began
    executed: float | None = None  # ...and ended
    ended: float | None = None
    cluster_id: str = ""
    spark: SparkRun | None = None
    cancelled: bool = False

    @property
    def task(self) -> dict[str, Any]:
        return dict(self.request["tasks"][0])

    def as_json(self) -> dict[str, Any]:
        def ms(a: float | None, b: float | None) -> int:
            return int(((b or time.time()) - a) * 1000) if a else 0

        state = {"life_cycle_state": self.life_cycle, "state_message": self.message,
                 "user_cancelled_or_timedout": self.cancelled}  # fmt: skip
        if self.result:
            state["result_state"] = self.result
        task = {
            **self.task,
            "run_id": self.task_run_id,
            "state": state,
            "start_time": int(self.submitted * 1000),
            "setup_duration": ms(self.submitted, self.started or self.ended),
            "execution_duration": ms(self.started, self.executed) if self.started else 0,
            "cleanup_duration": ms(self.executed, self.ended) if self.executed else 0,
        }
        if self.cluster_id:
            task["cluster_instance"] = {"cluster_id": self.cluster_id, "spark_context_id": "1"}
        answer: dict[str, Any] = {
            "job_id": self.run_id,
            "run_id": self.run_id,
            "run_name": self.request.get("run_name", "Untitled"),
            "run_type": "SUBMIT_RUN",
            "state": state,
            "tasks": [task],
            "start_time": int(self.submitted * 1000),
            "queue_duration": 0,
            "run_duration": ms(self.submitted, self.ended),
            "run_page_url": f"{self.host}/?o=0#job/{self.run_id}/run/{self.run_id}",
        }
        if self.ended:
            answer["end_time"] = int(self.ended * 1000)
        return answer


class RunBook:
    """All runs of the workspace; each runs on its own thread, at most `slots` at once."""

    def __init__(
        self, storage: Storage, faults: FaultBook, workdir: Path, host: str, slots: int = 3
    ) -> None:
        self.storage, self.faults, self.workdir, self.host = storage, faults, workdir, host
        self.runs: dict[int, Run] = {}
        self.by_token: dict[str, int] = {}
        self._ids = itertools.count(1001)
        self._lock = threading.Lock()
        self._slots = threading.Semaphore(slots)

    def submit(self, request: dict[str, Any]) -> int:
        token = request.get("idempotency_token")
        with self._lock:
            if token and token in self.by_token:  # the same submission again: the same run
                return self.by_token[token]
            run = Run(next(self._ids), next(self._ids), request, self.host)
            self.runs[run.run_id] = run
            if token:
                self.by_token[token] = run.run_id
        threading.Thread(target=self._life, args=(run,), daemon=True).start()
        return run.run_id

    def get(self, run_id: int) -> Run:
        with self._lock:
            for run in self.runs.values():
                if run_id in (run.run_id, run.task_run_id):
                    return run
        raise KeyError(run_id)

    def cancel(self, run_id: int) -> None:
        run = self.get(run_id)
        run.cancelled = True
        if run.spark is not None:
            run.spark.kill("cancelled")

    def output(self, run_id: int) -> dict[str, Any]:
        run = self.get(run_id)
        answer: dict[str, Any] = {"metadata": run.as_json()}
        if run.spark is not None and run.spark.done:
            answer["logs"] = run.spark.outcome.stdout[-5000:]
            if run.result == "FAILED":
                answer["error"] = _last_error(run.spark.outcome.stderr) or run.message
                answer["error_trace"] = run.spark.outcome.stderr[-5000:]
        return answer

    # --- the life of a run ----------------------------------------------------------------------
    def _life(self, run: Run) -> None:
        task = run.task
        cluster = task.get("new_cluster")
        if cluster is not None:
            run.cluster_id = f"1122-{run.run_id:06d}-cluster{run.run_id}"
        else:  # an existing cluster, or serverless compute (no cluster of the user's)
            run.cluster_id = task.get("existing_cluster_id", "")
        with self._slots:
            if self._wait(0.5 + self.faults.current().slow_start_s, run):
                return self._end(run, "CANCELED", "Run cancelled while its cluster started.")
            if cluster is not None and self.faults.take("capacity_errors"):
                return self._end(
                    run, None, f"Cluster {run.cluster_id} terminated. Reason: {CAPACITY}"
                )
            # a long run in seconds of test time: it began (and was submitted) that much earlier
            extra = self.faults.current().run_extra_s
            run.started = time.time() - extra
            run.submitted -= extra
            run.life_cycle = "RUNNING"
            run.spark = SparkRun(f"run-{run.run_id}", self._submit_args(run.request),
                                 self._env(run, cluster), self.workdir / f"run-{run.run_id}",
                                 self._fetch).start()  # fmt: skip
            spot = cluster is not None and self.faults.take("spot_loss")
            limit = time.time() + self.faults.current().spot_loss_after_s
            while not run.spark.done:
                if spot and time.time() > limit:
                    run.spark.kill(SPOT_LOSS)
                run.spark.wait(0.2)
        run.executed = time.time()
        run.life_cycle = "TERMINATING"
        self._deliver_logs(run, cluster)
        outcome = run.spark.outcome
        if run.cancelled:
            return self._end(run, "CANCELED", "Run cancelled by the user.")
        if outcome.killed == SPOT_LOSS:
            return self._end(run, "FAILED", SPOT_LOSS)
        if outcome.exit_code == 0:
            return self._end(run, "SUCCESS", "")
        why = _last_error(outcome.stderr) or f"exit code {outcome.exit_code}"
        return self._end(run, "FAILED", f"Task {task['task_key']} failed with message: {why}")

    def _wait(self, seconds: float, run: Run) -> bool:
        """Sleep while the cluster starts; True if the run was cancelled meanwhile."""
        end = time.time() + seconds
        while time.time() < end:
            if run.cancelled:
                return True
            time.sleep(0.1)
        return run.cancelled

    def _end(self, run: Run, result: str | None, message: str) -> None:
        run.message = message
        run.result = result
        run.ended = time.time()
        run.life_cycle = "INTERNAL_ERROR" if result is None else "TERMINATED"

    def _submit_args(self, request: dict[str, Any]) -> list[str]:
        task = request["tasks"][0]
        conf = (task.get("new_cluster") or {}).get("spark_conf") or {}
        args: list[str] = []
        for key, value in sorted(conf.items()):
            args += ["--conf", f"{key}={value}"]
        wheels = [lib["whl"] for lib in task.get("libraries", []) if "whl" in lib]
        env_key = task.get("environment_key")
        for env in request.get("environments", []):
            if env.get("environment_key") == env_key:
                deps = env.get("spec", {}).get("dependencies", [])
                wheels += [d for d in deps if d.endswith(".whl")]
        if wheels:
            args += ["--py-files", ",".join(wheels)]
        python = task["spark_python_task"]
        return [*args, python["python_file"], *python.get("parameters", [])]

    def _env(self, run: Run, cluster: dict[str, Any] | None) -> dict[str, str]:
        extra = {
            **((cluster or {}).get("spark_env_vars") or {}),
            "PAASPORT_DBFS_MOUNT": str(self.storage.dbfs_root),
            "PAASPORT_VOLUMES_MOUNT": str(self.storage.volumes_root),
            "DB_CLUSTER_ID": run.cluster_id,
            "DATABRICKS_RUNTIME_VERSION": "16.4",
        }
        # a cluster's environment: none of this process's, but the JVM options every test
        # launch starts with, and a home of its own (no ~/.databrickscfg, no cloud variables)
        home = self.workdir / f"run-{run.run_id}" / "home"
        home.mkdir(parents=True, exist_ok=True)
        base = {k: os.environ[k] for k in _INHERITED if k in os.environ}
        return job_env({**base, "HOME": str(home)}, extra)

    def _fetch(self, uri: str, local: Path) -> bool:
        source = self.storage.local(uri)
        if source is None:
            return False
        if not source.is_file():
            raise FileNotFoundError(f"{uri} does not exist in the workspace")
        local.write_bytes(source.read_bytes())
        return True

    def _deliver_logs(self, run: Run, cluster: dict[str, Any] | None) -> None:
        """Driver stdout/stderr to <cluster_log_conf>/<cluster id>/driver/, as Databricks does."""
        destination = ((cluster or {}).get("cluster_log_conf") or {}).get("dbfs", {})
        if not destination or run.spark is None:
            return
        folder = f"{destination['destination'].rstrip('/')}/{run.cluster_id}/driver"
        for name in ("stdout", "stderr"):
            text = getattr(run.spark.outcome, name)
            self.storage.dbfs_put(f"{folder}/{name}", text.encode(), overwrite=True)


def _last_error(stderr: str) -> str:
    """The exception line a Python driver ended with."""
    for line in reversed(stderr.strip().splitlines()):
        if "Error" in line or "Exception" in line:
            return line.strip()
    return ""
