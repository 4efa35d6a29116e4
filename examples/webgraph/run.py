"""Materialize the webgraph assets through Dagster, partition by partition or several at once,
with progress and a summary."""

from __future__ import annotations

import csv
import multiprocessing
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
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
    on_step: Callable[[str, int, int], None] | None = None,
    only: Sequence[str] | None = None,
    extra_profiles: Mapping[str, Mapping[str, Any]] | None = None,
    planner: Mapping[str, Any] | None = None,
    parallel: int = 1,
) -> list[StepSummary]:
    """Materialize every partition (or those in `only`): one Dagster run per partition, its four
    assets in dependency order. With `parallel` > 1, up to that many partitions at once, each
    run in a process of a pool (Dagster captures a step's output through its process's stdout,
    so runs at once cannot share one process). `on_step(partition, done, total)` is called as
    each partition starts (one at a time) or ends (at once)."""
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
    if parallel > 1 and instance.is_ephemeral:
        raise ValueError("partitions at once need a persistent Dagster instance (DAGSTER_HOME)")
    tags = {PLATFORM_TAG: platform} if platform else {}
    profiles = {name: dict(body) for name, body in (extra_profiles or {}).items()}
    run = _PartitionRun(paths, config_path, profiles, dict(planner or {}), tags)
    out: list[StepSummary] = []
    if parallel == 1:
        for done, key in enumerate(keys):
            if on_step:
                on_step(key, done, len(keys))
            out += run(key, instance)
        return out
    with ProcessPoolExecutor(parallel, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = {pool.submit(run.in_process_of, instance.get_ref(), k): k for k in keys}
        for done, future in enumerate(as_completed(futures), start=1):
            future.result()  # the first failure ends the pipeline
            if on_step:
                on_step(futures[future], done, len(keys))
        for future in futures:  # in partition order
            out += future.result()
    return out


@dataclass(frozen=True)
class _PartitionRun:
    """One Dagster run of the four assets of one partition; picklable, so that a process of a
    pool can run it."""

    paths: WebgraphPaths
    config_path: str | None
    profiles: Mapping[str, Mapping[str, Any]]
    planner: Mapping[str, Any]
    tags: Mapping[str, str]

    def in_process_of(self, ref: Any, key: str) -> list[StepSummary]:
        return self(key, dg.DagsterInstance.from_ref(ref))

    def __call__(self, key: str, instance: dg.DagsterInstance) -> list[StepSummary]:
        resources = {
            "paasport": PaasportResource(
                config_path=self.config_path,
                extra_profiles={k: dict(v) for k, v in self.profiles.items()},
                planner=dict(self.planner),
            )
        }
        result = dg.materialize(
            webgraph_assets(self.paths),
            partition_key=key,
            instance=instance,
            resources=resources,
            run_config=QUIET_LOGGERS,
            tags=dict(self.tags),
            raise_on_error=True,
        )
        out = []
        for name in layout.ASSETS:
            meta = result.asset_materializations_for_node(name)[0].metadata
            out.append(
                StepSummary(
                    asset=name,
                    partition=key,
                    platform=str(_value(meta, "platform", "?")),
                    rows=int(_value(meta, "output_rows")),
                    wall_s=float(_value(meta, "wall_time_s")),
                    spark_s=float(_value(meta, "spark_time_s")),
                    metadata={k: _value(meta, k) for k in meta},
                )
            )
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
