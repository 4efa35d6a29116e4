"""Faults the emulators can inject, as data: written by the test, read by the emulator."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Faults(BaseModel):
    """What goes wrong in the next runs. Counts are consumed as faults fire."""

    model_config = ConfigDict(extra="forbid")

    #: EMR, Databricks: the next N clusters lose their Spot capacity `spot_loss_after_s` into
    #: the first step
    spot_loss: int = Field(0, ge=0)
    spot_loss_after_s: float = Field(3.0, ge=0)
    #: EMR, Databricks, Dataproc: the next N clusters fail to start with a cloud capacity error
    capacity_errors: int = Field(0, ge=0)
    #: Dataproc: the next N cluster creations are refused at once (not enough CPUS quota)
    quota_errors: int = Field(0, ge=0)
    #: the next N describe/get calls are answered as throttled (ThrottlingException, HTTP 429)
    throttles: int = Field(0, ge=0)
    #: extra seconds every cluster/job spends starting
    slow_start_s: float = Field(0.0, ge=0)
    #: Databricks, Dataproc: the next N submissions are carried out but their answer is lost,
    #: so the client retries the same request
    lost_answers: int = Field(0, ge=0)


class FaultBook:
    """The emulator's side: reloads `faults.json` when it changes and consumes counts."""

    def __init__(self, path: Path, events: Path | None = None) -> None:
        self.path = path
        self.events = events
        self._mtime: int | None = None
        self._faults = Faults()
        self._lock = threading.Lock()
        self.fired: dict[str, int] = {}

    def _reload(self) -> None:
        try:
            mtime = self.path.stat().st_mtime_ns
        except FileNotFoundError:
            return
        if mtime != self._mtime:
            self._mtime = mtime
            self._faults = Faults.model_validate(json.loads(self.path.read_text()))

    def current(self) -> Faults:
        with self._lock:
            self._reload()
            return self._faults.model_copy()

    def take(self, name: str) -> bool:
        """Consume one count of fault `name`; True when it fires."""
        with self._lock:
            self._reload()
            left = getattr(self._faults, name)
            if left <= 0:
                return False
            self._faults = self._faults.model_copy(update={name: left - 1})
            self.fired[name] = self.fired.get(name, 0) + 1
            if self.events is not None:
                event = {"event": "fault", "fault": name, "t": time.time()}
                with self.events.open("a") as out:
                    out.write(json.dumps(event) + "\n")
            return True


def write_faults(path: Path, faults: Faults) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(faults.model_dump_json())
    tmp.replace(path)


class FaultJournal:
    """An emulator's test-facing side of faults and events, both files in its `workdir`."""

    workdir: Path

    def set_faults(self, faults: Faults) -> None:
        write_faults(self.workdir / "faults.json", faults)

    def events(self) -> list[dict[str, Any]]:
        """What the emulator did, in order (runs, clusters, faults fired), one dict each."""
        path = self.workdir / "events.jsonl"
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
