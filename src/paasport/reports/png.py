"""`paasport costs --png DIR`: each report chart as a PNG file."""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

from paasport.reports.charts import Record, build_charts
from paasport.reports.html import write_atomically

DPI = 100


def write_png_charts(records: Sequence[Record], directory: Path) -> list[Path]:
    """Write cost_by_asset.png, duration_by_asset.png, cost_over_time.png, cheapest_platform.png.

    The directory is created if missing; each file is written atomically, so a failed render
    never leaves a truncated PNG. With no records each chart says there is no data.
    """
    directory.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for chart in build_charts(records):
        buffer = io.BytesIO()
        chart.figure.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
        path = directory / f"{chart.name}.png"
        write_atomically(path, buffer.getvalue())
        written.append(path)
    return written
