"""Garbage collection of orphans: remote runs and clusters whose Dagster run is no longer alive.

A launch record (`launch_records.py`) whose launch never ended is an orphan candidate once its
Dagster run has ended (a terminal status in the instance), its run worker is gone from this
host, or the instance does not know the run at all (and the worker is not running here). Each
provider's `orphans.py` says, with the same clients its platforms launch with, what the
recorded ids name and in which state (`remotes`), and how to end one (`end`).
"""

from __future__ import annotations

import importlib
import socket
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from paasport.job.redact import redact_value
from paasport.platforms.launch_records import (
    REAPED,
    LaunchRecord,
    LaunchStore,
    pid_alive,
    search_dirs,
)
from paasport.platforms.registry import entry


@dataclass(frozen=True)
class Remote:
    """One remote thing a launch started: a job run or a cluster, and its state now."""

    kind: str  # what it is, in the provider's words: "EMR cluster", "Databricks run"
    id: str
    state: str
    active: bool  # still running or starting (billing); False once ended or ending


class Reaper(Protocol):
    def remotes(self, ids: Mapping[str, str], run_id: str) -> list[Remote]:
        """What one attempt's `ids` name, jobs before clusters, with their state now (an id
        the service no longer knows is not active). `run_id`: the Dagster run, for services
        whose resources can also be found by their paasport tags."""
        ...

    def end(self, remote: Remote) -> None:
        """Cancel the job run or terminate the cluster (returns once asked, not once ended)."""
        ...


def reaper_for(record: LaunchRecord) -> Reaper:
    """The provider's reaper, built from the recorded profile (the same clients as a launch)."""
    found = entry(record.platform)
    module = importlib.import_module(f"paasport.platforms.{found.provider.key}.orphans")
    profile = found.load().profile_model.model_validate(record.profile)
    reaper: Reaper = module.reaper(record.platform, profile)
    return reaper


def dagster_run_status(instance: Any, run_id: str) -> str | None:
    """The run's status name in `instance`, None when the instance does not know it."""
    if instance is None:
        return None
    run = instance.get_run_by_id(run_id)
    return None if run is None else str(run.status.value)


#: Dagster run statuses after which no worker acts on the run
FINISHED = {"SUCCESS", "FAILURE", "CANCELED"}


def orphan_reason(record: LaunchRecord, status: str | None, host: str) -> str | None:
    """Why the record's Dagster run is no longer alive, or None while it may be."""
    if record.ended:
        return None
    if status in FINISHED:
        return f"Dagster run {status.lower()}"
    if record.hostname == host:
        if not pid_alive(record.pid, record.pid_started):
            return f"run worker (pid {record.pid}) is gone"
        return None
    if status is None:
        return "run unknown to the Dagster instance, worker on another host"
    return None  # running elsewhere, as far as Dagster knows


@dataclass
class Finding:
    record: LaunchRecord
    why: str
    remotes: list[Remote] = field(default_factory=list)
    action: str = ""

    def to_json(self) -> dict[str, Any]:
        r = self.record
        return {
            "record": r.id,
            "dagster_run_id": r.dagster_run_id,
            "asset": r.asset,
            "partition": r.partition,
            "platform": r.platform,
            "profile": r.profile_name,
            "why": self.why,
            "remotes": [vars(x) for x in self.remotes],
            "action": self.action,
        }


def _remotes(reaper: Reaper, record: LaunchRecord) -> list[Remote]:
    out: dict[tuple[str, str], Remote] = {}
    for ids in record.attempts or [{}]:
        for remote in reaper.remotes(ids, record.dagster_run_id):
            out[(remote.kind, remote.id)] = remote
    return list(out.values())


def _error(exc: Exception) -> str:
    # a client's message names ids and states; any secret-looking part is masked all the same
    return redact_value("error", f"{type(exc).__name__}: {exc}")[:300]


def reap(
    record: LaunchRecord,
    why: str,
    *,
    dry_run: bool,
    wait_s: float,
    poll_s: float = 1.0,
    sleep: Callable[[float], None] = time.sleep,
) -> Finding:
    """Look at an orphan's remotes and end those still active (unless `dry_run`)."""
    finding = Finding(record, why)
    try:
        reaper = reaper_for(record)
        finding.remotes = _remotes(reaper, record)
        active = [r for r in finding.remotes if r.active]
        if not active:
            finding.action = "nothing left running"
            return finding
        if dry_run:
            finding.action = "would end " + ", ".join(f"{r.kind} {r.id}" for r in active)
            return finding
        for remote in active:
            reaper.end(remote)
        deadline = time.monotonic() + wait_s
        while True:
            finding.remotes = _remotes(reaper, record)
            left = [r for r in finding.remotes if r.active]
            if not left or time.monotonic() > deadline:
                break
            sleep(poll_s)
        finding.action = "ended " + ", ".join(f"{r.kind} {r.id}" for r in active)
        if left:
            finding.action += "; still ending: " + ", ".join(f"{r.kind} {r.id}" for r in left)
    except Exception as exc:  # one record's failure must not stop the others' collection
        finding.action = f"error: {_error(exc)}"
    return finding


@dataclass
class Collection:
    findings: list[Finding]
    alive: int  # records whose Dagster run may still be alive: left alone
    folders: list[Path]


def collect(
    instance: Any,
    *,
    dry_run: bool = False,
    wait_s: float = 60.0,
    folders: Iterable[Path] | None = None,
) -> Collection:
    """Every orphan of the launch records beside `instance` (and the user's), ended unless
    `dry_run`; records whose remotes are all ended are marked reaped (never in a dry run)."""
    host = socket.gethostname()
    dirs = list(folders) if folders is not None else search_dirs(instance)
    findings: list[Finding] = []
    alive = 0
    for folder in dirs:
        store = LaunchStore(folder)
        if not dry_run:
            store.prune()
        for record in store.read():
            if record.ended:
                continue
            why = orphan_reason(record, dagster_run_status(instance, record.dagster_run_id), host)
            if why is None:
                alive += 1
                continue
            finding = reap(record, why, dry_run=dry_run, wait_s=wait_s)
            findings.append(finding)
            if not dry_run and not finding.action.startswith("error"):
                left = [r for r in finding.remotes if r.active]
                if not left:
                    record.status, record.note = REAPED, f"{why}: {finding.action}"[:500]
                    record.ended_at = time.time()
                    store.write(record)
    return Collection(findings, alive, dirs)
