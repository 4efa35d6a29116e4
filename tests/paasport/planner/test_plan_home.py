"""`paasport plan` and `platform = "auto"` give the same plan on the same history, where planning
with `choose` alone (what `paasport plan` used to do) gives another: exploring, priors from list
prices, and the price of moving the input to the data."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
from typer.testing import CliRunner

from paasport.cli import app
from paasport.config import ProjectConfig, load_config
from paasport.dagster import PaasportResource, spark_asset
from paasport.dagster.auto import history_for, plan_from_instance
from paasport.dagster.history import materializations
from paasport.planner.choose import choose
from paasport.planner.history import PlanRequest
from paasport.planner.plan import Overrides
from paasport.planner.priors import config_prices
from paasport.pricing.catalog import load_catalog
from paasport.record import RunCost, RunRecord

runner = CliRunner()
JOB = Path(__file__).parents[1] / "fixtures" / "count_job.py"
GB = 1024**3
#: three local profiles: `c` never ran, `b` ran once, `a` twice and cheaper
LOCAL = """platform = "auto"
[profiles.a]
platform = "local"
master = "local[2]"
[profiles.b]
platform = "local"
master = "local[2]"
[profiles.c]
platform = "local"
master = "local[1]"
[planner]
candidates = ["a", "b", "c"]
explore_runs = 2
"""
ROLE = "arn:aws:iam::123456789012:role/r"
AWS = f'bucket = "data-bucket"\napplication_id = "a1"\nexecution_role_arn = "{ROLE}"\n'
#: the same EMR Serverless twice, beside the data and in another region, and Dataproc
REMOTE = f"""platform = "auto"
[profiles.near]
platform = "emr_serverless"
region = "us-east-1"
{AWS}[profiles.far]
platform = "emr_serverless"
region = "us-west-2"
{AWS}[profiles.gcp]
platform = "dataproc"
project = "my-project"
region = "us-central1"
bucket = "data-bucket"
[planner]
candidates = ["near", "far", "gcp"]
explore_runs = 1
[assets.counts]
input_location = "aws:us-east-1"
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project folder with its own Dagster home, as `paasport plan` finds them."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PAASPORT_CONFIG", raising=False)
    home = tmp_path / ".dagster"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    return tmp_path


def record_runs(
    instance: dg.DagsterInstance, platform: str, runs: list[tuple[str, float, float, int]]
) -> None:
    """Materialize `counts` (partition p1) once per (profile, seconds, USD, input bytes), with
    the metadata the resource writes for such a run."""
    for profile, seconds, usd, size in runs:
        record = RunRecord(platform=platform, profile=profile, wall_time_s=seconds,
                           cost=RunCost(usd, usd, 0.0, 0.0, {"duration_s": seconds}),
                           input_bytes=size, partition="p1")  # fmt: skip
        meta = {k: dg.MetadataValue.json(v) if isinstance(v, dict) else v
                for k, v in record.to_metadata().items()}  # fmt: skip

        @dg.asset(name="counts", partitions_def=dg.StaticPartitionsDefinition(["p1"]))
        def counts() -> dg.MaterializeResult:
            return dg.MaterializeResult(metadata=meta)  # noqa: B023  # run at once, in the loop

        assert dg.materialize([counts], instance=instance, partition_key="p1").success


def cli_plan(*args: str) -> dict[str, Any]:
    result = runner.invoke(app, ["plan", "counts", "--partition", "p1", "--json", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def choose_only(config: ProjectConfig, instance: dg.DagsterInstance) -> str | None:
    """What `paasport plan` answered before: `choose` on the history, nothing else."""
    history = history_for(instance, "counts")
    request = PlanRequest(asset="counts", input_bytes=history[-1].input_bytes,
                          platforms=list(config.planner.candidates))  # fmt: skip
    return choose(request, history).platform


@pytest.mark.spark
def test_plan_explains_the_order_auto_then_runs(project: Path) -> None:
    (project / "paasport.toml").write_text(LOCAL)
    instance = dg.DagsterInstance.get()
    record_runs(instance, "local", [("a", 40, 0.2, GB), ("a", 44, 0.22, GB), ("b", 30, 0.5, GB)])
    config = load_config()
    assert choose_only(config, instance) == "a"  # c has no price, b is dearer

    explained = cli_plan()
    # b is explored first (1 of 2 runs); c, priced at the local core-hour price, is the choice
    assert explained["order"] == ["b", "c", "a"]
    assert explained["why"] == "exploring: b has 1 of 2 runs of counts"
    assert explained["platform"] == "c"
    c = next(x for x in explained["candidates"] if x["platform"] == "c")
    assert c["basis"].startswith("prior")
    text = runner.invoke(app, ["plan", "counts", "--partition", "p1"], env={"COLUMNS": "200"})
    assert "chosen: c" in text.output and "order tried: b, c, a (exploring" in text.output

    # the real `auto` run on that history: it runs b, and records the plan that was explained
    asset = spark_asset(name="counts", job=JOB, params={"output": str(project / "out")},
                        checks=["has_rows"],
                        partitions_def=dg.StaticPartitionsDefinition(["p1"]))  # fmt: skip
    result = dg.materialize([asset], instance=instance, partition_key="p1",
                            resources={"paasport": PaasportResource()})  # fmt: skip
    assert result.success
    ran = RunRecord.from_metadata(
        next(materializations(instance, "counts", newest_first=True)).metadata
    )
    assert ran.profile == "b" and ran.plan is not None
    assert ran.plan.plan == explained


def test_plan_and_auto_price_moving_the_input_the_same(project: Path) -> None:
    (project / "paasport.toml").write_text(REMOTE)
    instance = dg.DagsterInstance.get()
    # 100 GB in: `far` runs cheaper, but moving the input there costs $2 more
    costs = {"near": 1.5, "far": 1.0, "gcp": 1.2}
    runs = [(n, 60.0, usd, 100 * GB) for n, usd in costs.items() for _ in range(3)]
    record_runs(instance, "emr_serverless", runs)
    config = load_config()
    catalog = load_catalog(config.pricing)
    assert choose_only(config, instance) == "far"

    def auto(asked: Overrides | None = None) -> dict[str, Any]:
        """What the resource plans for `platform = "auto"` (its prices: those of the config)."""
        prices = config_prices(config, "counts", catalog)
        plan, _ = plan_from_instance(instance, config, "counts", "p1", prices, catalog, asked)
        return plan.as_json()

    explained = cli_plan()
    assert explained == auto()
    assert explained["platform"] == "near" and explained["order"] == ["near", "far", "gcp"]
    far = next(c for c in explained["candidates"] if c["platform"] == "far")
    assert far["predicted_cost_usd"] == pytest.approx(3.0)
    assert "to move the input here" in far["basis"]
    # a what-if agrees too: only `far` and `gcp`, with a deadline
    asked = cli_plan("--platform", "far", "--platform", "gcp", "--deadline", "30s")
    assert asked == auto(Overrides(candidates=["far", "gcp"], deadline_s=30))
    assert asked["platform"] is None and asked["why"].startswith("no candidate is predicted")
