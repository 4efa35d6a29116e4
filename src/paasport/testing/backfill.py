"""Many partitions of one asset launched at once, as a backfill launches them, with a Dagster
concurrency pool capping how many run together: what a load test measures.

Each partition is its own Dagster run (as in a backfill), started together from threads of this
process; the pool's limit is set on the instance, so Dagster itself holds back the steps beyond
it. The outcome says how long it took, this process's peak memory and, from the event log, how
many steps really ran at the same time.
"""

from __future__ import annotations

import resource
import sys
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dagster as dg

#: the events that open and close a step's run
_STEP_STARTED = "STEP_START"
_STEP_ENDED = ("STEP_SUCCESS", "STEP_FAILURE")


@dataclass(frozen=True)
class BackfillOutcome:
    wall_s: float
    #: this process's peak resident memory (the orchestrator's), MiB
    peak_rss_mib: float
    #: the most steps running at one moment, from their start and end events
    max_running: int
    #: partition key -> Dagster run id
    run_ids: dict[str, str]
    #: partition keys whose run failed
    failed: list[str]


def backfill_instance(home: Path) -> dg.DagsterInstance:
    """A Dagster instance in `home` for runs started from threads of one process.

    It keeps no compute logs: Dagster captures a step's output by redirecting the process's
    stdout and stderr descriptors, which threads share, so concurrent runs would write into
    each other's logs and leave the descriptors pointing at one of them (a real backfill starts
    each run in its own process). Events and metadata are kept as always."""
    home.mkdir(parents=True, exist_ok=True)
    noop = {"module": "dagster._core.storage.noop_compute_log_manager",
            "class": "NoOpComputeLogManager"}  # fmt: skip
    return dg.DagsterInstance.local_temp(str(home), overrides={"compute_logs": noop})


def peak_rss_mib() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 / (1024 if sys.platform == "darwin" else 1)  # bytes on macOS, KiB else


def max_running(instance: dg.DagsterInstance, run_ids: Sequence[str]) -> int:
    """The most steps of these runs that had started and not yet ended at one moment."""
    edges: list[tuple[float, int]] = []
    for run_id in run_ids:
        for record in instance.all_logs(run_id):
            kind = record.dagster_event.event_type_value if record.dagster_event else None
            if kind == _STEP_STARTED:
                edges.append((record.timestamp, 1))
            elif kind in _STEP_ENDED:
                edges.append((record.timestamp, -1))
    running = most = 0
    for _, change in sorted(edges):  # an end sorts before a start at the same instant
        running += change
        most = max(most, running)
    return most


def backfill(
    assets: Sequence[Any],
    keys: Sequence[str],
    *,
    instance: dg.DagsterInstance,
    resources: Mapping[str, Any],
    pool: str,
    limit: int,
    tags: Mapping[str, str] | None = None,
) -> BackfillOutcome:
    """Materialize every partition in `keys` at once, one run each, at most `limit` of the
    steps in `pool` running together."""
    instance.event_log_storage.set_concurrency_slots(pool, limit)

    def run(key: str) -> dg.ExecuteInProcessResult:
        return dg.materialize(
            assets,
            partition_key=key,
            instance=instance,
            resources=dict(resources),
            tags=dict(tags or {}),
            raise_on_error=False,
        )

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=len(keys), thread_name_prefix="backfill") as pool_:
        results = dict(zip(keys, pool_.map(run, keys), strict=True))
    wall_s = time.monotonic() - started
    run_ids = {key: result.run_id for key, result in results.items()}
    return BackfillOutcome(
        wall_s=wall_s,
        peak_rss_mib=peak_rss_mib(),
        max_running=max_running(instance, list(run_ids.values())),
        run_ids=run_ids,
        failed=[key for key, result in results.items() if not result.success],
    )
