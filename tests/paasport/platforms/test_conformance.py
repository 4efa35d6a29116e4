"""The conformance suite: one partition, unchanged, on every registered platform.

Parametrized from the registry (`paasport.platforms.registry.REGISTRY`): a platform gets the
whole suite by being registered with an emulator. The reference is the default platform (local
Spark); each other platform runs the `edges` asset of one webgraph partition (WAT parsing, a
corrupt gzip member and a truncated record skipped and counted) through its real client
library against its emulator (boto3, databricks-sdk, google-cloud-dataproc over HTTP, a real
spark-submit) and must give the same rows, report the same metadata through Pipes, run with the
settings the user asked for, add its run facts (ids) and a cost whose parts add up. A platform
registered without an emulator shows as skipped in the report (`pytest -rs`), with the reason.

Every run also carries recognisable fake secrets (tests/support/secrets.py: an AWS session
token, a Databricks token, a webhook URL, a service-account key file, a secret Spark setting,
besides each emulator's own credentials and the Connect server's token): none may appear in
anything the run wrote (the Dagster instance's events, logs and metadata, the output) nor in
the reports made from them.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import dagster as dg
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from paasport.cli.main import app
from paasport.dagster import PaasportResource, spark_asset
from paasport.job.params import DEFAULT_PLATFORM
from paasport.job.redact import REDACTED
from paasport.platforms.launch_records import search_dirs
from paasport.platforms.registry import REGISTRY
from paasport.testing import EmulatorPool
from support.secrets import PLANTED_CONF, environment_secrets, leaks, planted_secrets
from webgraph.assets import WebgraphPaths, webgraph_assets
from webgraph.layout import local_path, output_uri
from webgraph.run import read_parquet_rows
from webgraph.sample import SampleInfo, generate_sample

pytestmark = pytest.mark.spark

#: not paasport's defaults (4 partitions, AQE on)
ASKED = {"spark.sql.shuffle.partitions": "5", "spark.sql.adaptive.enabled": "false"}


def registered() -> Iterator[Any]:
    """Every registered platform but the reference; without an emulator it is skipped, saying
    so."""
    for name, entry in REGISTRY.items():
        if name == DEFAULT_PLATFORM:
            continue
        why = f"{name}: no emulator registered, so the suite cannot run it offline"
        marks = () if entry.emulator else pytest.mark.skip(reason=why)
        yield pytest.param(name, id=name, marks=marks)


#: what the job reports through Pipes, identical wherever it runs
SAME = ("output_rows", "dagster/row_count", "records", "corrupt_members", "skipped_records",
        "seed_domains", "input_files", "input_bytes", "mode")  # fmt: skip
#: billing facts known platforms must report as positive numbers (a dotted key reaches into a
#: nested fact); a platform not listed still gets every other check
BILLED_ON: dict[str, tuple[str, ...]] = {
    "emr": ("normalized_instance_hours",),
    "glue": ("dpu_seconds",),
    "databricks": ("num_workers", "run_duration_s"),
    "databricks_serverless": ("run_duration_s",),
    "dataproc": ("cluster.vcpus", "cluster.workers.count"),
}
#: recorded keys that are facts about the run, not ids of it
NOT_IDS = {"platform", "platform_facts", "platform_source", "platform_console_url",
           "platform_queue_s", "platform_startup_s", "platform_run_s"}  # fmt: skip


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> SampleInfo:
    root = tmp_path_factory.mktemp("conformance")
    return generate_sample(
        root / "data", crawls=1, files_per_crawl=1, firms=20, pages_per_crawl=150
    )


@pytest.fixture(scope="module")
def secrets(tmp_path_factory: pytest.TempPathFactory) -> Iterator[set[str]]:
    with planted_secrets(tmp_path_factory.mktemp("planted")) as planted:
        yield planted


@pytest.fixture(scope="module")
def profiles(secrets: set[str]) -> Iterator[EmulatorPool]:
    with EmulatorPool() as pool:  # one emulator per provider, started on first use
        yield pool


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One Dagster instance on disk for the module: every platform's run, then the reports."""
    return tmp_path_factory.mktemp("dagster_home")


