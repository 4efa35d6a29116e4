"""The `paasport` command line: the framework's commands (`paasport.cli.main`) and the ones that
installed distributions register under the entry-point group `paasport.commands`.

`paasport.cli.main` is imported on first use of `app`, so a command plugin can import
`paasport.cli.common` without building the app it is being loaded into."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import typer

    app: typer.Typer


def __getattr__(name: str) -> Any:
    if name == "app":
        from paasport.cli.main import app

        return app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
