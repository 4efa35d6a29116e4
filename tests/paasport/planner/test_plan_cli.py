"""`paasport plan` offline: the published table as history, and deadlines that bind."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from paasport.cli import app

runner = CliRunner()
PAPER = Path(__file__).parents[1] / "fixtures" / "paper_appendix2_costs.csv"
STEPS = ("nodes", "edges", "graph", "graph_aggr")
SIZE = 80 * 1024**3  # the table gives no input size: the same for every run


def plan(tmp_path: Path, history: list[dict[str, Any]], request: Any, *extra: str) -> Any:
    (tmp_path / "h.jsonl").write_text("".join(json.dumps(h) + "\n" for h in history))
    (tmp_path / "r.json").write_text(json.dumps(request))
    files = ["--history", str(tmp_path / "h.jsonl"), "--request", str(tmp_path / "r.json")]
    result = runner.invoke(app, ["plan", *files, "--json", *extra])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture
def paper_history() -> list[dict[str, Any]]:
    with PAPER.open(newline="") as handle:
        return [
            {"asset": row["step"], "partition": None, "platform": row["platform"],
             "input_bytes": SIZE, "duration_s": float(row["duration_h"]) * 3600,
             "cost_usd": float(row["total_usd"]), "status": "success",
             "started_at": f"2024-06-0{row['run']}T00:00:00Z"}
            for row in csv.DictReader(handle)
        ]  # fmt: skip


def test_the_published_table_picks_emr_then_databricks_for_graph_aggr(
    tmp_path: Path, paper_history: list[dict[str, Any]]
) -> None:
    requests = [{"asset": s, "input_bytes": SIZE, "platforms": ["emr", "databricks"],
                 "deadline_s": None, "objective": "cost"} for s in STEPS]  # fmt: skip
    plans = plan(tmp_path, paper_history, requests)
    assert [p["platform"] for p in plans] == ["emr", "emr", "emr", "databricks"]
    # at the table's best observed cost of each chosen platform and step
    best = {(h["asset"], h["platform"]): h["cost_usd"] for h in sorted(
        paper_history, key=lambda h: -h["cost_usd"])}  # fmt: skip
    total = sum(best[(s, p["platform"])] for s, p in zip(STEPS, plans, strict=True))
    assert round(total, 2) == 408.58
    all_databricks = 784.64
    assert round(1 - total / all_databricks, 2) == 0.48
    for p in plans:
        assert {c["platform"] for c in p["candidates"]} == {"emr", "databricks"}
        loser = next(c for c in p["candidates"] if c["platform"] != p["platform"])
        assert loser["feasible"] and loser["reason"].startswith("costs $")


def test_a_deadline_makes_the_faster_platform_win(
    tmp_path: Path, paper_history: list[dict[str, Any]]
) -> None:
    # edges: EMR takes ~10 h, Databricks ~5.7 h
    request = {"asset": "edges", "input_bytes": SIZE, "platforms": ["emr", "databricks"],
               "deadline_s": 8 * 3600, "objective": "cost"}  # fmt: skip
    out = plan(tmp_path, paper_history, request)
    assert out["platform"] == "databricks"
    emr = next(c for c in out["candidates"] if c["platform"] == "emr")
    assert not emr["feasible"] and emr["reason"].startswith("misses the deadline")
    request["deadline_s"] = 3600
    none = plan(tmp_path, paper_history, request)
    assert none["platform"] is None
    assert not any(c["feasible"] for c in none["candidates"])


def test_a_platform_without_history_gets_a_prior_from_the_catalog(
    tmp_path: Path, paper_history: list[dict[str, Any]]
) -> None:
    (tmp_path / "prices.json").write_text(json.dumps({"glue": 20.0}))
    request = {"asset": "graph_aggr", "input_bytes": SIZE,
               "platforms": ["emr", "databricks", "glue"], "objective": "cost"}  # fmt: skip
    out = plan(tmp_path, paper_history, request, "--catalog", str(tmp_path / "prices.json"))
    glue = next(c for c in out["candidates"] if c["platform"] == "glue")
    assert glue["basis"].startswith("prior") and glue["predicted_cost_usd"] > 0


def test_a_bad_history_line_is_named(tmp_path: Path) -> None:
    (tmp_path / "h.jsonl").write_text('{"asset": "a", "platform": "emr", "input_bytes": -1, '
                                      '"duration_s": 1, "cost_usd": 1}\n')  # fmt: skip
    (tmp_path / "r.json").write_text('{"asset": "a", "input_bytes": 1, "platforms": ["emr"]}')
    result = runner.invoke(app, ["plan", "--history", str(tmp_path / "h.jsonl"),
                                 "--request", str(tmp_path / "r.json"), "--json"])  # fmt: skip
    assert result.exit_code == 2
    assert "h.jsonl:1: input_bytes" in result.output
