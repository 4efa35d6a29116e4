"""`paasport costs` and `paasport pricing show` against a real Dagster instance."""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
from typer.testing import CliRunner

from paasport.cli.main import app
from paasport.dagster.costing import cost_metadata
from paasport.platforms import RunFacts
from paasport.pricing.catalog import load_catalog

runner = CliRunner()
HERE = Path(__file__).parent
PAPER = HERE / "fixtures" / "paper_appendix2_costs.csv"
SHARED = HERE.parents[2] / "shared" / "reference" / PAPER.name
STEPS = ("nodes", "edges", "graph", "graph_aggr")


def paper_rows() -> list[dict[str, str]]:
    with PAPER.open(newline="") as handle:
        return list(csv.DictReader(handle))


def test_the_fixture_is_the_published_table() -> None:
    if not SHARED.is_file():
        pytest.skip(f"{SHARED} is not beside this checkout")
    assert PAPER.read_bytes() == SHARED.read_bytes()


def step_asset(step: str, row: dict[str, str], team: str) -> dg.AssetsDefinition:
    """An asset whose run facts are one row of the table: its EC2, EBS and surcharge columns
    are the billed amounts, its duration the run's."""

    @dg.asset(name=step)
    def _step() -> dg.MaterializeResult:
        facts = RunFacts(
            platform=row["platform"],
            profile=row["platform"],
            run_s=float(row["duration_h"]) * 3600,
            extra={"billed_usd": {"compute": row["ec2_usd"], "storage": row["ebs_usd"],
                                  "platform": row["platform_surcharge_usd"]}},
        )  # fmt: skip
        meta = {
            **facts.as_metadata(),
            **cost_metadata(facts, load_catalog(), dg.get_dagster_logger()),
        }
        meta["cost"] = dg.MetadataValue.json(meta["cost"])
        meta["platform_facts"] = dg.MetadataValue.json(meta["platform_facts"])
        return dg.MaterializeResult(metadata={**meta, "team": team})

    return _step


@pytest.fixture(scope="module")
def paper_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, int]]]:
    """A Dagster home with the table's three runs, each materializing the four steps."""
    home = tmp_path_factory.mktemp("dagster_home")
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    by_run: dict[str, dict[str, dict[str, str]]] = defaultdict(dict)
    for row in paper_rows():
        by_run[row["run"]][row["step"]] = row
    runs: dict[str, int] = {}  # Dagster run id -> the table's run
    with dg.instance_for_test(temp_dir=str(home)) as instance:
        for run in sorted(by_run):
            assets = [step_asset(s, by_run[run][s], team="webgraph") for s in STEPS]
            result = dg.materialize(assets, instance=instance)
            assert result.success
            runs[result.run_id] = int(run)
    yield home, runs


