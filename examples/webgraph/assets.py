"""The webgraph assets: nodes -> edges -> graph -> graph_aggr, partitioned by crawl x seed list."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from paasport.dagster import spark_asset
from webgraph import layout

JOBS = Path(__file__).with_name("jobs")
GROUP = "webgraph"


@dataclass(frozen=True)
class WebgraphPaths:
    input: Path
    seeds: Path
    output: Path
    mode: layout.Mode = "wat"

    def params(self) -> dict[str, str]:
        return {
            "input": str(self.input.resolve()),
            "seeds": str(self.seeds.resolve()),
            "output": str(self.output.resolve()),
            "mode": self.mode,
        }


def partitions(paths: WebgraphPaths) -> dg.MultiPartitionsDefinition:
    return dg.MultiPartitionsDefinition(
        {
            "crawl": dg.StaticPartitionsDefinition(layout.crawl_ids(paths.input)),
            "seeds": dg.StaticPartitionsDefinition(layout.seed_stems(paths.seeds)),
        }
    )


def webgraph_assets(paths: WebgraphPaths) -> list[dg.AssetsDefinition]:
    part = partitions(paths)
    params = paths.params()

    def job(
        name: str, deps: list[dg.AssetsDefinition], checks: tuple[str, ...] = ()
    ) -> dg.AssetsDefinition:
        return spark_asset(
            name=name,
            job=JOBS / f"{name}.py",
            partitions_def=part,
            deps=deps,
            params=params,
            checks=checks,
            group_name=GROUP,
            description=(JOBS / f"{name}.py").read_text().split('"""')[1].strip(),
        )

    nodes = job("nodes", [], ("valid_seed_rows",))
    edges = job("edges", [nodes], ("input_integrity",))
    graph = job("graph", [edges, nodes])
    graph_aggr = job("graph_aggr", [graph])
    return [nodes, edges, graph, graph_aggr]
