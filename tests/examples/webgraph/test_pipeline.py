"""The webgraph transformations in one shared SparkSession, on every partition of a sample."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest

from webgraph import layout, pipeline
from webgraph.sample import SampleInfo, generate_sample

pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> SampleInfo:
    info = generate_sample(tmp_path_factory.mktemp("webgraph-sample"))
    assert len(info.crawl_ids) >= 2 and len(info.seed_stems) >= 2
    return info


def expected_aggr(info: SampleInfo, crawl: str, stem: str) -> list[tuple[Any, ...]]:
    path = info.expected_dir / "graph_aggr" / f"crawl={crawl}" / f"seeds={stem}.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        return sorted(
            (r["src_domain"], r["dst_domain"], int(r["n_links"]), int(r["n_pages"]))
            for r in csv.DictReader(fh)
        )


def expected_nodes(info: SampleInfo, stem: str) -> list[tuple[str, str, str]]:
    path = info.expected_dir / "nodes" / f"seeds={stem}.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        return sorted((r["firm_id"], r["name"], r["domain"]) for r in csv.DictReader(fh))


def test_nodes_match_the_generator(spark: Any, sample: SampleInfo) -> None:
    invalid = json.loads((sample.expected_dir / "invalid_seed_rows.json").read_text())
    for stem in sample.seed_stems:
        result = pipeline.build_nodes(spark, layout.seeds_csv(sample.seeds_dir, stem))
        rows = sorted(tuple(r) for r in result.nodes.collect())
        assert rows == expected_nodes(sample, stem)
        assert result.invalid_rows == invalid[stem] > 0
        assert result.duplicate_rows > 0


@pytest.mark.parametrize("mode", layout.MODES)
def test_graph_aggr_equals_expected_for_every_partition(
    spark: Any, sample: SampleInfo, mode: layout.Mode
) -> None:
    for stem in sample.seed_stems:
        nodes = pipeline.build_nodes(spark, layout.seeds_csv(sample.seeds_dir, stem)).nodes.cache()
        domains = [r.domain for r in nodes.select("domain").collect()]
        for crawl in sample.crawl_ids:
            files = layout.input_files(sample.input_dir, crawl, mode)
            result = pipeline.extract_edges(spark, files, mode, domains)
            # the sample injects one corrupt gzip member and one truncated record per crawl
            assert result.stats["corrupt_members"] >= 1, (mode, crawl, result.stats)
            assert result.stats["skipped_records"] >= 1, (mode, crawl, result.stats)
            assert result.stats["files"] == len(files)
            aggr = pipeline.build_graph_aggr(pipeline.build_graph(result.edges, nodes))
            actual = sorted(tuple(r) for r in aggr.collect())
            assert actual == expected_aggr(sample, crawl, stem), (mode, crawl, stem)
            result.release()


def test_wat_and_warc_modes_give_the_same_edges(spark: Any, sample: SampleInfo) -> None:
    crawl, stem = sample.crawl_ids[0], sample.seed_stems[0]
    nodes = pipeline.build_nodes(spark, layout.seeds_csv(sample.seeds_dir, stem)).nodes
    domains = [r.domain for r in nodes.collect()]
    cols = ["source_url", "source_domain", "target_url", "target_domain", "anchor_text", "kind"]
    edges = {}
    for mode in layout.MODES:
        result = pipeline.extract_edges(
            spark, layout.input_files(sample.input_dir, crawl, mode), mode, domains
        )
        edges[mode] = sorted(tuple(r) for r in result.edges.select(*cols).collect())
        result.release()
    assert edges["wat"] == edges["warc"]
    assert len(edges["wat"]) > 100


def test_missing_input_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(layout.LayoutError, match="no WAT files for crawl 'CC-X'"):
        layout.input_files(tmp_path, "CC-X", "wat")
    with pytest.raises(layout.LayoutError, match="mode must be one of wat, warc"):
        layout.check_mode("html")
    with pytest.raises(layout.LayoutError, match="seed list 'top'"):
        layout.seeds_csv(tmp_path, "top")
    # partition folders keep a literal `=` (no percent-encoding) so Spark and Hive read them
    uri = layout.output_uri(tmp_path, "edges", "CC-1", "top")
    assert uri == f"file://{tmp_path.resolve()}/edges/crawl=CC-1/seeds=top"


def test_bad_seeds_header_names_the_file(spark: Any, tmp_path: Path) -> None:
    bad = tmp_path / "firms.csv"
    bad.write_text("id,url\n1,acme.com\n")
    with pytest.raises(pipeline.SeedsError, match=r"firms.csv: header must be 'firm_id,name,url'"):
        pipeline.build_nodes(spark, bad)
