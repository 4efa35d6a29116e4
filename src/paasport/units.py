"""Byte units and how sizes read to a person; shared by diagnostics, tuning and reports."""

from __future__ import annotations

import math
import re

KiB = 1024
MiB = 1024 * KiB
GiB = 1024 * MiB

_UNITS = {"b": 1, "k": KiB, "m": MiB, "g": GiB, "t": 1024 * GiB}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([bkmgt]?)(?:i?b)?\s*$", re.IGNORECASE)


def parse_size(text: object, default_unit: str = "b") -> int | None:
    """Bytes in a Spark size string ("128m", "1g", "10485760b", 10485760); None if not one.

    A bare number is in `default_unit`: bytes for spark.sql.* sizes, MiB ("m") for JVM memory.
    "-1" parses to -1 (the off switch of autoBroadcastJoinThreshold).
    """
    if isinstance(text, bool):
        return None
    if isinstance(text, int):
        return text * _UNITS[default_unit]
    if not isinstance(text, str):
        return None
    if text.strip() == "-1":
        return -1
    m = _SIZE.match(text)
    if not m:
        return None
    unit = (m.group(2) or default_unit).lower()
    size = float(m.group(1)) * _UNITS[unit]
    return int(size) if math.isfinite(size) else None  # "999...9g" is no size


def format_size(n: int) -> str:
    """The shortest exact Spark string for n bytes: "1g", "128m", "4k", "1000b"."""
    if n < 0:
        return str(n)
    for unit in ("g", "m", "k"):
        if n and n % _UNITS[unit] == 0:
            return f"{n // _UNITS[unit]}{unit}"
    return f"{n}b"


def human_bytes(nbytes: float) -> str:
    """23975 -> '23.4 KiB'; whole bytes below 1 KiB."""
    for unit, size in (("GiB", GiB), ("MiB", MiB), ("KiB", KiB)):
        if abs(nbytes) >= size:
            return f"{nbytes / size:.1f} {unit}"
    return f"{nbytes:.0f} B"
