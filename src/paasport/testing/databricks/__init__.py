"""An emulated Databricks workspace: the real databricks-sdk and dagster-databricks clients talk
to it over HTTP on 127.0.0.1, and it runs each submitted task with spark-submit here.

While it runs, the SDK in this process finds the workspace's host, token and a config file of
its own through the DATABRICKS_* variables; every other DATABRICKS_* variable of the user's is
hidden (and ~/.databrickscfg is not read), and its jobs see none of them. The workspace accepts
its own token only and logs every request it gets (`request_logs()`)."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from paasport.testing.databricks.runs import EXISTING_CLUSTER_ID, RunBook
from paasport.testing.databricks.server import Workspace, serve
from paasport.testing.databricks.storage import Storage
from paasport.testing.emulators import EMULATED_POLLING, emulator_of
from paasport.testing.faults import FaultBook, FaultJournal, Faults
from paasport.testing.isolation import RequestLog, no_proxy_for_loopback
from paasport.testing.processes import EnvOverlay, Service

#: the workspace's personal access token; reaches the SDK through DATABRICKS_TOKEN only
TOKEN = "dapi-paasport-emulator"


class DatabricksEmulator(FaultJournal, Service):
    def __init__(self, slots: int = 3, workdir: Path | None = None) -> None:
        self._own_workdir = workdir is None
        self.workdir = workdir or Path(tempfile.mkdtemp(prefix="paasport-databricks-"))
        self.slots = slots
        self._env = EnvOverlay()
        self._server: Any = None
        self.workspace: Workspace | None = None

    @property
    def host(self) -> str:
        assert self._server is not None, "the emulator is not running"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> DatabricksEmulator:
        storage = Storage(self.workdir)
        self.volume = storage.create_volume("main", "default", "paasport")
        faults = FaultBook(self.workdir / "faults.json", self.workdir / "events.jsonl")
        # the host is known once the server listens; the run book gets it right after
        runs = RunBook(storage, faults, self.workdir / "runs", "", slots=self.slots)
        requests = RequestLog(self.requests_log, "Databricks emulator")
        self.workspace = Workspace(storage, runs, faults, TOKEN, requests)
        self._server = serve(self.workspace)
        runs.host = self.host
        # the SDK's whole configuration is the emulator's: host, token, auth type, config file
        config = self.workdir / "databrickscfg"
        config.write_text(f"[DEFAULT]\nhost = {self.host}\ntoken = {TOKEN}\n")
        values = {
            "DATABRICKS_HOST": self.host,
            "DATABRICKS_TOKEN": TOKEN,
            "DATABRICKS_AUTH_TYPE": "pat",
            "DATABRICKS_CONFIG_FILE": str(config),
            **no_proxy_for_loopback(os.environ),
        }
        self._env.apply(values, hide_prefixes=("DATABRICKS_",))
        return self

    @property
    def requests_log(self) -> Path:
        return self.workdir / "requests.jsonl"

    def request_logs(self) -> list[Path]:
        """Every request the workspace received, as JSON lines with headers and bodies."""
        return [self.requests_log]

    def stop(self) -> None:
        if self.workspace is not None:
            for run in list(self.workspace.runs.runs.values()):
                if run.spark is not None:
                    run.spark.kill("the emulator stopped")
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        self._env.restore()
        if self._own_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def profile(self, platform: str) -> dict[str, Any]:
        """A profile (config data) for `platform` that points at this workspace."""
        common: dict[str, Any] = {
            "platform": platform,
            "host": self.host,
            **EMULATED_POLLING,
        }
        if platform == "databricks":
            return {**common, "artifacts_path": "dbfs:/paasport", "node_type_id": "m5d.xlarge",
                    "num_workers": 2}  # fmt: skip
        if platform == "databricks_serverless":
            return {**common, "artifacts_path": f"{self.volume}/artifacts",
                    "pipes_volume": f"{self.volume}/pipes"}  # fmt: skip
        raise KeyError(f"the Databricks emulator does not emulate platform '{platform}'")

    def submitted(self) -> list[dict[str, Any]]:
        """Every runs/submit request body the workspace carried out (one per run)."""
        assert self.workspace is not None
        return [run.request for run in self.workspace.runs.runs.values()]


#: the registry's emulator of both Databricks platforms
emulate = emulator_of(DatabricksEmulator)

__all__ = ["EXISTING_CLUSTER_ID", "TOKEN", "DatabricksEmulator", "Faults", "emulate"]
