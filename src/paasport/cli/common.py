"""What every command shares: the console, the project config, the Dagster instance."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console

from paasport.config import ConfigError, ProjectConfig, load_config

if TYPE_CHECKING:
    import dagster as dg

console = Console()


def project_config() -> ProjectConfig:
    try:
        return load_config()
    except ConfigError as exc:
        console.print(f"[red]invalid configuration:[/red] {exc}")
        raise typer.Exit(2) from None


def dagster_instance(config: ProjectConfig) -> dg.DagsterInstance:
    """The project's Dagster instance: $DAGSTER_HOME, by default .dagster beside the config."""
    import dagster as dg

    home = Path(os.environ.setdefault("DAGSTER_HOME", str(config.root / ".dagster")))
    home.mkdir(parents=True, exist_ok=True)
    settings = home / "dagster.yaml"
    if not settings.exists():
        # offline by design: no usage statistics, and no telemetry banner on every command
        settings.write_text("telemetry:\n  enabled: false\n")
    return dg.DagsterInstance.get()
