"""`paasport doctor`: read-only checks of every configured profile."""

from __future__ import annotations

import typer
from rich.table import Table

from paasport.cli.common import console, project_config


def doctor() -> None:
    """Check every configured profile: extra installed, credentials, named resources."""
    from paasport.doctor import run_checks

    config = project_config()
    console.print(f"config: {config.source}")
    checks = run_checks(config)
    table = Table(title="paasport doctor (read-only checks)")
    for col in ("profile", "platform", "check", "", "detail / how to fix"):
        table.add_column(col, overflow="fold")
    for c in checks:
        detail = c.detail if c.ok else f"{c.detail}\n[bold]fix:[/bold] {c.fix}"
        mark = "[green]ok[/green]" if c.ok else "[red]FAIL[/red]"
        table.add_row(c.profile, c.platform, c.what, mark, detail)
    console.print(table)
    failed = sum(not c.ok for c in checks)
    console.print(f"{len(checks) - failed} ok, {failed} failing")
    raise typer.Exit(1 if failed else 0)
