"""EMR configuration classifications: merged correctly, with our defaults from practice.

dagster-aws merges classifications wrongly (a user's own `spark-defaults` or `spark-env` loses
the Pipes variables: it updates a dict with itself and overwrites the classification name), so
the EMR platform injects the Pipes variables with `merge_configurations` instead.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

Configuration = dict[str, Any]


def merge_configurations(
    base: Sequence[Mapping[str, Any]], extra: Sequence[Mapping[str, Any]]
) -> list[Configuration]:
    """`extra` over `base`, by classification: properties merge (extra wins), nested too."""
    out: list[Configuration] = [copy.deepcopy(dict(c)) for c in base]
    for extra_item in extra:
        item: Configuration = copy.deepcopy(dict(extra_item))
        same = next((c for c in out if c.get("Classification") == item.get("Classification")), None)
        if same is None:
            out.append(item)
            continue
        if "Properties" in item:
            same["Properties"] = {**same.get("Properties", {}), **item["Properties"]}
        if "Configurations" in item:
            same["Configurations"] = merge_configurations(
                same.get("Configurations", []), item["Configurations"]
            )
    return out


def pipes_env_configurations(env: Mapping[str, str]) -> list[Configuration]:
    """Where EMR passes env vars to the driver: YARN AM env (cluster mode) and the env files."""
    configs: list[Configuration] = [
        {
            "Classification": "spark-defaults",
            "Properties": {f"spark.yarn.appMasterEnv.{k}": v for k, v in env.items()},
        }
    ]
    for classification in ("spark-env", "yarn-env", "hadoop-env"):
        configs.append(
            {
                "Classification": classification,
                "Properties": {},
                "Configurations": [{"Classification": "export", "Properties": dict(env)}],
            }
        )
    return configs


def default_configurations(
    *, am_on_core: bool, maximize_resources: bool, delta_parallel_delete: bool
) -> list[Configuration]:
    spark_defaults: dict[str, str] = {}
    configs: list[Configuration] = []
    if am_on_core:
        # the application master on CORE (on-demand) nodes: losing a Spot task node then costs
        # executors, never the whole application
        configs.append(
            {
                "Classification": "yarn-site",
                "Properties": {
                    "yarn.node-labels.enabled": "true",
                    "yarn.node-labels.am.default-node-label-expression": "CORE",
                },
            }
        )
        spark_defaults["spark.yarn.am.nodeLabelExpression"] = "CORE"
    if delta_parallel_delete:
        spark_defaults["spark.databricks.delta.vacuum.parallelDelete.enabled"] = "true"
    if spark_defaults:
        configs.append({"Classification": "spark-defaults", "Properties": spark_defaults})
    if maximize_resources:
        configs.append(
            {"Classification": "spark", "Properties": {"maximizeResourceAllocation": "true"}}
        )
    return configs
