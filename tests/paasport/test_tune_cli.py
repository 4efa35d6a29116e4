"""`paasport tune` on a user's own project: the tuning state read from its Dagster instance."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
from typer.testing import CliRunner

from paasport.cli.main import app
from support.project import user_project

runner = CliRunner()
BAD = {"spark.sql.adaptive.enabled": "false", "spark.sql.shuffle.partitions": "3000"}


def record(instance: dg.DagsterInstance, meta: dict[str, Any]) -> None:
    @dg.asset(name="counts")
    def counts() -> dg.MaterializeResult:
        return dg.MaterializeResult(
            metadata={
                k: dg.MetadataValue.json(v) if isinstance(v, dict | list) else v
                for k, v in meta.items()
            }
        )

    dg.materialize([counts], instance=instance)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dg.DagsterInstance:
    return user_project(tmp_path, monkeypatch, '[assets.counts]\ntuning = "auto"\n')


def run_meta(conf: dict[str, str], spark_s: float, **more: Any) -> dict[str, Any]:
    return {"profile": "local", "platform": "local", "spark_conf": conf, "spark_time_s": spark_s,
            "input_bytes": 2**30, "cost_usd_total": 0.0, **more}  # fmt: skip


def test_json_shows_incumbent_trials_next_and_saving(project: dg.DagsterInstance) -> None:
    good = {"spark.sql.adaptive.enabled": "true", "spark.sql.shuffle.partitions": "4",
            "spark.sql.files.maxPartitionBytes": "7m"}  # fmt: skip
    trial = {"id": 1, "settings": good, "why": ["spark.sql.adaptive.enabled=true: AQE"]}
    # Spark records some values in its own spelling: the saving still finds the trial's runs
    ran = {**good, "spark.sql.files.maxPartitionBytes": "7340032b"}
    for conf, seconds, more in (
        (BAD, 20.0, {}), (ran, 8.0, {"tuning_trial": trial}), (BAD, 21.0, {}),
        (ran, 7.5, {"tuning_trial": trial}),
    ):  # fmt: skip
        record(project, run_meta(conf, seconds, **more))
    result = runner.invoke(app, ["tune", "counts", "--json"])
    assert result.exit_code == 0, result.output
    state = json.loads(result.output)
    assert {"incumbent", "trials", "next", "saving"} <= set(state)
    assert state["incumbent"] == good  # two faster runs beat two slower ones beyond the noise
    assert [(t["id"], t["decision"]) for t in state["trials"]] == [(1, "accepted")]
    saving = state["saving"]["spark_time_s"]
    assert saving["first"] == 20.0 and saving["incumbent"] == pytest.approx(7.75)
    assert state["next"]["why"]

    text = runner.invoke(app, ["tune", "counts"])
    assert text.exit_code == 0, text.output
    out = " ".join(text.output.split())
    assert "trial 1: accepted" in out and "saving against the first run" in out


def test_an_asset_without_runs_is_named(project: dg.DagsterInstance) -> None:
    result = runner.invoke(app, ["tune", "nothing"])
    assert result.exit_code == 1
    assert "no materialization of nothing" in " ".join(result.output.split())
