"""`paasport plan`: which platform the planner picks for an asset, and why the others lost."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from paasport.cli_common import console, dagster_instance, project_config
from paasport.planner.choose import DEFAULT_CONFIDENCE, Plan, choose
from paasport.planner.history import Attempt, HistoryError, PlanRequest, read_history, read_requests

_DURATION = re.compile(r"^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s?)?$")


def parse_duration(text: str) -> float:
    """'2h', '90m', '1h30m', '45s' or plain seconds -> seconds."""
    match = _DURATION.match(text.strip())
    if not text.strip() or not match or not any(match.groups()):
        raise typer.BadParameter(f"'{text}' is not a duration like 2h, 90m, 1h30m or 45s")
    h, m, s = (float(g) if g else 0.0 for g in match.groups())
    return h * 3600 + m * 60 + s


def _print(plan: Plan) -> None:
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


def _from_instance(asset: str, partition: str | None) -> tuple[list[Attempt], int, list[str]]:
    """The asset's attempts from the Dagster instance (by profile, failed ones included), the
    input size to plan for, and the candidates: [planner]'s, else every profile seen."""
    from paasport.dagster.auto import history_for, input_size

    config = project_config()
    attempts = history_for(dagster_instance(config), asset)
    seen = sorted({a.platform for a in attempts})
    return attempts, input_size(attempts, partition), list(config.planner.candidates) or seen


def plan(
    asset: Annotated[str | None, typer.Argument(help="the asset (history from Dagster)")] = None,
    partition: Annotated[str | None, typer.Option(help="plan for this partition")] = None,
    deadline: Annotated[str | None, typer.Option(help="finish within, e.g. 2h or 90m")] = None,
    objective: Annotated[str, typer.Option(help="cost or time")] = "cost",
    platform: Annotated[list[str] | None, typer.Option(help="allowed platform (repeat)")] = None,
    history: Annotated[Path | None, typer.Option(help="offline: history JSON Lines")] = None,
    request: Annotated[Path | None, typer.Option(help="offline: request JSON")] = None,
    catalog: Annotated[
        Path | None, typer.Option(help="offline: JSON {platform: USD per hour} for priors")
    ] = None,
    confidence: Annotated[float, typer.Option(min=0.5, max=0.999)] = DEFAULT_CONFIDENCE,
    as_json: Annotated[bool, typer.Option("--json", help="print the plan as JSON")] = False,
) -> None:
    """Predict every allowed platform's duration and cost and pick one."""
    if objective not in ("cost", "time"):
        raise typer.BadParameter("--objective must be cost or time")
    try:
        rates: dict[str, float] = json.loads(catalog.read_text()) if catalog else {}
        if history or request:
            if not (history and request):
                raise typer.BadParameter("offline planning needs both --history and --request")
            attempts = read_history(history)
            requests, is_list = read_requests(request)
        else:
            if not asset:
                raise typer.BadParameter("name an ASSET, or give --history and --request")
            attempts, size, known = _from_instance(asset, partition)
            if not (platform or known):
                raise typer.BadParameter(
                    f"no history of {asset} and no [planner] candidates: name --platform"
                )
            requests = [PlanRequest(
                asset=asset, input_bytes=size, platforms=platform or known, objective=objective,
                deadline_s=parse_duration(deadline) if deadline else None)]  # fmt: skip
            is_list = False
    except (HistoryError, OSError, json.JSONDecodeError) as exc:
        console.print(f"[red]cannot plan:[/red] {exc}", soft_wrap=True)
        raise typer.Exit(2) from None
    plans = [choose(r, attempts, rates, confidence) for r in requests]
    if as_json:
        out: Any = [p.as_json() for p in plans] if is_list else plans[0].as_json()
        print(json.dumps(out, indent=2))
        return
    for p in plans:
        _print(p)
