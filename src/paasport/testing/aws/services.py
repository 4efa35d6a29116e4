"""The life of a job on each emulated AWS service, driven on top of moto's records.

moto keeps the control-plane records (clusters, steps, job runs) but never runs anything. Each
driver here watches those records, moves them through the states the real service reports,
runs the submitted job with spark-submit, and writes back timings, billed usage and logs.
"""

from __future__ import annotations

import json
import math
import re
import shlex
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from paasport.testing.faults import FaultBook
from paasport.testing.spark_runner import SparkRun, job_env, s3_fetcher, tail, upload_logs

ACCOUNT = "123456789012"
TERMINAL_EMR = {"TERMINATED", "TERMINATED_WITH_ERRORS"}
SPOT_LOSS = (
    "Spot instance interruption: EC2 reclaimed the Spot capacity of instance fleet TASK "
    "(SPOT_INSTANCE_TERMINATION); the step lost its executors"
)
CAPACITY = (
    "EC2 returned InsufficientInstanceCapacity for the requested instance types "
    "(capacity error at start)"
)
#: EMR's normalization factors by instance size (the billing unit of NormalizedInstanceHours)
_NORMALIZATION = {"large": 4, "xlarge": 8, "2xlarge": 16, "4xlarge": 32, "8xlarge": 64}


def now_dt() -> datetime:
    # naive UTC, as moto keeps its timestamps
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass
class Node:
    """What every driver shares: S3, the work folder, faults, capacity, the event log."""

    s3: Any
    workdir: Path
    faults: FaultBook
    base_env: dict[str, str]
    #: at most this many jobs run at once; the rest wait like jobs queued for capacity
    slots: threading.Semaphore
    events: Path
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def log_event(self, **event: Any) -> None:
        event["t"] = time.time()
        with self._lock, self.events.open("a") as out:
            out.write(json.dumps(event, default=str) + "\n")

    def start_delay(self) -> float:
        return 0.5 + self.faults.current().slow_start_s


@dataclass
class Tracked:
    """Our bookkeeping for one record moto holds."""

    first_seen: float
    run: SparkRun | None = None
    slot: bool = False
    started: set[str] = field(default_factory=set)
    done: bool = False


class Driver:
    #: the paasport platform this service runs
    service: str = ""
    #: "module:name" of moto's per-account, per-region backends of the service
    backends: str = ""

    @staticmethod
    def profile_fields(emulator: Any) -> dict[str, Any]:
        """What a profile of this platform needs, besides region and bucket, to point at
        `emulator` (an `AwsEmulator`: its application, virtual cluster, role)."""
        return {}

    def __init__(self, node: Node) -> None:
        self.node = node
        self.tracked: dict[str, Tracked] = {}

    def track(self, key: str) -> Tracked:
        if key not in self.tracked:
            self.tracked[key] = Tracked(first_seen=time.time())
        return self.tracked[key]

    def launch(self, key: str, t: Tracked, args: list[str], env: dict[str, str]) -> bool:
        """Start the job when a slot is free; False while it must wait."""
        if not t.slot:
            if not self.node.slots.acquire(blocking=False):
                return False
            t.slot = True
        workdir = self.node.workdir / "runs" / self.service / key.replace(":", "_")
        t.run = SparkRun(
            key, args, job_env(self.node.base_env, env), workdir, s3_fetcher(self.node.s3)
        )
        t.run.start()
        self.node.log_event(event="job_started", service=self.service, key=key)
        return True

    def release(self, t: Tracked) -> None:
        if t.slot:
            t.slot = False
            self.node.slots.release()

    def cancel(self, key: str, t: Tracked, reason: str) -> None:
        if t.run is not None and not t.run.done:
            t.run.kill(reason)
            t.run.wait(20)
            self.node.log_event(event="job_killed", service=self.service, key=key, reason=reason)
        self.release(t)
        t.done = True

    def running(self) -> Iterator[tuple[str, Tracked]]:
        for key, t in self.tracked.items():
            if t.run is not None and not t.run.done:
                yield key, t

    def tick(self) -> None:
        raise NotImplementedError


