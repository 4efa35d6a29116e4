"""`paasport diagnose` on a user's own project: its Dagster instance, its assets."""

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


def finding(check: str, passed: bool, advice: str = "") -> dict[str, Any]:
    return {"check": check, "passed": passed, "severity": "WARN", "summary": f"{check} says so",
            "evidence": {"ratio": 3.0}, "advice": advice, "waste_usd": None if passed else 0.5,
            "measured": True}  # fmt: skip


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dg.DagsterInstance:
    instance = user_project(tmp_path, monkeypatch, 'platform = "local"\n')

    def materialize(partition: str, findings: list[dict[str, Any]]) -> None:
        @dg.asset(name="daily_counts", partitions_def=dg.StaticPartitionsDefinition(["a", "b"]))
        def daily_counts() -> dg.MaterializeResult:
            return dg.MaterializeResult(
                metadata={"profile": "local", "diagnostics": dg.MetadataValue.json(findings)}
            )

        dg.materialize([daily_counts], instance=instance, partition_key=partition)

    materialize("a", [finding("spark_skew", False, "salt the key"), finding("spark_gc", True)])
    materialize("b", [finding("spark_gc", True)])
    return instance


def test_json_lists_the_latest_runs_findings(project: dg.DagsterInstance) -> None:
    result = runner.invoke(app, ["diagnose", "daily_counts", "--json"])
    assert result.exit_code == 0, result.output
    findings = json.loads(result.output)
    assert [f["check"] for f in findings] == ["spark_gc"]  # partition b ran last
    assert {"check", "passed", "severity", "evidence", "advice"} <= set(findings[0])


def test_a_partitions_findings_worst_first_in_a_table(project: dg.DagsterInstance) -> None:
    result = runner.invoke(app, ["diagnose", "daily_counts", "--partition", "a"])
    assert result.exit_code == 0, result.output
    out = " ".join(result.output.split())  # rich wraps long lines
    assert "daily_counts [a], run" in out
    assert out.index("spark_skew") < out.index("spark_gc")
    assert "FAIL spark_skew WARN: spark_skew says so" in out
    assert "advice: salt the key" in out and "$0.5000 per run" in out
    assert "1 of 2 checks found something" in out


def test_an_asset_never_materialized_is_a_clear_error(project: dg.DagsterInstance) -> None:
    result = runner.invoke(app, ["diagnose", "nope"])
    assert result.exit_code == 1
    assert "no materialization of nope" in result.output
    result = runner.invoke(app, ["diagnose", "daily_counts", "--run", "not-a-run"])
    assert result.exit_code == 1
    assert "in run not-a-run" in " ".join(result.output.split())
