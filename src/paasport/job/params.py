"""Job parameters: what a job is asked to do, identical under Dagster Pipes and as a plain script.

Runs on the cluster: standard library only.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

#: The key under which the orchestrator passes paasport's part of the Pipes extras.
EXTRAS_KEY = "paasport"


class JobParamError(ValueError):
    """A parameter is missing or malformed; the message names it."""


#: the platform a job runs on when nothing says otherwise: this machine's Spark
DEFAULT_PLATFORM = "local"


@dataclass(frozen=True)
class JobParams:
    """Everything a job needs to know about its run besides the SparkSession."""

    asset: str | None = None
    partition_key: str | None = None
    #: One entry per partition dimension (a single-dimension asset uses its own name as key).
    partition_keys: Mapping[str, str] = field(default_factory=dict)
    params: Mapping[str, str] = field(default_factory=dict)
    #: Sample mode: the job should touch only a small part of its input.
    sample: bool = False
    platform: str = DEFAULT_PLATFORM
    run_id: str = "manual"
    spark_conf: Mapping[str, str] = field(default_factory=dict)

    def get(self, name: str, default: str | None = None) -> str | None:
        return self.params.get(name, default)

    def require(self, name: str) -> str:
        value = self.params.get(name)
        if value is None or value == "":
            known = ", ".join(sorted(self.params)) or "none"
            raise JobParamError(f"job parameter '{name}' is required (given: {known})")
        return value

    def partition(self, dimension: str) -> str:
        value = self.partition_keys.get(dimension)
        if value is None:
            known = ", ".join(sorted(self.partition_keys)) or "none"
            raise JobParamError(f"partition dimension '{dimension}' is not set (given: {known})")
        return value

    def to_extras(self) -> dict[str, Any]:
        return {
            "asset": self.asset,
            "partition_key": self.partition_key,
            "partition_keys": dict(self.partition_keys),
            "params": dict(self.params),
            "sample": self.sample,
            "platform": self.platform,
            "run_id": self.run_id,
            "spark_conf": dict(self.spark_conf),
        }

    @classmethod
    def from_extras(cls, extras: Mapping[str, Any]) -> JobParams:
        data = extras.get(EXTRAS_KEY)
        if not isinstance(data, Mapping):
            raise JobParamError(f"Pipes extras carry no '{EXTRAS_KEY}' section")
        return cls(
            asset=data.get("asset"),
            partition_key=data.get("partition_key"),
            partition_keys={str(k): str(v) for k, v in (data.get("partition_keys") or {}).items()},
            params={str(k): str(v) for k, v in (data.get("params") or {}).items()},
            sample=bool(data.get("sample", False)),
            platform=str(data.get("platform") or DEFAULT_PLATFORM),
            run_id=str(data.get("run_id") or "manual"),
            spark_conf={str(k): str(v) for k, v in (data.get("spark_conf") or {}).items()},
        )


def _pairs(values: Sequence[str] | None, flag: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in values or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise JobParamError(f"{flag} expects NAME=VALUE, got '{item}'")
        out[key] = value
    return out


def parse_cli(argv: Sequence[str] | None = None, prog: str | None = None) -> JobParams:
    """Parameters for a job run as a plain script (`python job.py --param k=v ...`)."""
    parser = argparse.ArgumentParser(
        prog=prog, description="Run this paasport job without Dagster (for debugging)."
    )
    parser.add_argument("--param", action="append", metavar="NAME=VALUE", help="job parameter")
    parser.add_argument(
        "--partition", action="append", metavar="DIM=KEY", help="partition key per dimension"
    )
    parser.add_argument("--partition-key", help="the partition key as Dagster names it")
    parser.add_argument("--conf", action="append", metavar="KEY=VALUE", help="Spark setting")
    parser.add_argument("--asset", help="asset name reported in metadata")
    parser.add_argument("--sample", action="store_true", help="process only a sample of the input")
    args = parser.parse_args(argv)
    try:
        partitions = _pairs(args.partition, "--partition")
        return JobParams(
            asset=args.asset,
            partition_key=args.partition_key or ("|".join(partitions.values()) or None),
            partition_keys=partitions,
            params=_pairs(args.param, "--param"),
            sample=args.sample,
            platform=DEFAULT_PLATFORM,
            spark_conf=_pairs(args.conf, "--conf"),
        )
    except JobParamError as exc:
        parser.error(str(exc))
        raise  # unreachable: parser.error exits