@pytest.fixture
def in_home(
    paper_home: tuple[Path, dict[str, int]], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> dict[str, int]:
    monkeypatch.setenv("DAGSTER_HOME", str(paper_home[0]))
    monkeypatch.chdir(tmp_path)  # no paasport.toml: built-in defaults
    return paper_home[1]


def cents(value: Any) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


def test_costs_json_reproduces_the_published_table_to_the_cent(in_home: dict[str, int]) -> None:
    result = runner.invoke(app, ["costs", "--json"])
    assert result.exit_code == 0, result.output
    records = json.loads(result.stdout)
    assert len(records) == 12
    for key in ("run_id", "asset", "partition", "platform", "duration_s", "cost_usd_total",
                "cost_usd_compute", "cost_usd_storage", "cost_usd_platform"):  # fmt: skip
        assert all(key in r for r in records), key
    assert {r["run_id"] for r in records} == set(in_home)  # each table run is one Dagster run
    expected = {(int(row["run"]), row["step"]): row for row in paper_rows()}
    run_totals: dict[int, Decimal] = defaultdict(Decimal)
    for r in records:
        run = in_home[r["run_id"]]
        row = expected[(run, r["asset"])]
        assert r["platform"] == row["platform"]
        assert cents(r["cost_usd_total"]) == cents(row["total_usd"]), (run, r["asset"])
        assert cents(r["cost_usd_compute"]) == cents(row["ec2_usd"])
        assert cents(r["cost_usd_storage"]) == cents(row["ebs_usd"])
        assert cents(r["cost_usd_platform"]) == cents(row["platform_surcharge_usd"])
        assert r["duration_s"] == pytest.approx(float(row["duration_h"]) * 3600)
        assert r["team"] == "webgraph"
        run_totals[run] += Decimal(str(r["cost_usd_total"]))
    # run 2 (all Databricks) is the published $784.64; run 1 is 46 % cheaper
    assert {k: cents(v) for k, v in run_totals.items()} == {
        1: Decimal("422.95"), 2: Decimal("784.64"), 3: Decimal("417.06")}  # fmt: skip
    assert round(1 - run_totals[1] / run_totals[2], 2) == Decimal("0.46")


def test_costs_table_prints_step_and_run_totals(in_home: dict[str, int]) -> None:
    result = runner.invoke(app, ["costs"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    out = result.output
    for row in paper_rows():
        assert f"{Decimal(row['total_usd']):,.2f}" in out, row
    for total in ("422.95", "784.64", "417.06"):
        assert total in out
    assert out.count("run total") == 3
    by_platform: dict[str, Decimal] = defaultdict(Decimal)
    for row in paper_rows():
        by_platform[row["platform"]] += Decimal(row["total_usd"])
    listed = ", ".join(f"{k} ${v:,.2f}" for k, v in sorted(by_platform.items()))
    assert f"total by platform: {listed}" in out
    assert f"total by team: webgraph ${sum(by_platform.values()):,.2f}" in out


def test_costs_filters_by_asset_and_writes_html_and_png(
    in_home: dict[str, int], tmp_path: Path
) -> None:
    html_file, png_dir = str(tmp_path / "r.html"), str(tmp_path / "png")
    args = ["costs", "--json", "--asset", "edges", "--html", html_file, "--png", png_dir]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    records = json.loads(result.stdout)  # the report notes went to stderr
    assert [r["asset"] for r in records] == ["edges"] * 3
    html = (tmp_path / "r.html").read_text()
    assert html.count("<svg") >= 4 and "766.17" in html
    assert len(list((tmp_path / "png").glob("*.png"))) == 4


def test_costs_with_no_history_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["costs"])
    assert result.exit_code == 0
    assert "no materializations with cost" in result.output


def test_pricing_show_applies_the_project_overrides(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "paasport.toml").write_text(
        "[pricing]\ndiscounts = { ec2 = 0.25 }\n"
        '[[pricing.prices]]\nservice = "ec2"\nitem = "x9.mega"\nregion = "us-east-1"\n'
        'price = 2.0\nsource = "our contract"\n'
    )
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["pricing", "show", "--service", "ec2", "--region", "us-east-1",
                                 "--item", "r5.4xlarge"], env={"COLUMNS": "200"})  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "0.756" in result.output  # 1.008 less 25 %
    assert "1 of" in result.output
    mine = runner.invoke(app, ["pricing", "show", "--item", "x9.mega"], env={"COLUMNS": "200"})
    assert "our contract" in mine.output and "1.5" in mine.output


def test_pricing_show_names_a_bad_override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "paasport.toml").write_text(
        '[[pricing.prices]]\nservice = "ec2"\nitem = "m5.xlarge"\nprice = -1\n'
    )
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["pricing", "show"])
    assert result.exit_code == 2
    assert "pricing.prices.0.price" in result.output


def test_plan_explains_a_choice_from_the_instance_history(in_home: dict[str, int]) -> None:
    result = runner.invoke(app, ["plan", "graph_aggr", "--json"])
    assert result.exit_code == 0, result.output
    plan = json.loads(result.stdout)
    assert plan["platform"] == "databricks"
    assert {c["platform"] for c in plan["candidates"]} == {"emr", "databricks"}
    deadline = runner.invoke(app, ["plan", "edges", "--deadline", "8h"], env={"COLUMNS": "200"})
    assert deadline.exit_code == 0, deadline.output
    assert "chosen: databricks" in deadline.output
    assert "misses the deadline" in deadline.output
