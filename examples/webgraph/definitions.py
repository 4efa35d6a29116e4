"""Dagster definitions of the webgraph example, for `dagster dev -m webgraph.definitions`.

Paths come from the project config (`[params]` input, seeds, output, mode in paasport.toml),
relative to the config file.
"""

from __future__ import annotations

import dagster as dg

from paasport.config import load_config
from paasport.dagster import PaasportResource
from paasport.dagster.notify import webhook_sensors
from webgraph import layout
from webgraph.assets import WebgraphPaths, webgraph_assets


def paths_from_config() -> WebgraphPaths:
    config = load_config()
    root = config.root
    p = config.params
    return WebgraphPaths(
        input=root / p.get("input", "data/webgraph/input"),
        seeds=root / p.get("seeds", "data/webgraph/seeds"),
        output=root / p.get("output", "data/webgraph/output"),
        mode=layout.check_mode(p.get("mode", "wat")),
    )


defs = dg.Definitions(
    assets=webgraph_assets(paths_from_config()),
    resources={"paasport": PaasportResource()},
    # failed assets and ERROR checks to the webhook in $PAASPORT_WEBHOOK_URL, when it is set
    sensors=webhook_sensors(),
)
