"""A user's project for CLI tests: its paasport.toml in the working folder, its own Dagster
instance (DAGSTER_HOME), nothing from the environment."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest


def user_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, toml: str) -> dg.DagsterInstance:
    (tmp_path / "paasport.toml").write_text(toml)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PAASPORT_CONFIG", raising=False)
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / ".dagster"))
    (tmp_path / ".dagster").mkdir()
    return dg.DagsterInstance.get()