def failure_text(run: SparkRun) -> str:
    """Why a job failed, as the services put it: the exception the driver died of, if any."""
    o = run.outcome
    if o.killed:
        return o.killed
    # spark-submit merges the Python driver's stderr into its stdout
    output = f"{o.stdout}\n{o.stderr}"
    errors = re.findall(r"^\w+(?:Error|Exception)\b.*$", output, flags=re.MULTILINE)
    why = errors[-1] if errors else tail(o.stderr, 8)
    return f"spark-submit exited with code {o.exit_code}: {why}"


class EmrDriver(Driver):
    """EMR on EC2: cluster STARTING -> RUNNING -> steps one by one -> TERMINATED."""

    service = "emr"
    backends = "moto.emr.models:emr_backends"

    @staticmethod
    def profile_fields(emulator: Any) -> dict[str, Any]:
        return {"log_uri": f"s3://{emulator.bucket}/emr-logs/", "retry_backoff_s": 1.0}

    def __init__(self, node: Node, backend: Any) -> None:
        super().__init__(node)
        self.backend = backend

    def tick(self) -> None:
        for cluster in list(self.backend.clusters.values()):
            t = self.track(cluster.id)
            if t.done:
                continue
            self._drive(cluster, t)

    def _terminate(self, cluster: Any, t: Tracked, state: str, reason: str) -> None:
        cluster.state = state
        cluster.last_state_change_reason = reason
        cluster.end_datetime = now_dt()
        for step in cluster.steps:
            if step.state in ("PENDING", "RUNNING"):
                step.state = "CANCELLED"
        cluster.normalized_instance_hours = normalized_hours(cluster)
        self.release(t)
        t.done = True
        self.node.log_event(event="cluster_ended", id=cluster.id, state=state, reason=reason)

    def _drive(self, cluster: Any, t: Tracked) -> None:
        if cluster.state in TERMINAL_EMR or cluster.state == "TERMINATING":
            # terminated through the API while we were busy: stop the step now
            self.cancel(cluster.id, t, "cluster terminated by request")
            for step in cluster.steps:
                if step.state in ("PENDING", "RUNNING"):
                    step.state = "CANCELLED"
                    step.end_date_time = now_dt()
            cluster.state = "TERMINATED"
            cluster.end_datetime = cluster.end_datetime or now_dt()
            cluster.normalized_instance_hours = normalized_hours(cluster)
            self.node.log_event(event="cluster_ended", id=cluster.id, state="TERMINATED")
            return
        if cluster.state == "STARTING":
            if time.time() - t.first_seen < self.node.start_delay():
                return
            if self.node.faults.take("capacity_errors"):
                self._terminate(cluster, t, "TERMINATED_WITH_ERRORS", CAPACITY)
                return
            cluster.state = "RUNNING" if cluster.steps else "WAITING"
            cluster.ready_datetime = now_dt()
        current = next(
            (s for s in cluster.steps if s.id in t.started and s.state == "RUNNING"), None
        )
        if current is not None:
            self._check_step(cluster, t, current)
            return
        pending = [
            s for s in cluster.steps if s.id not in t.started and s.state in ("PENDING", "RUNNING")
        ]
        if pending:
            step = pending[0]
            if self.launch(cluster.id, t, [str(a) for a in plain(step.args)], cluster_env(cluster)):
                t.started.add(step.id)
                step.state = "RUNNING"
                step.start_date_time = now_dt()
                cluster.state = "RUNNING"
                t.first_seen = time.time()  # spot loss counts from the step's start
                if self.node.faults.take("spot_loss"):
                    cluster._paasport_spot_loss_at = (
                        time.time() + self.node.faults.current().spot_loss_after_s
                    )
            return
        if cluster.state == "RUNNING":
            cluster.state = "WAITING"
        if not cluster.keep_job_flow_alive_when_no_steps:
            self._terminate(cluster, t, "TERMINATED", "Steps completed")

    def _check_step(self, cluster: Any, t: Tracked, step: Any) -> None:
        assert t.run is not None
        loss_at = getattr(cluster, "_paasport_spot_loss_at", None)
        if loss_at is not None and time.time() >= loss_at and not t.run.done:
            t.run.kill(SPOT_LOSS)
            t.run.wait(20)
            cluster._paasport_spot_loss_at = None
        if not t.run.done:
            return
        outcome = t.run.outcome
        step.end_date_time = now_dt()
        log_uri = (
            cluster.log_uri.rstrip("/") + f"/{cluster.id}/steps/{step.id}/"
            if cluster.log_uri
            else None
        )
        upload_logs(self.node.s3, log_uri, outcome, ["stdout.gz", "stderr.gz"])
        self.release(t)
        if outcome.exit_code == 0 and not outcome.killed:
            step.state = "COMPLETED"
            return
        step.state = "FAILED"
        step.last_state_change_reason = failure_text(t.run)
        if outcome.killed == SPOT_LOSS:
            self._terminate(cluster, t, "TERMINATED_WITH_ERRORS", SPOT_LOSS)
        elif step.action_on_failure in ("TERMINATE_CLUSTER", "TERMINATE_JOB_FLOW"):
            self._terminate(cluster, t, "TERMINATED_WITH_ERRORS", f"Step {step.id} failed")
        elif step.action_on_failure == "CANCEL_AND_WAIT":
            for other in cluster.steps:
                if other.state == "PENDING":
                    other.state = "CANCELLED"


