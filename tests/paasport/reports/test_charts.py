"""The report's charts: the cheapest platform by hand, the figures, PNG files, edge cases."""

from __future__ import annotations

import io
import struct
import subprocess
import sys
import warnings
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from paasport.reports.charts import (
    build_charts,
    cheapest_platform_per_asset,
    cost_by_asset_figure,
    cost_over_time_figure,
    median_cost_per_asset_platform,
    started_at,
)
from paasport.reports.png import write_png_charts

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
CHART_NAMES = ["cost_by_asset", "duration_by_asset", "cost_over_time", "cheapest_platform"]


def rec(
    asset: str,
    platform: str,
    cost: float,
    *,
    run_id: str = "",
    started: str = "2026-03-01T08:00:00+00:00",
    duration: float = 60.0,
) -> dict[str, Any]:
    return {
        "run_id": run_id or f"{platform}-{asset}-{cost}",
        "asset": asset,
        "partition": None,
        "platform": platform,
        "profile": f"{platform}-prod",
        "started_at": started,
        "duration_s": duration,
        "cost_usd_total": cost,
        "cost_usd_compute": cost * 0.8,
        "cost_usd_storage": cost * 0.1,
        "cost_usd_platform": cost * 0.1,
        "basis": "list-price",
        "team": None,
        "project": None,
    }


# Hand calculation: a/emr costs 1, 3, 2 -> median 2; a/databricks 1.5, 1.5, 9 -> median 1.5, so
# databricks wins though its mean (4) is the highest. b: dataproc 0.4, 0.6 -> 0.5 ties emr's 0.5,
# and the tie goes to the name first in order. c runs on one platform only, at zero cost.
HAND = [
    *(rec("a", "emr", c, run_id=f"e{i}") for i, c in enumerate([1.0, 3.0, 2.0])),
    *(rec("a", "databricks", c, run_id=f"d{i}") for i, c in enumerate([1.5, 1.5, 9.0])),
    rec("b", "dataproc", 0.4),
    rec("b", "dataproc", 0.6),
    rec("b", "emr", 0.5),
    rec("c", "local", 0.0),
]


def test_median_cost_per_asset_and_platform() -> None:
    assert median_cost_per_asset_platform(HAND) == {
        "a": {"databricks": 1.5, "emr": 2.0},
        "b": {"dataproc": 0.5, "emr": 0.5},
        "c": {"local": 0.0},
    }


def test_cheapest_platform_per_asset_by_median() -> None:
    assert cheapest_platform_per_asset(HAND) == {
        "a": ("databricks", 1.5),
        "b": ("dataproc", 0.5),
        "c": ("local", 0.0),
    }
    assert cheapest_platform_per_asset([]) == {}


def test_started_at_is_utc() -> None:
    expected = datetime(2026, 3, 1, 6, 0, tzinfo=UTC)
    assert started_at({"started_at": "2026-03-01T08:00:00+02:00"}) == expected
    assert started_at({"started_at": "2026-03-01T06:00:00Z"}) == expected
    assert started_at({"started_at": "2026-03-01T06:00:00"}) == expected


def test_charts_have_titles_units_and_one_row_per_asset() -> None:
    charts = build_charts(HAND)
    assert [chart.name for chart in charts] == CHART_NAMES
    labels = {}
    for chart in charts:
        figure = chart.figure
        assert figure.get_suptitle()
        assert len(figure.legends) == 1
        ax = figure.axes[0]
        labels[chart.name] = f"{ax.get_xlabel()} | {ax.get_ylabel()}"
    assert "(USD)" in labels["cost_by_asset"]
    assert "(seconds)" in labels["duration_by_asset"]
    assert "(USD)" in labels["cost_over_time"] and "UTC" in labels["cost_over_time"]
    assert "(USD)" in labels["cheapest_platform"]
    for chart in (charts[0], charts[1], charts[3]):
        ticks = [t.get_text() for t in chart.figure.axes[0].get_yticklabels()]
        assert ticks == ["a", "b", "c"]


def test_cost_over_time_sums_each_run() -> None:
    records = [
        rec("a", "emr", 1.0, run_id="r1", started="2026-03-01T08:00:00+00:00"),
        rec("b", "emr", 2.0, run_id="r1", started="2026-03-01T08:05:00+00:00"),
        rec("a", "emr", 0.5, run_id="r2", started="2026-03-02T08:00:00+00:00"),
    ]
    (line,) = cost_over_time_figure(records).axes[0].get_lines()
    assert np.asarray(line.get_ydata()).tolist() == [3.0, 0.5]


def many_assets() -> list[dict[str, Any]]:
    platforms = ["emr", "emr_serverless", "glue", "databricks", "dataproc", "local"]
    return [
        rec(f"asset_{a:02d}_with_a_rather_long_name_that_gets_shortened", p, 0.01 * (a + i + 1))
        for a in range(20)
        for i, p in enumerate(platforms)
    ]


EDGE_CASES = {
    "one record": [rec("a", "emr", 0.25)],
    "one platform": [rec("a", "emr", 0.1), rec("b", "emr", 0.2), rec("b", "emr", 0.3)],
    "zero cost": [rec("a", "emr", 0.0, duration=0.0), rec("a", "local", 0.0, duration=0.0)],
    "many assets": many_assets(),
    # `$` would start matplotlib math text, and an odd count of them a parse error.
    "dollar signs": [rec("cost$a$b$", "emr", 0.1), rec("x$y", "glue$", 0.2)],
    "no records": [],
}


@pytest.mark.parametrize("records", EDGE_CASES.values(), ids=EDGE_CASES.keys())
def test_every_chart_renders_without_warnings(records: list[dict[str, Any]]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for chart in build_charts(records):
            buffer = io.BytesIO()
            chart.figure.savefig(buffer, format="png")
            assert buffer.getvalue().startswith(PNG_SIGNATURE)


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data.startswith(PNG_SIGNATURE)
    width, height = struct.unpack(">II", data[16:24])  # the IHDR chunk comes first
    return width, height


def test_write_png_charts(tmp_path: Path) -> None:
    directory = tmp_path / "new" / "charts"
    paths = write_png_charts(HAND, directory)
    assert paths == [directory / f"{name}.png" for name in CHART_NAMES]
    for path in paths:
        width, height = png_size(path)
        assert width == 1000 and 300 <= height <= 4000, (path.name, width, height)
        assert 5_000 < path.stat().st_size < 1_000_000
    assert sorted(p.name for p in directory.iterdir()) == sorted(p.name for p in paths)


def test_many_assets_make_a_taller_chart() -> None:
    small, large = cost_by_asset_figure(HAND), cost_by_asset_figure(many_assets())
    assert large.get_size_inches()[1] > small.get_size_inches()[1]


def test_building_charts_never_imports_pyplot() -> None:
    # pyplot's global figure list and backend switching are what this module must not touch.
    code = (
        "import sys\n"
        "from paasport.reports.html import render_html\n"
        "from paasport.reports.png import write_png_charts\n"
        f"render_html({HAND!r})\n"
        "assert 'matplotlib.pyplot' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
