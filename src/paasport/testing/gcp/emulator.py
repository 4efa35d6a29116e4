"""`GcpEmulator`: an offline GCP project on 127.0.0.1 whose Dataproc jobs really run.

    with GcpEmulator() as gcp:
        profile = gcp.profile()                       # on the existing emulated cluster
        profile = gcp.profile(per_run_cluster=True)   # a cluster created per run
        gcp.set_faults(Faults(throttles=2))

It starts a GCS emulator (artifacts, Pipes context and messages, driver output) and a Dataproc
REST API whose PySpark jobs run with spark-submit on this machine. While it runs, the GCS
client in this process reaches it through STORAGE_EMULATOR_HOST; the Dataproc client through
the profile's `api_endpoint` (plain http on 127.0.0.1: anonymous credentials). The user's
GOOGLE_* / CLOUDSDK_* / GCE_* variables are hidden meanwhile and gcloud's folder is one of the
emulator's (no Application Default Credentials of the user's are found); the servers and jobs
it starts see none of them. On exit the previous environment comes back and every process is
stopped. Each server logs the requests it gets (`request_logs()`).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from paasport.java import java_env
from paasport.testing.emulators import EMULATED_POLLING
from paasport.testing.faults import FaultBook, FaultJournal
from paasport.testing.gcp.storage import GcsEmulator, gcs_call_fault
from paasport.testing.isolation import isolated_env, no_proxy_for_loopback
from paasport.testing.processes import EnvOverlay, ServerProcess, Service, free_port, port_open

PROJECT = "paasport-emulated"
REGION = "us-central1"
BUCKET = "paasport-emulated"
CLUSTER = "paasport-emulated"
#: variables that could point the Google clients at a real project; hidden while it runs
_MASKED_PREFIXES = ("GOOGLE_", "CLOUDSDK_", "GCLOUD_", "GCE_")


class GcpEmulator(FaultJournal, Service):
    def __init__(self, slots: int = 3, workdir: Path | None = None) -> None:
        self.workdir = workdir or Path(tempfile.mkdtemp(prefix="paasport-gcp-"))
        self.slots = slots
        self.port = free_port()
        self.gcs = GcsEmulator(self.workdir / "gcs")
        # GCS's share of the faults: its own book on the same files (it serves storage only)
        self.gcs.call_fault = gcs_call_fault(
            FaultBook(self.workdir / "faults.json", self.workdir / "events.jsonl")
        )
        self._server: ServerProcess | None = None
        self._env = EnvOverlay()

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        """What a process needs to use the emulated project with the standard GCP clients."""
        return {
            "STORAGE_EMULATOR_HOST": self.gcs.endpoint_url,
            "GOOGLE_CLOUD_PROJECT": PROJECT,
            "CLOUDSDK_CORE_PROJECT": PROJECT,
            # gcloud's folder (and so its default credentials) is the emulator's, empty
            "CLOUDSDK_CONFIG": str(self.workdir / "gcloud"),
            # no look-ups of a VM's metadata server for credentials
            "NO_GCE_CHECK": "true",
        }

    def request_logs(self) -> list[Path]:
        """Every request the emulated project received (Dataproc's API and GCS), as JSON
        lines with headers and bodies."""
        return [self.workdir / "requests.jsonl", self.gcs.requests_log]

    def storage(self) -> Any:
        """A GCS client on the emulator: anonymous, its endpoint given explicitly."""
        from google.auth.credentials import AnonymousCredentials
        from google.cloud import storage

        return storage.Client(
            project=PROJECT,
            credentials=AnonymousCredentials(),
            client_options={"api_endpoint": self.gcs.endpoint_url},
        )

    def jobs(self) -> Any:
        """A real google-cloud-dataproc JobControllerClient on the emulator."""
        from google.auth.credentials import AnonymousCredentials
        from google.cloud import dataproc_v1 as dp

        return dp.JobControllerClient(
            transport="rest",
            credentials=AnonymousCredentials(),
            client_options={"api_endpoint": self.endpoint_url},
        )

    def start(self) -> GcpEmulator:
        try:
            (self.workdir / "gcloud").mkdir(parents=True, exist_ok=True)
            values = {**self.env(), **no_proxy_for_loopback(os.environ)}
            self._env.apply(values, hide_prefixes=_MASKED_PREFIXES)
            self.gcs.start()
            self.storage().create_bucket(BUCKET)
            server_env = isolated_env(
                {**self.env(), **java_env(), "SPARK_LOCAL_IP": "127.0.0.1"}, self.workdir / "home"
            )
            self._server = ServerProcess(
                "GCP emulator",
                [sys.executable, "-m", "paasport.testing.gcp.server", "--port", str(self.port),
                 "--workdir", str(self.workdir), "--slots", str(self.slots),
                 "--project", PROJECT, "--region", REGION, "--bucket", BUCKET,
                 "--cluster", CLUSTER],
                self.workdir / "server.log",
                env=server_env,
            )  # fmt: skip
            self._server.wait_ready(
                lambda: (self.workdir / "ready").exists() and port_open(self.port), 60
            )
        except BaseException:
            self.stop()
            raise
        return self

    def profile(self, per_run_cluster: bool = False) -> dict[str, Any]:
        """A `dataproc` profile (config data) that points at this emulator."""
        out: dict[str, Any] = {
            "platform": "dataproc",
            "project": PROJECT,
            "region": REGION,
            "bucket": BUCKET,
            "api_endpoint": self.endpoint_url,
            **EMULATED_POLLING,
            "api_retry_s": 30.0,
        }
        if per_run_cluster:
            return {**out, "retry_backoff_s": 1.0, "worker_count": 2,
                    "secondary_worker_count": 2}  # fmt: skip
        return {**out, "cluster_name": CLUSTER}

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None
        self.gcs.stop()
        self._env.restore()
