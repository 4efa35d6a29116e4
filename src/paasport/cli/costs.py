"""`paasport pricing show|refresh` and `paasport costs`: the catalog and what runs cost."""

from __future__ import annotations

import datetime
import json
import os
import shutil
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from paasport.cli.common import console, dagster_instance, project_config
from paasport.pricing.catalog import CatalogError, load_catalog, packaged_files, user_pricing_dir
from paasport.reports.records import CostRecord, read_cost_records, run_totals

pricing_app = typer.Typer(help="The pricing catalog behind every cost.", no_args_is_help=True)


@pricing_app.command("show")
def pricing_show(
    service: Annotated[str | None, typer.Option(help="only this catalog service, e.g. ec2")] = None,
    region: Annotated[str | None, typer.Option(help="only this region (and '*' rows)")] = None,
    item: Annotated[str | None, typer.Option(help="only items containing this text")] = None,
) -> None:
    """Print the catalog (packaged, refreshed and paasport.toml prices, discounts applied)."""
    config = project_config()
    try:
        catalog = load_catalog(config.pricing)
    except CatalogError as exc:
        console.print(f"[red]invalid pricing catalog:[/red] {exc}")
        raise typer.Exit(2) from None
    table = Table(title=f"pricing catalog ({len(catalog)} prices; overrides: {config.source})")
    for col in ("service", "item", "region", "price", "unit", "min", "date"):
        table.add_column(col, no_wrap=True)
    wide = console.width >= 120  # sources only fit a wide terminal
    if wide:
        table.add_column("source / assumption", overflow="fold")
    shown = 0
    for p in catalog:
        if service and p.service != service:
            continue
        if region and p.region not in (region, "*"):
            continue
        if item and item not in p.item:
            continue
        shown_price = catalog.find(p.service, p.item, p.region) or p  # with discounts
        source = p.source.removeprefix("https://")
        note = source + (f"\n[italic]{p.assumption}[/italic]" if p.assumption else "")
        row = [p.service, p.item, p.region, f"{shown_price.price.normalize():f}",
               f"{p.currency}/{p.unit}", f"{p.min_billed_s} s" if p.min_billed_s else "",
               p.effective_date]  # fmt: skip
        table.add_row(*row, *([note] if wide else []))
        shown += 1
    console.print(table)
    if config.pricing.discounts:
        console.print(f"discounts applied: {dict(config.pricing.discounts)}")
    console.print(f"{shown} of {len(catalog)} prices shown")
    if not wide:
        console.print("(sources and assumptions are shown in a terminal 120 columns wide)")


@pricing_app.command("refresh")
def pricing_refresh() -> None:
    """Update the AWS prices (EC2, EMR fee, EBS) from the AWS Price List API.

    Needs AWS credentials allowed `pricing:GetProducts`. Writes the refreshed file to the user's
    pricing folder; on any failure the previous file is kept as it was."""
    from paasport.pricing.refresh import RefreshError, pricing_client, refresh_aws_prices

    target = user_pricing_dir() / "aws.csv"
    packaged = next(f for f in packaged_files() if f.name == "aws.csv")
    work = target if target.is_file() else target.with_name("aws.csv.new")
    try:
        client = pricing_client()
        target.parent.mkdir(parents=True, exist_ok=True)
        if work != target:
            shutil.copyfile(packaged, work)
        report = refresh_aws_prices(work, client=client, today=datetime.date.today(),
                                    log=console.print)  # fmt: skip
        if work != target:
            os.replace(work, target)
    except RefreshError as exc:
        console.print(f"[red]pricing refresh failed:[/red] {exc}")
        raise typer.Exit(1) from None
    finally:
        if work != target:
            work.unlink(missing_ok=True)
    console.print(
        f"{target}: {report.updated} prices changed, {report.unchanged} unchanged, "
        f"{len(report.large_changes)} large changes"
    )


def _usd(value: float) -> str:
    """Cents, or four decimals for amounts under a cent (emulated and tiny runs)."""
    return f"{value:,.2f}" if value == 0 or abs(value) >= 0.01 else f"{value:.4f}"


def _table(records: list[CostRecord]) -> Table:
    table = Table(title="cost per materialization (USD)")
    for col in ("run", "asset", "partition", "platform", "team/project", "duration",
                "compute", "storage", "surcharge", "total"):  # fmt: skip
        table.add_column(col, justify="right" if col in MONEY_COLUMNS else "left")
    totals = run_totals(records)
    by_run: dict[str, list[CostRecord]] = defaultdict(list)
    for r in records:
        by_run[r.run_id].append(r)
    for run_id, rows in by_run.items():
        for r in rows:
            owner = "/".join(x for x in (r.team, r.project) if x)
            table.add_row(run_id[:8], r.asset, r.partition or "", r.platform, owner,
                          f"{r.duration_s / 3600:.2f} h", _usd(r.cost_usd_compute),
                          _usd(r.cost_usd_storage), _usd(r.cost_usd_platform),
                          _usd(r.cost_usd_total))  # fmt: skip
        t = totals[run_id]
        table.add_row(f"[bold]{run_id[:8]}[/bold]", "[bold]run total[/bold]", "", "", "",
                      f"{t['duration_s'] / 3600:.2f} h", _usd(t["cost_usd_compute"]),
                      _usd(t["cost_usd_storage"]), _usd(t["cost_usd_platform"]),
                      f"[bold]{_usd(t['cost_usd_total'])}[/bold]", end_section=True)  # fmt: skip
    return table


MONEY_COLUMNS = {"duration", "compute", "storage", "surcharge", "total"}


def _sums(records: list[CostRecord], key: str) -> dict[str, Decimal]:
    out: dict[str, Decimal] = defaultdict(Decimal)
    for r in records:
        out[str(getattr(r, key) or "-")] += Decimal(str(r.cost_usd_total))
    return dict(out)


def costs(
    asset: Annotated[list[str] | None, typer.Option(help="only this asset (repeatable)")] = None,
    run: Annotated[str | None, typer.Option(help="only this Dagster run id")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object per record")] = False,
    html: Annotated[Path | None, typer.Option(help="write a self-contained HTML report")] = None,
    png: Annotated[
        Path | None, typer.Option(help="write the charts as PNGs to this folder")
    ] = None,
) -> None:
    """What every materialization cost, per run, asset, partition, platform and team."""
    config = project_config()
    records = read_cost_records(dagster_instance(config), asset or (), run)
    if as_json:
        print(json.dumps([r.as_json() for r in records], indent=2))
    else:
        if not records:
            console.print(f"no materializations with cost in {os.environ['DAGSTER_HOME']}")
        else:
            console.print(_table(records))
            for key in ("platform", "team", "project"):
                sums = _sums(records, key)
                if set(sums) != {"-"}:
                    console.print(f"total by {key}: " + ", ".join(
                        f"{k} ${_usd(float(v))}" for k, v in sorted(sums.items())))  # fmt: skip
            grand = sum((Decimal(str(r.cost_usd_total)) for r in records), Decimal(0))
            console.print(f"[bold]total: ${_usd(float(grand))}[/bold] over {len(records)} "
                          f"materializations in {len(run_totals(records))} runs")  # fmt: skip
    rows = [r.as_json() for r in records]
    notes = Console(stderr=True) if as_json else console  # keep --json output pure JSON
    if html:
        from paasport.reports.html import write_html_report

        notes.print(f"HTML report: {write_html_report(rows, html)}", highlight=False)
    if png:
        from paasport.reports.png import write_png_charts

        for path in write_png_charts(rows, png):
            notes.print(f"chart: {path}", highlight=False)