def plain(value: Any) -> Any:
    """moto's parsed requests (case-folding mappings) -> plain dicts with the original keys."""
    store = getattr(value, "_store", None)
    if store is not None:  # moto's XFormedDict keeps (original key, value) pairs
        return {k: plain(v) for k, v in store.values()}
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def cluster_env(cluster: Any) -> dict[str, str]:
    """The env vars a step's driver sees: `export` properties of spark-env (as EMR does)."""
    env: dict[str, str] = {}
    for conf in plain(cluster.configurations or []):
        if conf.get("Classification") == "spark-env":
            for inner in conf.get("Configurations", []):
                if inner.get("Classification") == "export":
                    env.update({k: str(v) for k, v in inner.get("Properties", {}).items()})
    return env


def normalized_hours(cluster: Any) -> int:
    """NormalizedInstanceHours as EMR bills them: each instance's hours rounded up x its factor."""
    start = cluster.ready_datetime or cluster.start_datetime
    end = cluster.end_datetime or now_dt()
    if start is None:
        return 0
    seconds = (end.replace(tzinfo=None) - start.replace(tzinfo=None)).total_seconds()
    hours = math.ceil(max(1.0, seconds) / 3600)
    total = 0
    for itype, count in getattr(cluster, "_paasport_instances", {}).items():
        size = itype.split(".")[-1]
        total += _NORMALIZATION.get(size, 8) * count * hours
    return total


def submit_params(parameters: str | None) -> tuple[list[str], dict[str, str]]:
    """sparkSubmitParameters -> (arguments, driver env from `...driverEnv.X` settings)."""
    args = shlex.split(parameters or "")
    env: dict[str, str] = {}
    kept: list[str] = []
    i = 0
    while i < len(args):
        if args[i] == "--conf" and i + 1 < len(args):
            key, _, value = args[i + 1].partition("=")
            for prefix in ("spark.emr-serverless.driverEnv.", "spark.kubernetes.driverEnv."):
                if key.startswith(prefix):
                    env[key.removeprefix(prefix)] = value
                    break
            else:
                kept += ["--conf", args[i + 1]]
            i += 2
        else:
            kept.append(args[i])
            i += 1
    return kept, env
