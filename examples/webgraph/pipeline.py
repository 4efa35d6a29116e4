"""The webgraph pipeline's Spark transformations, shared by the jobs and the tests."""

from __future__ import annotations

import os
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from itertools import repeat
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import StringType

from webgraph.layout import Mode, file_uri, local_path

if TYPE_CHECKING:
    from webgraph.extract import Page

NODE_COLUMNS = ("firm_id", "name", "domain")
EDGE_COLUMNS = (
    "source_url",
    "source_domain",
    "target_url",
    "target_domain",
    "anchor_text",
    "kind",
    "page_title",
    "page_snippet",
)
STAT_COLUMNS = ("files", "records", "pages", "links", "skipped_records", "corrupt_members")
EXTRACT_SCHEMA = pa.schema(
    [("row_type", pa.string())]
    + [(c, pa.string()) for c in EDGE_COLUMNS]
    + [(c, pa.int64()) for c in (*STAT_COLUMNS, "input_bytes")]
)
SEEDS_HEADER = ["firm_id", "name", "url"]


class SeedsError(ValueError):
    pass


@dataclass(frozen=True)
class NodesResult:
    nodes: DataFrame
    rows: int
    invalid_rows: int
    duplicate_rows: int


def build_nodes(spark: SparkSession, seeds_csv: str | Path) -> NodesResult:
    """Clean a seed list: one row per firm with its registered domain; bad rows counted."""
    path = str(seeds_csv)
    first = spark.read.text(path).first()
    header = (first[0] if first else "").lstrip("\ufeff").strip()
    if [h.strip() for h in header.split(",")] != SEEDS_HEADER:
        raise SeedsError(f"{path}: header must be '{','.join(SEEDS_HEADER)}', got '{header}'")
    from webgraph.urls import clean_seed_url

    clean = F.udf(lambda url: clean_seed_url(url) if url else None, StringType())
    raw = (
        spark.read.option("header", True)
        .option("multiLine", True)
        .option("escape", '"')
        .schema("firm_id string, name string, url string")
        .csv(path)
        .withColumn("firm_id", F.trim("firm_id"))
        .withColumn("domain", clean("url"))
        .persist(StorageLevel.MEMORY_AND_DISK)
    )
    valid = raw.where((F.col("firm_id") != "") & F.col("domain").isNotNull())
    nodes = valid.groupBy("firm_id").agg(
        F.min(F.trim("name")).alias("name"), F.min("domain").alias("domain")
    )
    rows = raw.count()
    valid_rows = valid.count()
    return NodesResult(
        nodes=nodes.select(*NODE_COLUMNS),
        rows=rows,
        invalid_rows=rows - valid_rows,
        duplicate_rows=valid_rows - nodes.count(),
    )


def _extract_files(
    mode: Mode, seed_domains: frozenset[str] | None
) -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    """The per-task function: files in, link rows plus one stats row per file out."""

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        from webgraph.extract import ExtractStats, extract

        for batch in batches:
            for uri in batch.column("path").to_pylist():
                path = local_path(uri)
                stats = ExtractStats()
                links = _LinkBatch()
                for page in extract(str(path), mode, stats, seed_domains):
                    links.add(page)
                    if links.rows >= 8192:
                        yield links.batch()
                        links = _LinkBatch()
                if links.rows:
                    yield links.batch()
                counts = stats.as_dict()
                stat_values = (*(counts[c] for c in STAT_COLUMNS), os.path.getsize(path))
                stats_row = ("stats", *(None,) * len(EDGE_COLUMNS), *stat_values)
                yield pa.RecordBatch.from_pylist(
                    [dict(zip(EXTRACT_SCHEMA.names, stats_row, strict=True))], schema=EXTRACT_SCHEMA
                )

    return run