def launch_records() -> list[Path]:
    """Where launches are recorded (for `paasport gc`), wherever the suite puts them."""
    return [d for d in search_dirs(dg.DagsterInstance.ephemeral()) if d.exists()]


def materialize(
    sample: SampleInfo, out: Path, names: list[str], profile: dict[str, Any] | None, home: Path
) -> dict[str, Any]:
    paths = WebgraphPaths(sample.input_dir, sample.seeds_dir, out, "wat")
    key = f"{sample.crawl_ids[0]}|{sample.seed_stems[0]}"
    extra = {"target": profile} if profile else {}
    result = dg.materialize(
        webgraph_assets(paths),
        selection=names,
        partition_key=key,
        instance=dg.DagsterInstance.local_temp(str(home)),
        resources={"paasport": PaasportResource(extra_profiles=extra)},
        tags={"paasport/platform": "target" if profile else "local"},
    )
    assert result.success
    meta = result.asset_materializations_for_node(names[-1])[0].metadata
    return {k: getattr(v, "value", v) for k, v in meta.items()}


def edges_rows(sample: SampleInfo, out: Path) -> list[tuple[Any, ...]]:
    uri = output_uri(str(out), "edges", sample.crawl_ids[0], sample.seed_stems[0])
    return sorted(tuple(sorted(r.items())) for r in read_parquet_rows(uri))


@pytest.fixture(scope="module")
def baseline(
    sample: SampleInfo, tmp_path_factory: pytest.TempPathFactory, secrets: set[str], home: Path
) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("local") / "out"
    meta = materialize(sample, out, ["nodes", "edges"], None, home)
    return {"out": out, "meta": meta, "rows": edges_rows(sample, out)}


@pytest.mark.parametrize("platform", registered())
def test_same_partition_same_result(
    platform: str,
    sample: SampleInfo,
    baseline: dict[str, Any],
    profiles: EmulatorPool,
    secrets: set[str],
    home: Path,
    tmp_path: Path,
) -> None:
    out = tmp_path / "out"
    # the partition's `nodes` as local Spark made them: only `edges` runs on the platform
    nodes = local_path(
        output_uri(str(baseline["out"]), "nodes", sample.crawl_ids[0], sample.seed_stems[0])
    )
    shutil.copytree(
        nodes, local_path(output_uri(str(out), "nodes", sample.crawl_ids[0], sample.seed_stems[0]))
    )
    # settings a user gives in the profile are what Spark runs with, on every platform (Spark's
    # own record of its settings, read inside the job)
    profile = {**profiles[platform], "spark_conf": {**ASKED, **PLANTED_CONF}}
    meta = materialize(sample, out, ["edges"], profile, home)
    assert meta["spark_conf"].items() >= ASKED.items(), meta["spark_conf"]
    # the secret setting reached Spark (it is in Spark's own record) and was recorded redacted;
    # no secret of the run (the emulator's credentials are set while it runs) was written
    assert meta["spark_conf"][next(iter(PLANTED_CONF))] == REDACTED
    assert leaks([home, out, *launch_records()], secrets | environment_secrets()) == []
    # the scan reads where the run's records are: the setting's name is found there
    assert leaks([home], [next(iter(PLANTED_CONF))])

    assert edges_rows(sample, out) == baseline["rows"]
    local = baseline["meta"]
    assert {k: meta[k] for k in SAME} == {k: local[k] for k in SAME}
    assert meta["corrupt_members"] >= 1 and meta["skipped_records"] >= 1
    assert (meta["platform"], meta["profile"]) == (platform, "target")
    # the run's ids on the platform (a cluster, an application, a job run): what finds it again
    ids = {k: v for k, v in meta.items() if k.startswith("platform_") and k not in NOT_IDS}
    assert ids and all(isinstance(v, str) and v for v in ids.values()), ids
    for key in BILLED_ON.get(platform, ()):
        value = meta["platform_facts"]
        for part in key.split("."):
            value = value[part]
        assert value > 0, key
    assert meta["wall_time_s"] > 0
    # every run is priced; the parts add up to the total exactly
    cost = meta["cost"]
    parts = [Decimal(str(meta[f"cost_usd_{p}"])) for p in ("compute", "storage", "platform")]
    assert Decimal(str(meta["cost_usd_total"])) == sum(parts) == Decimal(str(cost["total"]))
    assert cost["lines"] and cost["basis"] and cost["currency"] == "USD"
    # self-hosted machines are your own: free until you price them; every cloud run costs
    self_hosted = REGISTRY[platform].provider.key == "selfhosted"
    assert (meta["cost_usd_total"] > 0) == (not self_hosted), cost


