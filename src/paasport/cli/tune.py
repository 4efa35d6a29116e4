"""`paasport tune`: an asset's tuning state on one profile, from the Dagster event log."""

from __future__ import annotations

import json
import os
from typing import Annotated, Any

import typer
from rich.markup import escape

from paasport.cli.common import console, dagster_instance, project_config


def _settings(values: dict[str, str]) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(values.items())) or "(none tunable)"


def _figure(values: list[float]) -> str:
    return ", ".join(f"{v:.4g}" for v in values) or "no measured run yet"


def tune(
    asset: Annotated[str, typer.Argument(help="the asset, e.g. edges or a/b")],
    platform: Annotated[
        str | None,
        typer.Option(
            "--platform",
            help="profile or platform whose runs to read (default: the latest run's profile)",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the state as one JSON object")] = (
        False
    ),
) -> None:
    """Show an asset's tuning: incumbent settings, trials and decisions, the next proposal, and
    the saving so far against the first run."""
    from paasport.dagster.history import materializations
    from paasport.tuning import tuning_run
    from paasport.tuning.report import tuning_report

    config = project_config()
    instance = dagster_instance(config)
    metas = [m.metadata for m in materializations(instance, asset)]
    if platform is None and metas:
        platform = str(metas[-1].get("profile") or metas[-1].get("platform") or "")
    mine = [m for m in metas if platform in (m.get("profile"), m.get("platform"))]
    if not mine:
        console.print(f"[red]no materialization of {escape(asset)} on {platform or 'any'}"
                      f"[/red] in {instance.root_directory}")  # fmt: skip
        raise typer.Exit(1)
    settings = config.asset(asset)
    cores = next((int(c) for m in reversed(mine) if isinstance(c := m.get("spark_cores"), int)),
                 os.cpu_count() or 2)  # fmt: skip
    report: dict[str, Any] = tuning_report(
        [tuning_run(m) for m in mine], settings.tuning_pinned, settings.deadline_s, cores
    )
    report.update(asset=asset, profile=platform, mode=settings.tuning)
    if as_json:
        print(json.dumps(report, indent=2, default=str))
        return
    _show(report)


def _show(r: dict[str, Any]) -> None:
    console.print(f"[bold]{escape(r['asset'])}[/bold] on {escape(str(r['profile']))}: "
                  f"{r['runs']} runs, tuning = \"{r['mode']}\"")  # fmt: skip
    inc = r["figures"]["incumbent"]
    console.print(f"incumbent: {escape(_settings(r['incumbent']))}")
    console.print(f"objective: {escape(r['objective'])}, lower is better")
    console.print(f"  incumbent's runs: {_figure(inc['values'])}")
    for t in r["trials"]:
        note = f" ({t['note']})" if t["note"] else ""
        console.print(f"trial {t['id']}: [bold]{t['decision']}[/bold]{escape(note)}")
        console.print(f"  settings: {escape(_settings(t['settings']))}")
        console.print(f"  why: {escape('; '.join(t['why']))}")
        console.print(f"  runs: {_figure(t['values'])}")
    nxt = r["next"]
    kind = f"trial {nxt['trial']['id']}" if nxt["trial"] else "the incumbent"
    console.print(f"next run: {kind}: {escape(nxt['why'])}")
    for name, unit in (("spark_time_s", "s of Spark time"), ("cost_usd", "USD")):
        s = r["saving"].get(name) if r["saving"] else None
        if s and s["ratio"] is not None:
            was, now = f"{s['first']:.4g}", f"{s['incumbent']:.4g}"
            console.print(f"saving against the first run: {s['saved']:.4g} {unit} per run "
                          f"({was} -> {now}, {s['ratio']:.2f}x)")  # fmt: skip
