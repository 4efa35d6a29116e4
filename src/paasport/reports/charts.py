"""The cost report's charts, as matplotlib Figures built without pyplot.

Figures are made with `matplotlib.figure.Figure` and an explicit Agg canvas, so building a report
never touches pyplot's global figure list or backend and needs no display.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.cbook import boxplot_stats
from matplotlib.colors import to_rgba
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter, date2num
from matplotlib.figure import Figure
from matplotlib.patches import Patch

Record = Mapping[str, Any]
Color = tuple[float, float, float, float]

WIDTH_IN = 10.0
# Tall enough for many assets, capped so a huge asset list still gives a viewable image.
MAX_HEIGHT_IN = 40.0
NO_DATA = "No materializations with cost"


@dataclass(frozen=True)
class Chart:
    """One chart of the report; `name` is also its PNG file stem."""

    name: str
    title: str
    figure: Figure


def started_at(record: Record) -> datetime:
    """The record's start as an aware UTC datetime (a naive timestamp is taken as UTC)."""
    value = datetime.fromisoformat(str(record["started_at"]))
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def number(record: Record, key: str) -> float:
    """A numeric field; None (e.g. a cost not computed) counts as 0."""
    value = record.get(key)
    return 0.0 if value is None else float(value)


def format_usd(value: float) -> str:
    """Dollars, with sub-dollar amounts to 4 decimals: small test runs cost fractions of a cent."""
    return f"${value:,.2f}" if abs(value) >= 1 else f"${value:.4f}"


def median_cost_per_asset_platform(records: Sequence[Record]) -> dict[str, dict[str, float]]:
    """asset -> platform -> median total cost (USD) of one materialization, both sorted by name."""
    costs: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for record in records:
        costs[str(record["asset"])][str(record["platform"])].append(
            number(record, "cost_usd_total")
        )
    return {
        asset: {platform: statistics.median(values) for platform, values in sorted(by.items())}
        for asset, by in sorted(costs.items())
    }


def cheapest_platform_per_asset(records: Sequence[Record]) -> dict[str, tuple[str, float]]:
    """asset -> (platform, median cost USD) of the platform with the lowest median cost.

    The median, not the mean, so one cold-start or retried run does not decide; a tie goes to the
    platform first by name, so the answer is stable.
    """
    return {
        asset: min(medians.items(), key=lambda item: (item[1], item[0]))
        for asset, medians in median_cost_per_asset_platform(records).items()
    }


def _label(text: object, limit: int = 40) -> str:
    """A chart label from user text: shortened, and `$` escaped so it is never read as math."""
    value = str(text)
    if len(value) > limit:
        value = value[: limit - 1] + "…"
    return value.replace("$", r"\$")


def _unique(records: Sequence[Record], key: str) -> list[str]:
    return sorted({str(record[key]) for record in records})


def _colors(platforms: Sequence[str]) -> dict[str, Color]:
    palette = colormaps["tab10"]
    return {platform: to_rgba(palette(i % 10)) for i, platform in enumerate(platforms)}