#: one platform of each family: self-hosted, AWS, Databricks, GCP
FAMILIES = [DEFAULT_PLATFORM, "emr_serverless", "databricks", "dataproc"]
COUNT_JOB = Path(__file__).parents[1] / "fixtures" / "count_job.py"


@pytest.mark.parametrize("platform", FAMILIES)
def test_a_retried_write_leaves_one_complete_output(
    platform: str, profiles: EmulatorPool, home: Path, tmp_path: Path
) -> None:
    """The first attempt fails one task of its write after the others wrote their files;
    Dagster's retry launches again: one output, complete, no duplicate row, nothing left over."""
    out, marker = tmp_path / "counts", tmp_path / "failed-once"
    asset = spark_asset(
        name="counts",
        job=COUNT_JOB,
        params={"output": str(out), "n": "700", "fail_once_midwrite": str(marker)},
        checks=["has_rows"],
        retry_policy=dg.RetryPolicy(max_retries=1),
        diagnostics=False,
    )
    remote = platform != DEFAULT_PLATFORM
    result = dg.materialize(
        [asset],
        instance=dg.DagsterInstance.local_temp(str(home)),
        resources={
            "paasport": PaasportResource(
                extra_profiles={"target": profiles[platform]} if remote else {}
            )
        },
        tags={"paasport/platform": "target" if remote else DEFAULT_PLATFORM},
    )
    assert result.success and marker.exists()
    retried = [e for e in result.all_events if e.event_type_value == "STEP_UP_FOR_RETRY"]
    assert len(retried) == 1, [e.event_type_value for e in result.all_events]
    rows = pq.read_table(out).to_pylist()
    assert sorted(r["k"] for r in rows) == list(range(7))  # each key once: no duplicate
    assert sum(r["count"] for r in rows) == 700  # complete
    assert sorted(p.name for p in tmp_path.iterdir()) == ["counts", "failed-once"]  # no staging


def test_reports_hold_no_secret(
    baseline: dict[str, Any],
    secrets: set[str],
    home: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The cost report (JSON, HTML, PNG), diagnostics and tuning over every run above."""
    (tmp_path / "paasport.toml").write_text('platform = "local"\n')
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PAASPORT_CONFIG", raising=False)
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    runner = CliRunner()
    shown = []
    for args in (
        ["costs", "--json", "--html", "report.html", "--png", "png"],
        ["diagnose", "edges", "--json"],
        ["tune", "edges", "--json"],
    ):
        result = runner.invoke(app, args)
        assert result.exit_code == 0, (args, result.output)
        shown.append(result.output)
    (tmp_path / "shown.txt").write_text("\n".join(shown))
    assert (tmp_path / "report.html").stat().st_size > 0 and list((tmp_path / "png").iterdir())
    assert '"asset": "edges"' in shown[0] or '"asset":"edges"' in shown[0], shown[0][:500]
    assert leaks([tmp_path, home, *launch_records()], secrets) == []
