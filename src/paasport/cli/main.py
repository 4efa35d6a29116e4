"""The `paasport` app: the framework's commands, then those of the installed command plugins
(`paasport.cli.plugins`), e.g. the webgraph example's `demo`, `example`, `sample` and `ui`."""

from __future__ import annotations

import typer

from paasport.cli.common import console, project_config
from paasport.cli.costs import costs, pricing_app
from paasport.cli.diagnose import diagnose
from paasport.cli.doctor import doctor
from paasport.cli.gc import gc
from paasport.cli.plan import plan
from paasport.cli.plugins import load_commands
from paasport.cli.tune import tune

app = typer.Typer(help="paasport: run PySpark assets on any Spark platform.", no_args_is_help=True)
app.add_typer(pricing_app, name="pricing")
app.command("costs")(costs)
app.command("plan")(plan)
app.command("diagnose")(diagnose)
app.command("doctor")(doctor)
app.command("gc")(gc)
app.command("tune")(tune)


@app.command("config")
def config_check() -> None:
    """Validate the project config and show what each asset would run on."""
    config = project_config()
    console.print(f"config: {config.source}")
    console.print(f"default platform: {config.platform}")
    for name, profile in sorted(config.profiles.items()):
        console.print(f"profile {name}: {profile.model_dump()}")
    for name, settings in sorted(config.assets.items()):
        console.print(f"asset {name}: platform={settings.platform or config.platform}")


load_commands(app)

if __name__ == "__main__":
    app()
