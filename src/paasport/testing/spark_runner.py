"""Run a submitted Spark job for real: fetch its remote artifacts, then spark-submit it here.

The emulated services hand over the spark-submit arguments the real service would run (EMR step
args, EMR Serverless / EKS `sparkSubmitParameters`, a Glue script and its arguments, a
Databricks or Dataproc job). The cluster manager becomes `local[2]` and the deploy mode client;
everything else is kept. Where artifacts live (S3, DBFS, GCS) is the service's business: it
passes a `Fetcher` that copies one remote file to a local path.
"""

from __future__ import annotations

import contextlib
import gzip
import os
import shlex
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from paasport.platforms.selfhosted.spark_submit import LOG4J_CONFIG, spark_home

#: spark-submit options that take no value
_FLAGS = {"--verbose", "--supervise", "-v"}
#: options whose values are (comma-separated) files the driver must have locally
_FILE_OPTIONS = {"--py-files", "--files", "--jars", "--archives"}


def split_s3(uri: str) -> tuple[str, str]:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return bucket, key


#: copies the remote file at a URI to a local path; returns False for URIs it does not handle
Fetcher = Callable[[str, Path], bool]


def s3_fetcher(s3: Any) -> Fetcher:
    """A fetcher for s3:// URIs through a boto3 S3 client."""

    def fetch(uri: str, local: Path) -> bool:
        if not uri.startswith("s3://"):
            return False
        bucket, key = split_s3(uri)
        s3.download_file(bucket, key, str(local))
        return True

    return fetch


@dataclass
class JobOutcome:
    exit_code: int | None = None
    started: float = 0.0
    ended: float = 0.0
    killed: str | None = None  # why it was killed, if it was
    stdout: str = ""
    stderr: str = ""

    @property
    def duration_s(self) -> float:
        return max(0.0, (self.ended or time.time()) - self.started)


@dataclass
class SparkRun:
    """One job: a thread that downloads, runs and waits; `kill` stops it by PID."""

    name: str
    submit_args: list[str]
    env: dict[str, str]
    workdir: Path
    fetch: Fetcher  # how the service's artifacts reach this machine
    outcome: JobOutcome = field(default_factory=JobOutcome)
    _proc: subprocess.Popen[bytes] | None = None
    _thread: threading.Thread | None = None
    _kill_reason: str | None = None
    _fetched: int = 0

    def start(self) -> SparkRun:
        self.outcome.started = time.time()
        self._thread = threading.Thread(target=self._run, name=f"job-{self.name}", daemon=True)
        self._thread.start()
        return self

    @property
    def done(self) -> bool:
        return self._thread is not None and not self._thread.is_alive()

    def kill(self, reason: str) -> None:
        self._kill_reason = reason
        proc = self._proc
        if proc is not None and proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)

    def wait(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def _localize(self, value: str) -> str:
        """Each remote file of a comma-separated list, copied here (local paths stay)."""
        parts = []
        for part in value.split(","):
            # a folder per file keeps the file name, which spark-submit and pip look at
            self._fetched += 1
            name = part.rstrip("/").rsplit("/", 1)[-1]
            local = self.workdir / "artifacts" / str(self._fetched) / name
            local.parent.mkdir(parents=True, exist_ok=True)
            parts.append(str(local) if self.fetch(part, local) else part)
        return ",".join(parts)

    def command(self) -> list[str]:
        """The local spark-submit command line for the submitted arguments."""
        args = list(self.submit_args)
        if args and args[0].endswith("spark-submit"):
            args = args[1:]
        out = [
            str(spark_home() / "bin" / "spark-submit"),
            "--master",
            "local[2]",
            "--driver-java-options",
            f"-Dlog4j2.configurationFile=file:{LOG4J_CONFIG}",
        ]
        i = 0
        while i < len(args):
            arg = args[i]
            if not arg.startswith("-"):
                # the application and its arguments
                out.append(self._localize(arg))
                out.extend(args[i + 1 :])
                break
            if arg in _FLAGS:
                out.append(arg)
                i += 1
                continue
            value = args[i + 1] if i + 1 < len(args) else ""
            if arg in ("--master", "--deploy-mode"):
                pass  # the cluster manager is this machine
            elif arg in _FILE_OPTIONS:
                out += [arg, self._localize(value)]
            else:
                out += [arg, value]
            i += 2
        return out

    def _run(self) -> None:
        out_path = self.workdir / "stdout"
        err_path = self.workdir / "stderr"
        try:
            self.workdir.mkdir(parents=True, exist_ok=True)
            cmd = self.command()
            (self.workdir / "command").write_text(shlex.join(cmd))
            if self._kill_reason:
                raise RuntimeError(self._kill_reason)
            with out_path.open("wb") as out, err_path.open("wb") as err:
                self._proc = subprocess.Popen(
                    cmd,
                    env=self.env,
                    cwd=self.workdir,
                    stdout=out,
                    stderr=err,
                    start_new_session=True,
                )
                if self._kill_reason:  # killed while starting
                    self.kill(self._kill_reason)
                self.outcome.exit_code = self._proc.wait()
        except Exception as exc:  # a broken submission fails the job, like on the service
            err_path.write_text(f"{type(exc).__name__}: {exc}\n")
            self.outcome.exit_code = 1
        self.outcome.ended = time.time()
        self.outcome.killed = self._kill_reason
        self.outcome.stdout = _read(out_path)
        self.outcome.stderr = _read(err_path)


def _read(path: Path) -> str:
    try:
        return path.read_text(errors="replace")
    except OSError:
        return ""


def job_env(base: Mapping[str, str], extra: Mapping[str, str]) -> dict[str, str]:
    """The environment a job's driver gets: the node's, plus what the submission set."""
    env = {
        **base,
        "SPARK_HOME": str(spark_home()),
        "PYSPARK_PYTHON": sys.executable,
        "PYSPARK_DRIVER_PYTHON": sys.executable,
        "PYTHONUNBUFFERED": "1",
        "SPARK_LOCAL_IP": "127.0.0.1",
    }
    env.update(extra)
    return env


def upload_logs(s3: Any, uri: str | None, outcome: JobOutcome, names: Sequence[str]) -> None:
    """Put stdout.gz/stderr.gz under `uri` the way the services do (best effort)."""
    if not uri or not uri.startswith("s3://"):
        return
    bucket, prefix = split_s3(uri.rstrip("/") + "/")
    for name, text in zip(names, (outcome.stdout, outcome.stderr), strict=True):
        # logs are a courtesy: a missing bucket must not fail the job
        with contextlib.suppress(Exception):
            s3.put_object(Bucket=bucket, Key=f"{prefix}{name}", Body=gzip.compress(text.encode()))


def tail(text: str, lines: int = 20) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])
