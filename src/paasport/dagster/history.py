"""An asset's materializations from the Dagster event log: history lives in Dagster, and this is
the one place that pages through it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from paasport.record import plain_metadata

PAGE = 1000


@dataclass(frozen=True)
class Materialization:
    """One recorded materialization: where it came from and its metadata as plain values."""

    run_id: str
    asset: str
    partition: str | None
    timestamp: float
    metadata: dict[str, Any]


def materializations(
    instance: Any, asset: str, *, newest_first: bool = False, limit: int | None = None
) -> Iterator[Materialization]:
    """Every materialization of `asset` (oldest first unless `newest_first`), at most `limit`."""
    import dagster as dg

    key, cursor, seen = dg.AssetKey.from_user_string(asset), None, 0
    while True:
        size = PAGE if limit is None else min(PAGE, limit - seen)
        if size <= 0:
            return
        page = instance.fetch_materializations(
            key, limit=size, cursor=cursor, ascending=not newest_first
        )
        for record in page.records:
            m = record.asset_materialization
            if m is None:
                continue
            seen += 1
            yield Materialization(
                run_id=record.run_id,
                asset=asset,
                partition=m.partition,
                timestamp=record.timestamp,
                metadata=plain_metadata(m.metadata),
            )
        if not page.has_more:
            return
        cursor = page.cursor
