"""Materialize the webgraph assets through Dagster, step by step, with progress and a summary."""

from __future__ import annotations

import csv
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dagster as dg

from paasport.dagster import PLATFORM_TAG, PaasportResource
from webgraph import layout
from webgraph.assets import WebgraphPaths, webgraph_assets

QUIET_LOGGERS = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


@dataclass(frozen=True)
class StepSummary:
    asset: str
    partition: str
    platform: str
    rows: int
    wall_s: float
    spark_s: float
    metadata: Mapping[str, Any]


def _value(meta: Mapping[str, Any], key: str, default: Any = 0) -> Any:
    item = meta.get(key)
    return getattr(item, "value", item) if item is not None else default


def run_pipeline(
    paths: WebgraphPaths,
    *,
    instance: dg.DagsterInstance,
    platform: str | None = None,
    config_path: str | None = None,
    on_step: Callable[[str, str, int, int], None] | None = None,
    only: Sequence[str] | None = None,
    extra_profiles: Mapping[str, Mapping[str, Any]] | None = None,
    planner: Mapping[str, Any] | None = None,
) -> list[StepSummary]:
    """Materialize every partition (or those in `only`) of the four assets, one Dagster run per
    asset and partition, in dependency order."""
    assets = webgraph_assets(paths)
    keys = assets[0].partitions_def.get_partition_keys() if assets[0].partitions_def else []
    if only is not None:
        unknown = sorted(set(only) - set(keys))
        if unknown:
            raise layout.LayoutError(f"unknown partitions {unknown}; known: {keys}")
        keys = [k for k in keys if k in only]
    if not keys:
        raise layout.LayoutError(
            f"no partitions: need crawl folders in {paths.input} and seed CSVs in {paths.seeds}"
        )
    tags = {PLATFORM_TAG: platform} if platform else {}
    profiles = {name: dict(body) for name, body in (extra_profiles or {}).items()}
    resources = {
        "paasport": PaasportResource(
            config_path=config_path, extra_profiles=profiles, planner=dict(planner or {})
        )
    }
    total, done, out = len(keys) * len(layout.ASSETS), 0, []
    for key in keys:
        for name in layout.ASSETS:
            if on_step:
                on_step(name, key, done, total)
            started = time.monotonic()
            result = dg.materialize(
                assets,
                selection=[name],
                partition_key=key,
                instance=instance,
                resources=resources,
                run_config=QUIET_LOGGERS,
                tags=tags,
                raise_on_error=True,
            )
            meta = result.asset_materializations_for_node(name)[0].metadata
            out.append(
                StepSummary(
                    asset=name,
                    partition=key,
                    platform=str(_value(meta, "platform", "?")),
                    rows=int(_value(meta, "output_rows")),
                    wall_s=float(_value(meta, "wall_time_s", time.monotonic() - started)),
                    spark_s=float(_value(meta, "spark_time_s")),
                    metadata={k: _value(meta, k) for k in meta},
                )
            )
            done += 1
    return out


def read_parquet_rows(uri: str) -> list[dict[str, Any]]:
    import pyarrow.parquet as pq

    table = pq.read_table(layout.local_path(uri))
    rows: list[dict[str, Any]] = table.to_pylist()
    return rows


def compare_with_expected(paths: WebgraphPaths, expected_dir: Path) -> dict[str, bool]:
    """graph_aggr of every partition against the generator's expected CSV: key -> equal."""
    out = {}
    for csv_file in sorted((expected_dir / "graph_aggr").glob("crawl=*/seeds=*.csv")):
        crawl = csv_file.parent.name.removeprefix("crawl=")
        stem = csv_file.stem.removeprefix("seeds=")
        with csv_file.open(encoding="utf-8", newline="") as fh:
            expected = sorted(
                (r["src_domain"], r["dst_domain"], int(r["n_links"]), int(r["n_pages"]))
                for r in csv.DictReader(fh)
            )
        uri = layout.output_uri(paths.output, "graph_aggr", crawl, stem)
        try:
            actual = sorted(
                (r["src_domain"], r["dst_domain"], int(r["n_links"]), int(r["n_pages"]))
                for r in read_parquet_rows(uri)
            )
        except FileNotFoundError:
            actual = []
        out[f"{crawl}|{stem}"] = actual == expected
    return out
