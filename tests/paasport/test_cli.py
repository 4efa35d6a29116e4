from __future__ import annotations

from importlib.metadata import EntryPoint
from pathlib import Path
from types import SimpleNamespace
from typing import cast

import pytest
from typer.testing import CliRunner

from paasport.cli.main import app

runner = CliRunner()


def test_config_command_reports_field_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "paasport.toml").write_text('[assets.edges]\nplatform = "emr-prod"\n')
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PAASPORT_CONFIG", raising=False)
    result = runner.invoke(app, ["config"])
    assert result.exit_code == 2
    out = " ".join(result.output.split())  # rich wraps long lines
    assert "assets.edges.platform" in out
    assert "unknown platform or profile 'emr-prod'" in out


def test_config_command_shows_the_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "paasport.toml").write_text(
        'platform = "small"\n[profiles.small]\nplatform = "local"\n'
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PAASPORT_CONFIG", raising=False)
    result = runner.invoke(app, ["config"])
    assert result.exit_code == 0, result.output
    assert "default platform: small" in result.output
    assert "profile small" in result.output


def test_example_rejects_missing_seeds(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        [
            "example",
            "webgraph",
            "--input",
            str(tmp_path),
            "--seeds",
            str(tmp_path / "x.csv"),
            "--output",
            str(tmp_path / "out"),
        ],
    )
    assert result.exit_code == 2
    out = " ".join(result.output.split())  # rich wraps long lines
    assert "--seeds" in out and "x.csv: no such file" in out


def test_demo_emulate_names_the_platforms_it_can_emulate(tmp_path: Path) -> None:
    result = runner.invoke(app, ["demo", "--platform", "local", "--emulate"])
    out = " ".join(result.output.split())
    assert result.exit_code == 2, out
    assert "no emulator for platform 'local' (emulated: " in out
    assert (
        "connect, databricks, databricks_serverless, dataproc, emr, emr_eks, emr_serverless,"
        " glue, standalone" in out
    )


def test_a_broken_command_plugin_is_named_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    import typer

    from paasport.cli.plugins import GROUP, load_commands

    def fine(app: typer.Typer) -> None:
        app.command("hello")(lambda: print("hello"))

    broken = EntryPoint("broken", "no_such_module_here:register", GROUP)
    good = SimpleNamespace(name="good", value="x:register", load=lambda: fine)
    app = typer.Typer()
    errors = load_commands(app, [broken, cast(EntryPoint, good)])
    assert errors == [
        "paasport: the command plugin 'broken' (no_such_module_here:register) failed: "
        "ModuleNotFoundError: No module named 'no_such_module_here'"
    ]
    assert capsys.readouterr().err == errors[0] + "\n"
    assert [c.name for c in app.registered_commands] == ["hello"]  # the others still load


def test_the_example_commands_come_from_its_entry_point() -> None:
    from importlib.metadata import entry_points

    (ep,) = [e for e in entry_points(group="paasport.commands") if e.name == "webgraph"]
    assert ep.value == "webgraph.cli:register"
    names = {c.name for c in app.registered_commands} | {g.name for g in app.registered_groups}
    assert {"demo", "ui", "example", "sample", "plan", "costs", "config", "doctor"} <= names
