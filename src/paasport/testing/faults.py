"""Faults the emulators can inject, as data: written by the test, read by the emulator."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

#: the kinds of API call a burst of faults can hit: submit/create, get/describe, cancel (and
#: stop, terminate, delete), list, and the storage calls for artifacts and Pipes messages
CallKind = Literal["submit", "get", "cancel", "list", "storage"]
CALL_KINDS: tuple[CallKind, ...] = get_args(CallKind)
#: what a failing call is answered with: throttled (HTTP 429 or the service's throttling
#: error) or a server error (HTTP 500/503 in the service's shape)
CallFault = Literal["call_throttles", "server_errors"]


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
    #: Databricks, Dataproc, EMR Serverless: the next N submissions are carried out but their
    #: answer is lost (or is an HTTP 500/503), so the client retries the same request
    lost_answers: int = Field(0, ge=0)
    #: Databricks, EMR Serverless, Glue: every run reports that it ran this many seconds longer
    #: than it did (its start moved earlier, its billed usage grown): a long run in seconds
    run_extra_s: float = Field(0.0, ge=0, le=7 * 24 * 3600)
    #: every emulator, at every call of each kind in `burst_calls` (not only describe/get):
    #: the next N calls of each kind are answered as throttled, before anything is done
    call_throttles: int = Field(0, ge=0)
    #: the same, answered with a server error (HTTP 500 or 503 as the service sends them;
    #: Databricks: 503 TEMPORARILY_UNAVAILABLE). Storage faults hit paasport's own calls
    #: (marked in their User-Agent), not a job's writes or the emulator's downloads
    server_errors: int = Field(0, ge=0)
    #: those failures come in bursts: this many calls of a kind fail in a row (a client's
    #: retries of one call), then one call is served, then the next burst, until spent.
    #: Throttles and server errors alternate while both are left
    burst: int = Field(1, ge=1, le=100)
    burst_calls: frozenset[CallKind] = frozenset(CALL_KINDS)


@dataclass
class _Bursts:
    """How far one call kind is through its bursts of failures."""

    throttles: int
    errors: int
    streak: int = 0
    last: CallFault | None = None

    def next_fault(self, burst: int) -> CallFault | None:
        if self.streak >= burst:  # one call is served between bursts
            self.streak = 0
            return None
        if not self.throttles and not self.errors:
            return None
        # throttles and server errors alternate while both are left, within a burst too: one
        # call's retries meet both
        throttle = self.throttles > 0 and (not self.errors or self.last != "call_throttles")
        fault: CallFault = "call_throttles" if throttle else "server_errors"
        if throttle:
            self.throttles -= 1
        else:
            self.errors -= 1
        self.last = fault
        self.streak += 1
        if not self.throttles and not self.errors:
            self.streak = 0  # spent: the next call is served anyway
        return fault


class FaultBook:
    """The emulator's side: reloads `faults.json` when it changes and consumes counts.

    Several processes of one emulator may each hold a book on the same files (the control
    plane in its server, storage in a proxy): each consumes its own copy of the counts, so a
    burst fault must be taken for the call kinds that process serves only."""

    def __init__(self, path: Path, events: Path | None = None) -> None:
        self.path = path
        self.events = events
        self._mtime: int | None = None
        self._faults = Faults()
        self._lock = threading.Lock()
        self._bursts: dict[CallKind, _Bursts] = {}
        self.fired: dict[str, int] = {}

    def _reload(self) -> None:
        try:
            mtime = self.path.stat().st_mtime_ns
        except FileNotFoundError:
            return
        if mtime != self._mtime:
            self._mtime = mtime
            self._faults = Faults.model_validate(json.loads(self.path.read_text()))
            self._bursts = {}  # new faults: every kind's bursts start again

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
            self._record(name)
            return True

    def take_call(self, kind: CallKind, action: str = "") -> CallFault | None:
        """Whether this call (of `kind`, e.g. `action` StartJobRun) fails, and how."""
        with self._lock:
            self._reload()
            faults = self._faults
            if kind not in faults.burst_calls:
                return None
            bursts = self._bursts.get(kind)
            if bursts is None:
                bursts = _Bursts(faults.call_throttles, faults.server_errors)
                self._bursts[kind] = bursts
            fault = bursts.next_fault(faults.burst)
            if fault is not None:
                self._record(fault, call=kind, action=action)
            return fault

    def take_storage_call(
        self, agent_marker: str, method: str, path: str, headers: Mapping[str, str]
    ) -> CallFault | None:
        """`take_call` for a storage request, only when its User-Agent holds `agent_marker`
        (paasport's own calls: a job's writes of Pipes messages are its client's to retry)."""
        agent = next((v for k, v in headers.items() if k.lower() == "user-agent"), "")
        if agent_marker not in agent:
            return None
        return self.take_call("storage", f"{method} {path.split('?', 1)[0]}")

    def _record(self, name: str, **details: str) -> None:
        self.fired[name] = self.fired.get(name, 0) + 1
        if "call" in details:
            key = f"{name}:{details['call']}"
            self.fired[key] = self.fired.get(key, 0) + 1
        if self.events is not None:
            event = {"event": "fault", "fault": name, **details, "t": time.time()}
            # one short line per write: appends from the emulator's processes do not interleave
            with self.events.open("a") as out:
                out.write(json.dumps(event) + "\n")


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

    def faults_fired(self, since: float = 0.0) -> Counter[str]:
        """How often each fault fired since `since` (every process of the emulator): by name,
        and burst faults also by `name:kind` (e.g. `server_errors:submit`)."""
        out: Counter[str] = Counter()
        for event in self.events():
            if event.get("event") == "fault" and event.get("t", 0) >= since:
                out[event["fault"]] += 1
                if "call" in event:
                    out[f"{event['fault']}:{event['call']}"] += 1
        return out
