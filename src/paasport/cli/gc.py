"""`paasport gc`: find and end remote runs and clusters whose Dagster run is no longer alive."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from paasport.cli.common import console, dagster_instance, project_config


def gc(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="list what would be ended, end nothing")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="the findings as JSON")] = False,
    wait_s: Annotated[
        float, typer.Option("--wait-s", min=0, help="how long to wait for each to end")
    ] = 60.0,
) -> None:
    """End orphans: remote runs and clusters of launches whose Dagster run ended or whose run
    worker died (from the launch records beside the Dagster instance)."""
    from paasport.platforms.orphans import collect

    instance = dagster_instance(project_config())
    found = collect(instance, dry_run=dry_run, wait_s=wait_s)
    failed = sum(f.action.startswith("error") for f in found.findings)
    if as_json:
        print(json.dumps({"dry_run": dry_run, "alive": found.alive,
                          "orphans": [f.to_json() for f in found.findings]}, indent=2))  # fmt: skip
        raise typer.Exit(1 if failed else 0)
    table = Table(title="paasport gc" + (" (dry run: nothing ended)" if dry_run else ""))
    for col in ("Dagster run", "asset", "platform / profile", "why", "remote (state)", "action"):
        table.add_column(col, overflow="fold")
    for f in found.findings:
        r = f.record
        asset = (r.asset or "") + (f"[{r.partition}]" if r.partition else "")
        remotes = "\n".join(f"{x.kind} {x.id} ({x.state})" for x in f.remotes) or "-"
        action = f"[red]{f.action}[/red]" if f.action.startswith("error") else f.action
        table.add_row(r.dagster_run_id, asset, f"{r.platform} / {r.profile_name}", f.why, remotes,
                      action)  # fmt: skip
    console.print(table)
    console.print(
        f"{len(found.findings)} orphaned launch(es), {failed} failed; {found.alive} launch(es) "
        f"still alive left alone (records in {', '.join(str(d) for d in found.folders)})",
        markup=False,
    )
    raise typer.Exit(1 if failed else 0)