def _new_figure(height: float) -> Figure:
    figure = Figure(figsize=(WIDTH_IN, min(height, MAX_HEIGHT_IN)), layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def _rows_height(assets: int, platforms: int) -> float:
    return max(3.5, 1.6 + assets * (0.3 + 0.18 * platforms))


def _no_data(title: str) -> Figure:
    figure = _new_figure(2.5)
    ax = figure.add_subplot()
    ax.set_axis_off()
    figure.suptitle(title)
    ax.text(0.5, 0.5, NO_DATA, ha="center", va="center", fontsize=14, color="0.4")
    return figure


def _zero_based(ax: Axes, values: Sequence[float], axis: str, headroom: float = 1.05) -> None:
    # Costs and durations start at 0; all-zero data would give an empty (singular) range.
    top = max(values, default=0.0)
    limits = (0.0, top * headroom if top > 0 else 1.0)
    if axis == "x":
        ax.set_xlim(*limits)
    else:
        ax.set_ylim(*limits)


def _legend(figure: Figure, colors: Mapping[str, Color]) -> None:
    handles = [Patch(facecolor=color, edgecolor="black") for color in colors.values()]
    labels = [_label(platform, 24) for platform in colors]
    figure.legend(handles, labels, title="platform", loc="outside right upper")


def _asset_axis(ax: Axes, assets: Sequence[str]) -> None:
    ax.set_yticks(range(len(assets)), labels=[_label(asset) for asset in assets])
    ax.set_ylim(len(assets) - 0.5, -0.5)  # first asset at the top, like the table
    ax.set_ylabel("asset")


def _boxes(
    ax: Axes, data: Sequence[Sequence[float]], ys: Sequence[float], height: float, color: Color
) -> None:
    """Horizontal Tukey box plots drawn from boxplot_stats.

    Not Axes.boxplot: it iterates all rcParams, which resolves the default backend through
    pyplot, so it imports pyplot and may switch the process to a GUI backend.
    """
    for values, y in zip(data, ys, strict=True):
        (box,) = boxplot_stats(list(values))
        q1, q3, low, high = box["q1"], box["q3"], box["whislo"], box["whishi"]
        face = (*color[:3], 0.45)
        ax.barh(y, q3 - q1, left=q1, height=height, color=face, edgecolor=color, linewidth=1)
        ax.hlines([y, y], [low, q3], [q1, high], color=color, linewidth=1)
        ax.vlines([low, high], y - height / 4, y + height / 4, color=color, linewidth=1)
        ax.vlines(box["med"], y - height / 2, y + height / 2, color="black", linewidth=1.5)


def _box_figure(records: Sequence[Record], key: str, title: str, xlabel: str) -> Figure:
    """Horizontal box plots per asset (rows) and platform (offset within the row), runs as dots."""
    if not records:
        return _no_data(title)
    assets, platforms = _unique(records, "asset"), _unique(records, "platform")
    colors = _colors(platforms)
    values: dict[tuple[str, str], list[float]] = defaultdict(list)
    for record in records:
        values[(str(record["asset"]), str(record["platform"]))].append(number(record, key))
    figure = _new_figure(_rows_height(len(assets), len(platforms)))
    ax = figure.add_subplot()
    step = 0.8 / len(platforms)
    for j, platform in enumerate(platforms):
        offset = -0.4 + step * (j + 0.5)
        positions = [i + offset for i, a in enumerate(assets) if (a, platform) in values]
        data = [values[(a, platform)] for a in assets if (a, platform) in values]
        color = colors[platform]
        _boxes(ax, data, positions, step * 0.8, color)
        # The dots show how many runs a box stands for: with two runs a box alone misleads.
        xs = [v for run_values in data for v in run_values]
        ys = [y for y, run_values in zip(positions, data, strict=True) for _ in run_values]
        ax.scatter(xs, ys, s=10, color=color, edgecolors="black", linewidths=0.3, zorder=3)
    _asset_axis(ax, assets)
    _zero_based(ax, [v for vs in values.values() for v in vs], "x")
    ax.set_xlabel(xlabel)
    figure.suptitle(title)
    ax.grid(axis="x", alpha=0.3)
    _legend(figure, colors)
    return figure


def cost_by_asset_figure(records: Sequence[Record]) -> Figure:
    return _box_figure(
        records,
        "cost_usd_total",
        "Cost per materialization, by asset and platform",
        "total cost per materialization (USD)",
    )


def duration_by_asset_figure(records: Sequence[Record]) -> Figure:
    return _box_figure(
        records,
        "duration_s",
        "Duration per materialization, by asset and platform",
        "duration (seconds)",
    )


def cost_over_time_figure(records: Sequence[Record]) -> Figure:
    """Total cost of each run against its start, one line per platform."""
    title = "Cost per run over time"
    if not records:
        return _no_data(title)
    runs: dict[tuple[str, str], tuple[datetime, float]] = {}
    for record in records:
        key = (str(record["platform"]), str(record["run_id"]))
        start, cost = started_at(record), number(record, "cost_usd_total")
        if key in runs:
            start, cost = min(start, runs[key][0]), cost + runs[key][1]
        runs[key] = (start, cost)
    colors = _colors(_unique(records, "platform"))
    figure = _new_figure(4.5)
    ax = figure.add_subplot()
    for platform, color in colors.items():
        points = sorted(point for (p, _), point in runs.items() if p == platform)
        ax.plot(
            [date2num(start) for start, _ in points],
            [cost for _, cost in points],
            marker="o",
            markersize=4,
            linewidth=1.2,
            color=color,
        )
    # Pad the time range: matplotlib widens a single instant to years, which hides the point.
    starts = [start for start, _ in runs.values()]
    pad = max((max(starts) - min(starts)) * 0.05, timedelta(hours=2))
    ax.set_xlim(date2num(min(starts) - pad), date2num(max(starts) + pad))
    locator = AutoDateLocator(tz=UTC)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(ConciseDateFormatter(locator, tz=UTC))
    _zero_based(ax, [cost for _, cost in runs.values()], "y", headroom=1.1)
    ax.set_xlabel("run start (UTC)")
    ax.set_ylabel("total cost per run (USD)")
    figure.suptitle(title)
    ax.grid(alpha=0.3)
    _legend(figure, colors)
    return figure


def cheapest_platform_figure(records: Sequence[Record]) -> Figure:
    """Median cost per asset and platform as bars; the cheapest bar per asset outlined and named."""
    title = "Cheapest platform per asset (median cost per materialization)"
    if not records:
        return _no_data(title)
    medians = median_cost_per_asset_platform(records)
    cheapest = cheapest_platform_per_asset(records)
    assets, platforms = list(medians), _unique(records, "platform")
    colors = _colors(platforms)
    figure = _new_figure(_rows_height(len(assets), len(platforms)))
    ax = figure.add_subplot()
    step = 0.8 / len(platforms)
    top = max((v for by in medians.values() for v in by.values()), default=0.0)
    for i, asset in enumerate(assets):
        best, best_cost = cheapest[asset]
        for j, platform in enumerate(platforms):
            if platform not in medians[asset]:
                continue
            y, cost = i - 0.4 + step * (j + 0.5), medians[asset][platform]
            is_best = platform == best
            color = colors[platform]
            ax.barh(
                y,
                cost,
                height=step * 0.9,
                color=color if is_best else (*color[:3], 0.35),
                edgecolor="black" if is_best else "none",
                linewidth=1.5,
            )
            if is_best:
                text = f"cheapest: {_label(best, 24)}, {_label(format_usd(best_cost))}"
                ax.text(cost + top * 0.01, y, " " + text, va="center", fontsize=8)
    _asset_axis(ax, assets)
    # Room on the right for the "cheapest" labels.
    _zero_based(ax, [top], "x", headroom=1.6)
    ax.set_xlabel("median total cost per materialization (USD)")
    figure.suptitle(title)
    ax.grid(axis="x", alpha=0.3)
    _legend(figure, colors)
    return figure


CHARTS: dict[str, tuple[str, Callable[[Sequence[Record]], Figure]]] = {
    "cost_by_asset": ("Cost per asset by platform", cost_by_asset_figure),
    "duration_by_asset": ("Duration per asset by platform", duration_by_asset_figure),
    "cost_over_time": ("Cost over time", cost_over_time_figure),
    "cheapest_platform": ("Cheapest platform per asset", cheapest_platform_figure),
}


def build_charts(records: Sequence[Record]) -> list[Chart]:
    """All report charts, in report order; with no records each says there is no data."""
    return [Chart(name, title, build(records)) for name, (title, build) in CHARTS.items()]
