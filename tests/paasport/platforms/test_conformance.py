"""The conformance suite: one partition, unchanged, on every registered platform.

Parametrized from the registry (`paasport.platforms.registry.REGISTRY`): a platform gets the
whole suite by being registered with an emulator. The reference is the default platform (local
Spark); each other platform runs the `edges` asset of one webgraph partition (WAT parsing, a
corrupt gzip member and a truncated record skipped and counted) through its real client
library against its emulator (boto3, databricks-sdk, google-cloud-dataproc over HTTP, a real
spark-submit) and must give the same rows, report the same metadata through Pipes, run with the
settings the user asked for, add its run facts (ids) and a cost whose parts add up. A platform
registered without an emulator shows as skipped in the report (`pytest -rs`), with the reason.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from paasport.dagster import PaasportResource
from paasport.job.params import DEFAULT_PLATFORM
from paasport.platforms.registry import REGISTRY
from paasport.testing import EmulatorPool
from webgraph.assets import WebgraphPaths, webgraph_assets
from webgraph.layout import local_path, output_uri
from webgraph.run import read_parquet_rows
from webgraph.sample import SampleInfo, generate_sample

pytestmark = pytest.mark.spark

#: not paasport's defaults (4 partitions, AQE on)
ASKED = {"spark.sql.shuffle.partitions": "5", "spark.sql.adaptive.enabled": "false"}


def registered() -> Iterator[Any]:
    """Every registered platform but the reference; without an emulator it is skipped, saying
    so."""
    for name, entry in REGISTRY.items():
        if name == DEFAULT_PLATFORM:
            continue
        why = f"{name}: no emulator registered, so the suite cannot run it offline"
        marks = () if entry.emulator else pytest.mark.skip(reason=why)
        yield pytest.param(name, id=name, marks=marks)


#: what the job reports through Pipes, identical wherever it runs
SAME = ("output_rows", "dagster/row_count", "records", "corrupt_members", "skipped_records",
        "seed_domains", "input_files", "input_bytes", "mode")  # fmt: skip
#: billing facts known platforms must report as positive numbers (a dotted key reaches into a
#: nested fact); a platform not listed still gets every other check
BILLED_ON: dict[str, tuple[str, ...]] = {
    "emr": ("normalized_instance_hours",),
    "glue": ("dpu_seconds",),
    "databricks": ("num_workers", "run_duration_s"),
    "databricks_serverless": ("run_duration_s",),
    "dataproc": ("cluster.vcpus", "cluster.workers.count"),
}
#: recorded keys that are facts about the run, not ids of it
NOT_IDS = {"platform", "platform_facts", "platform_source", "platform_console_url",
           "platform_queue_s", "platform_startup_s", "platform_run_s"}  # fmt: skip


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> SampleInfo:
    root = tmp_path_factory.mktemp("conformance")
    return generate_sample(
        root / "data", crawls=1, files_per_crawl=1, firms=20, pages_per_crawl=150
    )


@pytest.fixture(scope="module")
def profiles() -> Iterator[EmulatorPool]:
    with EmulatorPool() as pool:  # one emulator per provider, started on first use
        yield pool


def materialize(
    sample: SampleInfo, out: Path, names: list[str], profile: dict[str, Any] | None
) -> dict[str, Any]:
    paths = WebgraphPaths(sample.input_dir, sample.seeds_dir, out, "wat")
    key = f"{sample.crawl_ids[0]}|{sample.seed_stems[0]}"
    extra = {"target": profile} if profile else {}
    result = dg.materialize(
        webgraph_assets(paths),
        selection=names,
        partition_key=key,
        instance=dg.DagsterInstance.ephemeral(),
        resources={"paasport": PaasportResource(extra_profiles=extra)},
        tags={"paasport/platform": "target" if profile else "local"},
    )
    assert result.success
    meta = result.asset_materializations_for_node(names[-1])[0].metadata
    return {k: getattr(v, "value", v) for k, v in meta.items()}


def edges_rows(sample: SampleInfo, out: Path) -> list[tuple[Any, ...]]:
    uri = output_uri(str(out), "edges", sample.crawl_ids[0], sample.seed_stems[0])
    return sorted(tuple(sorted(r.items())) for r in read_parquet_rows(uri))


@pytest.fixture(scope="module")
def baseline(sample: SampleInfo, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("local") / "out"
    meta = materialize(sample, out, ["nodes", "edges"], None)
    return {"out": out, "meta": meta, "rows": edges_rows(sample, out)}


@pytest.mark.parametrize("platform", registered())
def test_same_partition_same_result(
    platform: str,
    sample: SampleInfo,
    baseline: dict[str, Any],
    profiles: EmulatorPool,
    tmp_path: Path,
) -> None:
    out = tmp_path / "out"
    # the partition's `nodes` as local Spark made them: only `edges` runs on the platform
    nodes = local_path(
        output_uri(str(baseline["out"]), "nodes", sample.crawl_ids[0], sample.seed_stems[0])
    )
    shutil.copytree(
        nodes, local_path(output_uri(str(out), "nodes", sample.crawl_ids[0], sample.seed_stems[0]))
    )
    # settings a user gives in the profile are what Spark runs with, on every platform (Spark's
    # own record of its settings, read inside the job)
    profile = {**profiles[platform], "spark_conf": ASKED}
    meta = materialize(sample, out, ["edges"], profile)
    assert meta["spark_conf"].items() >= ASKED.items(), meta["spark_conf"]

    assert edges_rows(sample, out) == baseline["rows"]
    local = baseline["meta"]
    assert {k: meta[k] for k in SAME} == {k: local[k] for k in SAME}
    assert meta["corrupt_members"] >= 1 and meta["skipped_records"] >= 1
    assert (meta["platform"], meta["profile"]) == (platform, "target")
    # the run's ids on the platform (a cluster, an application, a job run): what finds it again
    ids = {k: v for k, v in meta.items() if k.startswith("platform_") and k not in NOT_IDS}
    assert ids and all(isinstance(v, str) and v for v in ids.values()), ids
    for key in BILLED_ON.get(platform, ()):
        value = meta["platform_facts"]
        for part in key.split("."):
            value = value[part]
        assert value > 0, key
    assert meta["wall_time_s"] > 0
    # every run is priced; the parts add up to the total exactly
    cost = meta["cost"]
    parts = [Decimal(str(meta[f"cost_usd_{p}"])) for p in ("compute", "storage", "platform")]
    assert Decimal(str(meta["cost_usd_total"])) == sum(parts) == Decimal(str(cost["total"]))
    assert cost["lines"] and cost["basis"] and cost["currency"] == "USD"
    # self-hosted machines are your own: free until you price them; every cloud run costs
    self_hosted = REGISTRY[platform].provider.key == "selfhosted"
    assert (meta["cost_usd_total"] > 0) == (not self_hosted), cost
