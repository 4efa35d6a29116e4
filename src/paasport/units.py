"""Byte units and how sizes read to a person; shared by diagnostics, tuning and reports."""

from __future__ import annotations

KiB = 1024
MiB = 1024 * KiB
GiB = 1024 * MiB


def human_bytes(nbytes: float) -> str:
    """23975 -> '23.4 KiB'; whole bytes below 1 KiB."""
    for unit, size in (("GiB", GiB), ("MiB", MiB), ("KiB", KiB)):
        if abs(nbytes) >= size:
            return f"{nbytes / size:.1f} {unit}"
    return f"{nbytes:.0f} B"
