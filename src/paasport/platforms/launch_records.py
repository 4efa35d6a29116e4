"""Launch records: what paasport needs to find a remote run again after its orchestrator died.

A record is written before a remote launch makes any cloud call, gets the remote ids (job run,
cluster, application...) the moment a submit call returns them, and is marked ended when the
launch returns or fails. A run worker that is SIGKILLed never marks it: `paasport gc` (and its
sensor) then sees a record whose Dagster run is gone while the remote run may still bill.

One small JSON file per launch, written atomically, so a crash mid-write leaves the previous
version. Records hold names and ids only: the profile is kept without its Spark settings and
with every secret-looking value redacted, so it can rebuild a client and nothing more.
"""

from __future__ import annotations

import json
import os
import socket
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from paasport.files import write_atomically
from paasport.job.redact import redact_value

#: overrides where records live (all launches and `paasport gc` of one machine must agree)
STATE_DIR_ENV = "PAASPORT_STATE_DIR"
#: status of a launch: still in the hands of its run worker, or ended one way or another
RUNNING, SUCCEEDED, FAILED, REAPED = "running", "succeeded", "failed", "reaped"
#: ended records are kept this long (for `paasport gc --json` and post-mortems), then removed
KEEP_ENDED_S = 7 * 24 * 3600


@dataclass
class LaunchRecord:
    dagster_run_id: str
    platform: str
    profile_name: str
    #: the profile as config data, without spark_conf and with secret-named values redacted
    profile: dict[str, Any]
    asset: str | None = None
    partition: str | None = None
    pid: int = field(default_factory=os.getpid)
    #: the process's start time (Linux clock ticks since boot): tells a reused pid apart
    pid_started: int | None = field(default_factory=lambda: process_started(os.getpid()))
    hostname: str = field(default_factory=socket.gethostname)
    #: one dict of remote ids per submit attempt (capacity retries submit again)
    attempts: list[dict[str, str]] = field(default_factory=list)
    status: str = RUNNING
    note: str = ""
    id: str = field(
        default_factory=lambda: f"{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}"
    )
    created_at: float = field(default_factory=time.time)
    updated_at: float = field(default_factory=time.time)
    ended_at: float | None = None

    @property
    def ended(self) -> bool:
        return self.status in (SUCCEEDED, REAPED)

    def ids(self) -> dict[str, str]:
        """Every id of every attempt (later attempts win on a shared key), for display."""
        out: dict[str, str] = {}
        for attempt in self.attempts:
            out.update(attempt)
        return out

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> LaunchRecord:
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in known})


def process_started(pid: int) -> int | None:
    """When `pid` started (field 22 of /proc/<pid>/stat), None where there is no /proc."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # the command name (field 2) may hold spaces and parentheses: split after its last ')'
    return int(stat.rsplit(")", 1)[1].split()[19])


def pid_alive(pid: int, started: int | None) -> bool:
    """Whether process `pid` of this host is the one that wrote the record and still runs."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process holds the pid now, or ours as another user
        pass
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return True  # no /proc (macOS): the pid answering is all we can know
    if fields[0] in ("Z", "X"):  # killed, not yet reaped by its parent
        return False
    return started is None or int(fields[19]) == started


def safe_profile(profile: Mapping[str, Any]) -> dict[str, Any]:
    """The profile as it may be written down: no Spark settings, secret-named values redacted."""

    def clean(key: str, value: Any) -> Any:
        if isinstance(value, Mapping):
            return {k: clean(str(k), v) for k, v in value.items()}
        if isinstance(value, list):
            return [clean(key, v) for v in value]
        if isinstance(value, str):
            return redact_value(key, value)
        return value

    return {k: clean(k, v) for k, v in profile.items() if k != "spark_conf"}


def user_state_dir() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "paasport"


def records_dir(instance: Any = None) -> Path:
    """Where launches of `instance` are recorded: $PAASPORT_STATE_DIR, else beside a persistent
    Dagster instance's storage, else the user's state folder (an ephemeral instance's folder
    dies with its process, the record must not)."""
    if env := os.environ.get(STATE_DIR_ENV):
        return Path(env) / "launches"
    if instance is not None and not getattr(instance, "is_ephemeral", True):
        return Path(instance.root_directory) / "paasport" / "launches"
    return user_state_dir() / "launches"


def search_dirs(instance: Any = None) -> list[Path]:
    """Every folder a launch on this machine may have recorded to, for `paasport gc`."""
    out = [records_dir(instance), records_dir(None)]
    return list(dict.fromkeys(out))


class LaunchStore:
    """A folder of `<id>.json` launch records."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, record: LaunchRecord) -> Path:
        return self.root / f"{record.id}.json"

    def write(self, record: LaunchRecord) -> None:
        record.updated_at = time.time()
        data = json.dumps(record.to_json(), indent=1, sort_keys=True).encode()
        write_atomically(self.path(record), data)

    def read(self) -> list[LaunchRecord]:
        """Every readable record, oldest first; a file that is not one is skipped."""
        out: list[LaunchRecord] = []
        for path in sorted(self.root.glob("*.json")):
            try:
                out.append(LaunchRecord.from_json(json.loads(path.read_text())))
            except (OSError, ValueError, TypeError):
                continue
        return sorted(out, key=lambda r: r.created_at)

    def prune(self, now: float | None = None) -> int:
        """Remove records that ended more than KEEP_ENDED_S ago; how many were removed."""
        now = time.time() if now is None else now
        removed = 0
        for record in self.read():
            if record.ended and (record.ended_at or record.updated_at) < now - KEEP_ENDED_S:
                self.path(record).unlink(missing_ok=True)
                removed += 1
        return removed


class Recorder:
    """The record of one launch, kept up to date as the launch goes."""

    def __init__(self, store: LaunchStore, record: LaunchRecord) -> None:
        self.store, self.record = store, record

    def attempt(self) -> None:
        """A new submit attempt starts: its ids go into a new entry."""
        self.record.attempts.append({})
        self.store.write(self.record)

    def ids(self, ids: Mapping[str, str]) -> None:
        if not self.record.attempts:
            self.record.attempts.append({})
        self.record.attempts[-1].update({k: str(v) for k, v in ids.items() if v})
        self.store.write(self.record)

    def end(self, status: str, note: str = "") -> None:
        self.record.status, self.record.note = status, note[:500]
        self.record.ended_at = time.time()
        self.store.write(self.record)


_CURRENT: ContextVar[Recorder | None] = ContextVar("paasport_launch_record", default=None)


@contextmanager
def recording(store: LaunchStore, record: LaunchRecord) -> Iterator[Recorder]:
    """Inside: `record_ids` adds to `record`. On leaving it is marked succeeded, or failed with
    the error; a failed launch may have left something running, so gc still looks at it once
    its Dagster run has ended."""
    recorder = Recorder(store, record)
    store.write(record)
    token = _CURRENT.set(recorder)
    try:
        yield recorder
    except BaseException as exc:
        recorder.end(FAILED, f"{type(exc).__name__}")
        raise
    else:
        recorder.end(SUCCEEDED)
    finally:
        _CURRENT.reset(token)


def record_ids(**ids: str) -> None:
    """Record remote ids of the launch under way (a no-op outside one): call it the moment a
    submit call returns them, or before the call when the id is chosen by paasport."""
    recorder = _CURRENT.get()
    if recorder is not None:
        recorder.ids(ids)


def new_attempt() -> None:
    recorder = _CURRENT.get()
    if recorder is not None:
        recorder.attempt()
