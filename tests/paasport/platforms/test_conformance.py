"""One asset, unchanged, on every platform that can run here: same rows, same reported metadata.

Platforms are added to PLATFORMS as they land; each entry says how to get a profile for it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dagster as dg
import pyarrow.parquet as pq
import pytest

from paasport.dagster import PaasportResource, spark_asset
from paasport.testing import StandaloneCluster

JOB = Path(__file__).parents[1] / "fixtures" / "count_job.py"
pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def cluster() -> Iterator[StandaloneCluster]:
    with StandaloneCluster(workers=2) as running:
        yield running


@pytest.fixture(scope="module")
def config_file(tmp_path_factory: pytest.TempPathFactory, cluster: StandaloneCluster) -> Path:
    path = tmp_path_factory.mktemp("conformance") / "paasport.toml"
    path.write_text(
        f"""
[profiles.cluster]
platform = "standalone"
master = "{cluster.master_url}"
executor_memory = "512m"
"""
    )
    return path


def materialize(platform: str, out: Path, config_file: Path) -> dict[str, Any]:
    asset = spark_asset(
        name="counts", job=JOB, params={"output": str(out), "n": "1234"}, checks=["has_rows"]
    )
    result = dg.materialize(
        [asset],
        instance=dg.DagsterInstance.ephemeral(),
        resources={"paasport": PaasportResource(config_path=str(config_file))},
        run_config={"ops": {"counts": {"config": {"platform": platform}}}},
    )
    assert result.success
    meta = result.asset_materializations_for_node("counts")[0].metadata
    return {k: getattr(v, "value", v) for k, v in meta.items()}


def rows(out: Path) -> list[tuple[int, int]]:
    return sorted((r["k"], r["count"]) for r in pq.read_table(out).to_pylist())


def test_same_asset_same_result_on_local_and_standalone(
    tmp_path: Path, config_file: Path, cluster: StandaloneCluster
) -> None:
    local = materialize("local", tmp_path / "local", config_file)
    remote = materialize("cluster", tmp_path / "cluster", config_file)
    assert rows(tmp_path / "local") == rows(tmp_path / "cluster")
    for key in ("output_rows", "n", "spark_output_records"):
        assert local[key] == remote[key], key
    assert (local["platform"], remote["platform"]) == ("local", "standalone")
    assert remote["profile"] == "cluster"
    assert remote["platform_facts"]["master"] == cluster.master_url
    assert remote["spark_app_id"].startswith("app-")  # a standalone application id
    # the application really ran on the cluster
    apps = cluster.state()["completedapps"] + cluster.state()["activeapps"]
    assert remote["spark_app_id"] in {a["id"] for a in apps}
