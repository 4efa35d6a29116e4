"""The Spark settings tuning may change, their kinds and bounds, and Spark size strings.

Tuning only touches keys listed here: everything else in an asset's spark_conf is the
user's business. Values are kept as Spark strings ("128m", "true", "200") so a plan can be
written straight back into a spark_conf.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from paasport.units import GiB, MiB, format_size, parse_size


@dataclass(frozen=True)
class Knob:
    """One tunable key. Bounds are in the kind's unit: bytes for bytes/memory, else count."""

    key: str
    kind: str  # "int" | "bytes" | "memory" | "bool"
    low: int | None = None
    high: int | None = None
    #: the value that switches the feature off, allowed besides [low, high] (e.g. -1)
    off: int | None = None
    #: Spark's default, used when the key is not set
    default: str | None = None


TUNABLE: dict[str, Knob] = {
    k.key: k
    for k in (
        Knob("spark.sql.shuffle.partitions", "int", 1, 4000, default="200"),
        Knob("spark.sql.files.maxPartitionBytes", "bytes", 4 * MiB, GiB, default="128m"),
        Knob(
            "spark.sql.autoBroadcastJoinThreshold", "bytes", MiB, 512 * MiB, off=-1, default="10m"
        ),
        Knob("spark.sql.adaptive.enabled", "bool", default="true"),
        Knob("spark.sql.adaptive.coalescePartitions.enabled", "bool", default="true"),
        Knob("spark.executor.memory", "memory", GiB, 64 * GiB, default="1g"),
        Knob("spark.executor.memoryOverhead", "memory", 384 * MiB, 16 * GiB),
        Knob("spark.driver.memory", "memory", GiB, 64 * GiB, default="1g"),
        Knob("spark.executor.instances", "int", 1, 1000),
    )
}


def parse_bool(text: object) -> bool | None:
    if isinstance(text, bool):
        return text
    if isinstance(text, str) and text.strip().lower() in ("true", "false"):
        return text.strip().lower() == "true"
    return None


def parse_int(text: object) -> int | None:
    if isinstance(text, bool):
        return None
    if isinstance(text, int):
        return text
    if isinstance(text, str) and re.fullmatch(r"\s*-?\d+\s*", text):
        return int(text)
    return None


def value_of(key: str, settings: Mapping[str, str]) -> int | bool | None:
    """The key's value in settings (or Spark's default), as a number or bool."""
    knob = TUNABLE[key]
    raw = settings.get(key, knob.default)
    if knob.kind == "bool":
        return parse_bool(raw)
    if knob.kind == "int":
        return parse_int(raw)
    return parse_size(raw, "m" if knob.kind == "memory" else "b")


def clamp(key: str, value: int) -> int:
    """value within the key's bounds (its off value passes through)."""
    knob = TUNABLE[key]
    if knob.off is not None and value == knob.off:
        return value
    if knob.low is not None:
        value = max(knob.low, value)
    if knob.high is not None:
        value = min(knob.high, value)
    return value


def to_spark(key: str, value: int | bool) -> str:
    """A bounded value as the Spark string the key takes."""
    knob = TUNABLE[key]
    if knob.kind == "bool" or isinstance(value, bool):
        return "true" if value else "false"
    value = clamp(key, int(value))
    if knob.kind == "int":
        return str(value)
    if knob.kind == "memory":
        # JVM memory takes whole MiB
        value = max(MiB, value // MiB * MiB)
    return format_size(value)


def tunable_only(settings: Mapping[str, object]) -> dict[str, str]:
    """The TUNABLE keys of settings, with string values (others dropped)."""
    out: dict[str, str] = {}
    for key, value in settings.items():
        if key in TUNABLE and isinstance(value, str | int | float) and not isinstance(value, bool):
            out[key] = str(value)
        elif key in TUNABLE and isinstance(value, bool):
            out[key] = "true" if value else "false"
    return out
