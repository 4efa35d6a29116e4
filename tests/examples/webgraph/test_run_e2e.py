"""One partition of the webgraph pipeline end to end: Dagster, Pipes, spark-submit, Parquet."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from paasport.testing import emulate
from webgraph.assets import WebgraphPaths
from webgraph.layout import output_uri
from webgraph.run import StepSummary, compare_with_expected, read_parquet_rows, run_pipeline
from webgraph.sample import SampleInfo, generate_sample

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


def one_partition(
    tmp_path: Path,
    platform: str,
    extra: dict[str, dict[str, Any]] | None = None,
    info: SampleInfo | None = None,
) -> tuple[SampleInfo, WebgraphPaths, str, list[StepSummary]]:
    info = info or generate_sample(
        tmp_path / "data", crawls=1, files_per_crawl=2, firms=20, pages_per_crawl=200
    )
    paths = WebgraphPaths(info.input_dir, info.seeds_dir, tmp_path / "out", "wat")
    key = f"{info.crawl_ids[0]}|{info.seed_stems[0]}"
    with ExitStack() as stack:
        extra = dict(extra or {})
        if platform != "local":  # the same pipeline, unchanged, on an emulated platform
            extra[platform] = stack.enter_context(emulate(platform))
        steps = run_pipeline(
            paths,
            instance=dg.DagsterInstance.ephemeral(),
            platform=platform,
            only=[key],
            extra_profiles=extra,
        )
    return info, paths, key, steps


@pytest.fixture(scope="module")
def cold(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, ...]:
    return one_partition(tmp_path_factory.mktemp("cold"), "local")


# other platforms run the `edges` partition in tests/paasport/platforms/test_conformance.py
def test_one_partition_through_dagster(cold: tuple[Any, ...]) -> None:
    platform = "local"
    info, paths, key, steps = cold
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


#: what only a run on the warm server reports: its Connect session and the server's version
WARM_ONLY = {"spark_connect_session_id", "platform_connect_session_id", "spark_version"}
#: what differs between any two runs (times, ids, where the output went), not how they ran
PER_RUN = {
    "wall_time_s", "job_time_s", "spark_app_id", "platform_spark_app_id", "output_uri",
    "platform_run_s", "platform_startup_s", "spark_session_start_s", "platform_facts",
    "spark_metrics_s", "spark_conf", "diagnostics", "spark_stage_metrics", "cost",
}  # fmt: skip


def spark_schema(paths: WebgraphPaths, asset: str, key: str) -> bytes:
    import pyarrow.parquet as pq

    folder = Path(output_uri(paths.output, asset, *key.split("|")).removeprefix("file://"))
    meta = pq.ParquetFile(next(folder.glob("*.parquet"))).metadata.metadata
    return bytes(meta[b"org.apache.spark.sql.parquet.row.metadata"])


def test_the_warm_path_gives_the_cold_paths_outputs_and_metadata(
    cold: tuple[Any, ...], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from paasport.platforms.selfhosted import warm

    monkeypatch.setenv("PAASPORT_STATE_DIR", str(tmp_path / "state"))
    profile = {"local": {"platform": "local", "warm": True}}
    info, cold_paths, key, cold_steps = cold
    try:  # the same input, another output
        _, warm_paths, _, warm_steps = one_partition(tmp_path, "local", profile, info)
    finally:
        assert len(warm.stop()) == 1
    assert warm_paths.output != cold_paths.output
    for c, w in zip(cold_steps, warm_steps, strict=True):
        assert w.metadata["platform_facts"]["warm"]["server"].startswith("sc://127.0.0.1:")
        assert "warm" not in c.metadata["platform_facts"]
        # the same rows, in every asset's output
        rows = [sorted(map(str, read_parquet_rows(output_uri(p.output, c.asset, *key.split("|")))))
                for p in (cold_paths, warm_paths)]  # fmt: skip
        assert rows[0] == rows[1] and rows[0], c.asset
        # and the same Spark schema in the files (no "string collate UTF8_BINARY" from Connect)
        assert len({spark_schema(p, c.asset, key) for p in (cold_paths, warm_paths)}) == 1
        # the same metadata: the same keys, and the same values where they do not vary by run
        assert set(w.metadata) - WARM_ONLY == set(c.metadata), c.asset
        for name in set(c.metadata) - PER_RUN:
            if not name.startswith(("spark_", "cost_usd")):  # measured: varies
                assert w.metadata[name] == c.metadata[name], (c.asset, name)
        for name in ("output_rows", "input_bytes", "spark_output_records", "dagster/row_count"):
            if name in c.metadata:
                assert w.metadata[name] == c.metadata[name], (c.asset, name)
        # the user's settings (the example's paasport.toml) ran on both
        for setting, value in c.metadata["spark_conf"].items():
            if setting.startswith("spark.sql.") and setting in w.metadata["spark_conf"]:
                assert w.metadata["spark_conf"][setting] == value, (c.asset, setting)