class _LinkBatch:
    """Link rows gathered column by column from the pages' link columns (no tuple per row)."""

    def __init__(self) -> None:
        self.rows = 0
        self.columns: dict[str, list[str | None]] = {c: [] for c in EDGE_COLUMNS}

    def add(self, page: Page) -> None:
        n = len(page.targets)
        if not n:
            return
        c = self.columns
        c["source_url"].extend(repeat(page.url, n))
        c["source_domain"].extend(repeat(page.domain, n))
        c["target_url"].extend(page.targets)
        c["target_domain"].extend(page.target_domains)
        c["anchor_text"].extend(page.anchors)
        c["kind"].extend(page.kinds)
        c["page_title"].extend(repeat(page.title, n))
        c["page_snippet"].extend(repeat(page.snippet, n))
        self.rows += n

    def batch(self) -> pa.RecordBatch:
        arrays: list[pa.Array] = [pa.array(["link"] * self.rows, pa.string())]
        arrays += [pa.array(self.columns[c], pa.string()) for c in EDGE_COLUMNS]
        arrays += [pa.nulls(self.rows, pa.int64()) for _ in (*STAT_COLUMNS, "input_bytes")]
        return pa.RecordBatch.from_arrays(arrays, schema=EXTRACT_SCHEMA)


@dataclass(frozen=True)
class EdgesResult:
    edges: DataFrame
    stats: dict[str, int]
    #: call when the edges have been written, to free the cached extraction
    release: Callable[[], object]


def extract_edges(
    spark: SparkSession,
    files: list[Path],
    mode: Mode,
    seed_domains: Collection[str] | None,
) -> EdgesResult:
    """Every hyperlink on pages of the seed domains, one Spark task per input file."""
    seeds = frozenset(seed_domains) if seed_domains is not None else None
    spark_schema = ", ".join(
        f"{f.name} {'string' if f.type == pa.string() else 'bigint'}" for f in EXTRACT_SCHEMA
    )
    paths = spark.createDataFrame([(file_uri(p),) for p in files], "path string")
    extracted = (
        paths.repartition(max(1, len(files)))
        .mapInArrow(_extract_files(mode, seeds), spark_schema)
        .persist(StorageLevel.MEMORY_AND_DISK)
    )
    totals = (
        extracted.where(F.col("row_type") == "stats")
        .agg(*[F.sum(c).alias(c) for c in (*STAT_COLUMNS, "input_bytes")])
        .first()
    )
    stats = {k: int(v or 0) for k, v in (totals.asDict() if totals else {}).items()}
    edges = extracted.where(F.col("row_type") == "link").select(*EDGE_COLUMNS)
    return EdgesResult(edges=edges, stats=stats, release=extracted.unpersist)


def build_graph(edges: DataFrame, nodes: DataFrame) -> DataFrame:
    """Links between two different seed firms, with the firm ids at both ends."""
    firms = nodes.groupBy("domain").agg(F.sort_array(F.collect_set("firm_id")).alias("firm_ids"))
    src = firms.select(F.col("domain").alias("src_domain"), F.col("firm_ids").alias("src_firm_ids"))
    dst = firms.select(F.col("domain").alias("dst_domain"), F.col("firm_ids").alias("dst_firm_ids"))
    return (
        edges.where(F.col("source_domain") != F.col("target_domain"))
        .join(src, edges.source_domain == src.src_domain)
        .join(dst, edges.target_domain == dst.dst_domain)
        .select(
            "source_url",
            "src_domain",
            "src_firm_ids",
            "target_url",
            "dst_domain",
            "dst_firm_ids",
            "anchor_text",
            "kind",
        )
    )


def build_graph_aggr(graph: DataFrame) -> DataFrame:
    """One row per ordered pair of seed domains: `<a href>` links and distinct source pages."""
    return (
        graph.where(F.col("kind") == "a")
        .groupBy("src_domain", "dst_domain")
        .agg(
            F.count(F.lit(1)).alias("n_links"),
            F.countDistinct("source_url").alias("n_pages"),
        )
        .orderBy("src_domain", "dst_domain")
    )
