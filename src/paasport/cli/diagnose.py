"""`paasport diagnose`: what the checks found on an asset's latest (or a given) run, worst first."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.markup import escape

from paasport.cli.common import console, dagster_instance, project_config
from paasport.diagnostics.settings import DiagnosticsSettings
from paasport.record import RunRecord, RunRecordError


def _pick(instance: Any, asset: str, partition: str | None, run: str | None) -> Any:
    from paasport.dagster.history import materializations

    for m in materializations(instance, asset, newest_first=True):
        if (partition is None or m.partition == partition) and (run is None or m.run_id == run):
            return m
    return None


def _findings(
    run: RunRecord, meta: dict[str, Any], settings: DiagnosticsSettings
) -> tuple[list[dict[str, Any]], str]:
    """The findings the run recorded; for a run from before diagnostics, the Spark checks
    computed now from its metadata `meta` (no regression checks: they need the history of
    then)."""
    if run.diagnostics is not None:
        return run.diagnostics, "recorded with the run"
    from paasport.diagnostics import diagnose, worst_first

    return [f.as_json() for f in worst_first(diagnose(meta, settings))], "computed now"


def _status(finding: dict[str, Any]) -> str:
    if not finding.get("measured", True):
        return "[dim]n/a [/dim]"
    return "[green]pass[/green]" if finding["passed"] else "[red]FAIL[/red]"


def diagnose(
    asset: Annotated[str, typer.Argument(help="the asset, e.g. edges or a/b")],
    partition: Annotated[
        str | None, typer.Option("--partition", help="this partition's latest run")
    ] = None,
    run: Annotated[
        str | None, typer.Option("--run", help="the materialization of this run")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the findings as JSON")] = False,
) -> None:
    """Show what the diagnostics found on an asset's latest materialization, worst first."""
    config = project_config()
    instance = dagster_instance(config)
    chosen = _pick(instance, asset, partition, run)
    if chosen is None:
        wanted = "".join(
            [f" for partition {partition}" if partition else "", f" in run {run}" if run else ""]
        )
        console.print(
            f"[red]no materialization of {asset}{wanted}[/red] in {instance.root_directory}"
        )
        raise typer.Exit(1)
    try:
        run_record = RunRecord.from_metadata(chosen.metadata)
    except RunRecordError as exc:
        console.print(f"[red]cannot read run {chosen.run_id[:8]} of {asset}:[/red] {exc}")
        raise typer.Exit(2) from None
    findings, how = _findings(run_record, chosen.metadata, config.asset(asset).diagnostics)
    if as_json:
        print(json.dumps(findings, indent=2, default=str))
        return
    where = escape(f" [{chosen.partition}]") if chosen.partition else ""
    profile = run_record.profile or "?"
    failed = sum(1 for f in findings if not f["passed"])
    verdict = f"{failed} of {len(findings)} checks found something" if failed else "all clear"
    title = f"[bold]{escape(asset)}{where}[/bold], run {chosen.run_id[:8]} on {profile}"
    console.print(f"{title} ({how}): {verdict}")
    for f in findings:
        severity = f" [bold]{f['severity']}[/bold]" if not f["passed"] else ""
        console.print(f"{_status(f)} {f['check']}{severity}: {escape(f.get('summary', ''))}")
        if f.get("advice"):
            console.print(f"    advice: {escape(f['advice'])}")
        if f.get("waste_usd"):
            console.print(f"    wastes about ${f['waste_usd']:.4f} per run")
