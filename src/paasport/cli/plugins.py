"""Commands that other distributions add to `paasport`: entry points in the group
`paasport.commands`, each naming a callable that takes the Typer app and registers its commands
on it, e.g. in the plugin's pyproject.toml:

    [project.entry-points."paasport.commands"]
    webgraph = "webgraph.cli:register"

A plugin that fails to load or to register is reported in one line naming it, and the other
commands still work."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from importlib.metadata import EntryPoint, entry_points

import typer

GROUP = "paasport.commands"


def load_commands(app: typer.Typer, found: Iterable[EntryPoint] | None = None) -> list[str]:
    """Register every plugin's commands on `app`; the one-line errors of those that failed."""
    errors = []
    for ep in sorted(entry_points(group=GROUP) if found is None else found, key=lambda e: e.name):
        try:
            ep.load()(app)
        except Exception as exc:
            what = f"{type(exc).__name__}: {exc}".splitlines()[0]
            errors.append(f"paasport: the command plugin '{ep.name}' ({ep.value}) failed: {what}")
    for line in errors:
        print(line, file=sys.stderr)
    return errors
