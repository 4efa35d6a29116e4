"""One example asset partition, unchanged, on every platform: same rows, same Pipes metadata.

The `edges` asset of one webgraph partition (WAT parsing, a corrupt gzip member and a truncated
record skipped and counted) runs on local Spark first; then on each platform, emulated here:
a standalone cluster, a Spark Connect server, the AWS emulator (EMR, EMR Serverless, EMR on
EKS, Glue through the dagster-aws Pipes clients, boto3 over HTTP, a real spark-submit) and the
Databricks workspace emulator (classic and serverless through dagster-databricks and
databricks-sdk over HTTP) and the GCP emulator (Dataproc through dagster-gcp and
google-cloud-dataproc over HTTP, GCS through google-cloud-storage). Each must give the same
rows, report the same metadata through Pipes, and add its own run facts.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import ExitStack
from decimal import Decimal
from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from paasport.dagster import PaasportResource
from paasport.testing import emulate
from paasport.testing.aws import AwsEmulator
from paasport.testing.databricks import DatabricksEmulator
from webgraph.assets import WebgraphPaths, webgraph_assets
from webgraph.layout import local_path, output_uri
from webgraph.run import read_parquet_rows
from webgraph.sample import SampleInfo, generate_sample

pytestmark = pytest.mark.spark

AWS = ("emr", "emr_serverless", "emr_eks", "glue")
DATABRICKS = ("databricks", "databricks_serverless")
SELF_HOSTED = ("standalone", "connect")
#: not paasport's defaults (4 partitions, AQE on)
ASKED = {"spark.sql.shuffle.partitions": "5", "spark.sql.adaptive.enabled": "false"}
PLATFORMS = (*SELF_HOSTED, *AWS, *DATABRICKS, "dataproc")
#: what the job reports through Pipes, identical wherever it runs
SAME = ("output_rows", "dagster/row_count", "records", "corrupt_members", "skipped_records",
        "seed_domains", "input_files", "input_bytes", "mode")  # fmt: skip
#: the run facts each platform adds: id keys, and facts that must be positive (a dotted key
#: reaches into a nested fact)
FACTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "standalone": (("platform_spark_app_id",), ()),
    "connect": (("platform_spark_app_id",), ()),
    "emr": (("platform_emr_cluster_id",), ("normalized_instance_hours",)),
    "emr_serverless": (("platform_application_id", "platform_job_run_id"), ()),
    "emr_eks": (("platform_virtual_cluster_id", "platform_job_run_id"), ()),
    "glue": (("platform_glue_job_name", "platform_glue_job_run_id"), ("dpu_seconds",)),
    "databricks": (
        ("platform_databricks_run_id", "platform_databricks_cluster_id"),
        ("num_workers", "run_duration_s"),
    ),
    "databricks_serverless": (("platform_databricks_run_id",), ("run_duration_s",)),
    "dataproc": (
        ("platform_dataproc_job_id", "platform_dataproc_cluster_name"),
        ("cluster.vcpus", "cluster.workers.count"),
    ),
}


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> SampleInfo:
    root = tmp_path_factory.mktemp("conformance")
    return generate_sample(
        root / "data", crawls=1, files_per_crawl=1, firms=20, pages_per_crawl=150
    )


class Emulated:
    """Emulators started on first use and kept for the module; one emulator per cloud."""

    def __init__(self, stack: ExitStack) -> None:
        self.stack = stack
        self.profiles: dict[str, dict[str, Any]] = {}

    def __getitem__(self, platform: str) -> dict[str, Any]:
        if platform not in self.profiles:
            if platform in AWS:
                aws = self.stack.enter_context(AwsEmulator(slots=2))
                self.profiles.update({name: aws.profile(name) for name in AWS})
            elif platform in DATABRICKS:
                workspace = self.stack.enter_context(DatabricksEmulator(slots=2))
                self.profiles.update({name: workspace.profile(name) for name in DATABRICKS})
            else:
                self.profiles[platform] = self.stack.enter_context(emulate(platform))
        return self.profiles[platform]


@pytest.fixture(scope="module")
def profiles() -> Iterator[Emulated]:
    with ExitStack() as stack:
        yield Emulated(stack)


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


@pytest.mark.parametrize("platform", PLATFORMS)
def test_same_partition_same_result(
    platform: str,
    sample: SampleInfo,
    baseline: dict[str, Any],
    profiles: Emulated,
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
    ids, positive = FACTS[platform]
    for key in ids:
        assert meta[key], key
    for key in positive:
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
    # standalone and connect are your own machines: free until you price them
    assert (meta["cost_usd_total"] > 0) == (platform not in SELF_HOSTED), cost
