"""One partition of the webgraph pipeline end to end: Dagster, Pipes, spark-submit, Parquet."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path

import dagster as dg
import pytest

from paasport.testing import emulate
from webgraph.assets import WebgraphPaths
from webgraph.layout import output_uri
from webgraph.run import compare_with_expected, run_pipeline
from webgraph.sample import generate_sample

pytestmark = pytest.mark.spark

REQUIRED = (
    "platform",
    "spark_app_id",
    "wall_time_s",
    "spark_time_s",
    "input_bytes",
    "output_rows",
    "spark_stages",
    "spark_tasks",
    "spark_shuffle_read_bytes",
    "spark_memory_spilled_bytes",
    "spark_gc_time_s",
    "spark_stage_metrics",
)


# other platforms run the `edges` partition in tests/paasport/platforms/test_conformance.py
@pytest.mark.parametrize("platform", ["local"])
def test_one_partition_through_dagster(tmp_path: Path, platform: str) -> None:
    info = generate_sample(
        tmp_path / "data", crawls=1, files_per_crawl=2, firms=20, pages_per_crawl=200
    )
    paths = WebgraphPaths(info.input_dir, info.seeds_dir, tmp_path / "out", "wat")
    key = f"{info.crawl_ids[0]}|{info.seed_stems[0]}"
    with ExitStack() as stack:
        extra = {}
        if platform != "local":  # the same pipeline, unchanged, on an emulated platform
            extra[platform] = stack.enter_context(emulate(platform))
        steps = run_pipeline(
            paths,
            instance=dg.DagsterInstance.ephemeral(),
            platform=platform,
            only=[key],
            extra_profiles=extra,
        )
    assert [s.asset for s in steps] == ["nodes", "edges", "graph", "graph_aggr"]
    for step in steps:
        missing = [k for k in REQUIRED if k not in step.metadata]
        assert not missing, (step.asset, missing)
        assert step.platform == platform and step.partition == key
        assert step.wall_s > step.spark_s > 0
    edges = steps[1].metadata
    assert edges["corrupt_members"] >= 1 and edges["skipped_records"] >= 1
    assert edges["input_bytes"] == sum(p.stat().st_size for p in info.wat_files)
    assert steps[3].rows > 0
    verdict = compare_with_expected(paths, info.expected_dir)
    assert verdict[key] is True
    assert Path(
        output_uri(paths.output, "graph_aggr", *key.split("|")).removeprefix("file://")
    ).is_dir()
