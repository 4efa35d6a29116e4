"""`paasport plan`: which platform the planner picks for an asset, and why the others lost.

For an asset it calls the planner `platform = "auto"` runs (`planner.plan.plan_asset`, through
`dagster.auto.plan_from_instance`), so what it explains is what would run."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from paasport.cli.common import console, dagster_instance, project_config
from paasport.planner.choose import DEFAULT_CONFIDENCE
from paasport.planner.history import HistoryError, read_history, read_requests
from paasport.planner.plan import AssetPlan, NoCandidatesError, Overrides, plan_request
from paasport.planner.priors import config_prices
from paasport.pricing.catalog import CatalogError, load_catalog

_DURATION = re.compile(r"^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s?)?$")


def parse_duration(text: str) -> float:
    """'2h', '90m', '1h30m', '45s' or plain seconds -> seconds."""
    match = _DURATION.match(text.strip())
    if not text.strip() or not match or not any(match.groups()):
        raise typer.BadParameter(f"'{text}' is not a duration like 2h, 90m, 1h30m or 45s")
    h, m, s = (float(g) if g else 0.0 for g in match.groups())
    return h * 3600 + m * 60 + s


def _print(asset_plan: AssetPlan) -> None:
    plan = asset_plan.plan
    r = plan.request
    size = r.input_bytes / 1024**3
    shown = f"{size:.2f} GB" if size >= 1 else f"{r.input_bytes / 1024**2:.2f} MB"
    title = f"plan for {r.asset} ({shown} in, objective {r.objective}"
    title += f", deadline {r.deadline_s:.0f} s)" if r.deadline_s else ")"
    table = Table(title=title)
    for col in ("platform", "duration", "cost (USD)", "feasible", "why", "based on"):
        table.add_column(col, overflow="fold")
    for c in plan.candidates:
        p = c.prediction
        table.add_row(
            f"[bold]{c.platform}[/bold]" if c.platform == plan.platform else c.platform,
            f"{p.duration_s:.0f} s" if p else "-",
            f"{p.cost_usd:.4f}" if p else "-",
            "yes" if c.feasible else "no",
            c.reason,
            p.basis if p else "",
        )
    console.print(table)
    console.print(f"chosen: {plan.platform or 'none: no candidate is feasible'}")
    console.print(f"order tried: {', '.join(asset_plan.order)} ({asset_plan.why})")


def _from_instance(
    asset: str, partition: str | None, asked: Overrides, rates: dict[str, float] | None
) -> AssetPlan:
    """The plan `platform = "auto"` would run now: the same planner on the instance's history,
    with priors at the catalog's list prices (or the --catalog prices) and egress."""
    from paasport.dagster.auto import plan_from_instance

    config = project_config()
    catalog = load_catalog(config.pricing)
    prices = rates.get if rates is not None else config_prices(config, asset, catalog)
    instance = dagster_instance(config)
    return plan_from_instance(instance, config, asset, partition, prices, catalog, asked)[0]


def plan(
    asset: Annotated[str | None, typer.Argument(help="the asset (history from Dagster)")] = None,
    partition: Annotated[str | None, typer.Option(help="plan for this partition")] = None,
    deadline: Annotated[str | None, typer.Option(help="finish within, e.g. 2h or 90m")] = None,
    objective: Annotated[
        str | None, typer.Option(help="cost or time (default: [planner] objective)")
    ] = None,
    platform: Annotated[list[str] | None, typer.Option(help="allowed platform (repeat)")] = None,
    history: Annotated[Path | None, typer.Option(help="offline: history JSON Lines")] = None,
    request: Annotated[Path | None, typer.Option(help="offline: request JSON")] = None,
    catalog: Annotated[
        Path | None, typer.Option(help="JSON {platform: USD per hour} for priors")
    ] = None,
    confidence: Annotated[
        float | None, typer.Option(min=0.5, max=0.999, help="default: [planner] confidence")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the plan as JSON")] = False,
) -> None:
    """Predict every allowed platform's duration and cost and pick one: for an ASSET, exactly
    the plan `platform = "auto"` would run on its history (exploring, egress, priors)."""
    if objective not in (None, "cost", "time"):
        raise typer.BadParameter("--objective must be cost or time")
    try:
        rates: dict[str, float] | None = json.loads(catalog.read_text()) if catalog else None
        if history or request:
            if not (history and request):
                raise typer.BadParameter("offline planning needs both --history and --request")
            attempts = read_history(history)
            requests, is_list = read_requests(request)
            # offline the request is the whole question: no project to explore for
            level = confidence or DEFAULT_CONFIDENCE
            plans = [plan_request(r, attempts, rates, level) for r in requests]
        else:
            if not asset:
                raise typer.BadParameter("name an ASSET, or give --history and --request")
            asked = Overrides(
                candidates=platform or None,
                objective=objective,  # type: ignore[arg-type]  # checked above
                deadline_s=parse_duration(deadline) if deadline else None,
                confidence=confidence,
            )
            plans, is_list = [_from_instance(asset, partition, asked, rates)], False
    except NoCandidatesError as exc:
        raise typer.BadParameter(f"{exc}: name --platform") from None
    except (HistoryError, CatalogError, OSError, json.JSONDecodeError) as exc:
        console.print(f"[red]cannot plan:[/red] {exc}", soft_wrap=True)
        raise typer.Exit(2) from None
    if as_json:
        out: Any = [p.as_json() for p in plans] if is_list else plans[0].as_json()
        print(json.dumps(out, indent=2))
        return
    for p in plans:
        _print(p)
