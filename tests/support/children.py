"""Materialize the test job in child processes, as Dagster's run workers would: for many
partitions at once (a process each), or for a run that is then interrupted with SIGINT.

Processes, not threads: Python 3.11.7's parser is not safe when threads parse code at once
(Dagster and PySpark import and inspect code on every run).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

_CHILD = textwrap.dedent(
    """
    import json, sys
    import dagster as dg
    from paasport.dagster import PaasportResource, spark_asset
    job, out, profile, key, extra = sys.argv[1:6]
    keys = [str(i) for i in range(1, 9)]
    asset = spark_asset(
        name="counts", job=job, params={"output": out, "n": "700", **json.loads(extra)},
        checks=["has_rows"],
        partitions_def=dg.StaticPartitionsDefinition(keys) if key else None,
    )
    result = dg.materialize(
        [asset],
        instance=dg.DagsterInstance.ephemeral(),
        partition_key=key or None,
        resources={"paasport": PaasportResource(extra_profiles={"cloud": json.loads(profile)})},
        run_config={"ops": {"counts": {"config": {"platform": "cloud"}}}},
    )
    meta = result.asset_materializations_for_node("counts")[0].metadata
    print("FACTS " + json.dumps(meta["platform_facts"].value))
    """
)


def start_child(
    job: Path, out: Path, profile: dict[str, Any], key: str = "", **params: str
) -> subprocess.Popen[str]:
    """One Dagster run of the count job in a child process (key "": unpartitioned)."""
    return subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(job), str(out), json.dumps(profile), key,
         json.dumps(params)],
        env=os.environ.copy(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip


def run_partitions(
    job: Path, out: Path, profile: dict[str, Any], keys: Sequence[str], timeout_s: float = 600
) -> list[dict[str, Any]]:
    """Materialize each partition in its own process, all at once; their run facts."""
    children = [start_child(job, out, profile, key) for key in keys]
    outputs = [child.communicate(timeout=timeout_s) for child in children]
    for child, (_, err) in zip(children, outputs, strict=True):
        assert child.returncode == 0, err[-3000:]
    return [
        json.loads(next(line for line in stdout.splitlines() if line.startswith("FACTS "))[6:])
        for stdout, _ in outputs
    ]


def wait_for(check: Callable[[], Any], timeout_s: float, what: str) -> None:
    deadline = time.time() + timeout_s
    while not check():
        if time.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.5)
