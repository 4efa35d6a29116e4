"""Cost records: one per asset materialization, read from the Dagster instance's event log
(history lives in Dagster, not in a second database)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from paasport.record import RunRecord


@dataclass(frozen=True)
class CostRecord:
    run_id: str
    asset: str
    partition: str | None
    platform: str
    profile: str
    started_at: str  # ISO-8601, UTC: when the materialization ended less its duration
    ended_at: str
    duration_s: float
    cost_usd_total: float
    cost_usd_compute: float
    cost_usd_storage: float
    cost_usd_platform: float
    basis: str
    input_bytes: int
    team: str | None
    project: str | None

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def record_from(
    run_id: str, asset: str, partition: str | None, ended: float, metadata: Mapping[str, Any]
) -> CostRecord | None:
    """The cost record of one materialization; None when it carries no cost."""
    run = RunRecord.from_metadata(metadata)
    if run.cost is None:
        return None
    duration = run.duration_s
    end = datetime.fromtimestamp(ended, UTC)
    try:
        started = end - timedelta(seconds=duration)
    except OverflowError:  # an absurd recorded duration: the start is as early as can be
        started = datetime.min.replace(tzinfo=UTC)
    return CostRecord(
        run_id=run_id,
        asset=asset,
        partition=partition or run.partition or None,
        platform=run.platform or "",
        profile=run.profile or "",
        started_at=started.isoformat(timespec="seconds"),
        ended_at=end.isoformat(timespec="milliseconds"),
        duration_s=round(duration, 3),
        cost_usd_total=float(run.cost.total),
        cost_usd_compute=float(run.cost.compute or 0.0),
        cost_usd_storage=float(run.cost.storage or 0.0),
        cost_usd_platform=float(run.cost.platform or 0.0),
        basis=run.cost.basis,
        input_bytes=run.input_bytes or 0,
        team=run.team,
        project=run.project,
    )


def read_cost_records(
    instance: Any, assets: Iterable[str] = (), run_id: str | None = None
) -> list[CostRecord]:
    """Every materialization with cost metadata, oldest first."""
    from paasport.dagster.history import materializations  # the one pager of the event log

    names = list(assets) or [k.to_user_string() for k in instance.get_asset_keys()]
    records: list[CostRecord] = []
    for asset in names:
        for m in materializations(instance, asset):
            if run_id and m.run_id != run_id:
                continue
            rec = record_from(m.run_id, asset, m.partition, m.timestamp, m.metadata)
            if rec is not None:
                records.append(rec)
    return sorted(records, key=lambda r: r.ended_at)  # the order they happened in


def run_totals(records: Sequence[CostRecord]) -> dict[str, dict[str, float]]:
    """Per run: duration and each cost part summed, in the runs' order of appearance."""
    totals: dict[str, dict[str, Decimal]] = {}
    for r in records:
        t = totals.setdefault(r.run_id, dict.fromkeys(SUMMED, Decimal(0)))
        for key in SUMMED:  # in Decimal: a run's total is the exact sum of what is shown
            t[key] += Decimal(str(getattr(r, key)))
    return {run: {k: float(v) for k, v in t.items()} for run, t in totals.items()}


SUMMED = ("duration_s", "cost_usd_compute", "cost_usd_storage", "cost_usd_platform",
          "cost_usd_total")  # fmt: skip
