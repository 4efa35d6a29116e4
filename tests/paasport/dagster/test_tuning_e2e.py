"""Tuning through Dagster and a real spark-submit on `local`: a trial runs with its settings
(read back inside Spark), pinned settings stay, and a failing trial is retried at once with the
incumbent settings so the asset succeeds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from paasport.dagster import PaasportResource, spark_asset

JOB = Path(__file__).parents[1] / "fixtures" / "count_job.py"
pytestmark = pytest.mark.spark
AQE, PARTITIONS, BROADCAST = (
    "spark.sql.adaptive.enabled",
    "spark.sql.shuffle.partitions",
    "spark.sql.autoBroadcastJoinThreshold",
)
#: settings copied from a big cluster: far too many shuffle partitions, AQE and broadcasts off
#: (400, not thousands: each run pays for every task, and the rule fires above 16 here)
PLANTED = {AQE: "false", PARTITIONS: "400", BROADCAST: "-1"}


def config(tmp_path: Path, pinned: list[str]) -> Path:
    conf = ", ".join(f'"{k}" = "{v}"' for k, v in PLANTED.items())
    path = tmp_path / "paasport.toml"
    path.write_text(
        f'[assets.counts]\ntuning = "auto"\ntuning_pinned = {pinned!r}\n'
        f"spark_conf = {{ {conf} }}\n".replace("'", '"')
    )
    return path


def materialize(
    instance: dg.DagsterInstance, tmp_path: Path, path: Path, **params: str
) -> dict[str, Any]:
    asset = spark_asset(
        name="counts",
        job=JOB,
        params={"output": str(tmp_path / "out"), "n": "500", "echo_conf": ",".join(PLANTED),
                **params},
        checks=["has_rows"],
    )  # fmt: skip
    result = dg.materialize(
        [asset], instance=instance, resources={"paasport": PaasportResource(config_path=str(path))}
    )
    assert result.success
    meta = result.asset_materializations_for_node("counts")[0].metadata
    return {k: getattr(v, "value", v) for k, v in meta.items()}


def test_a_trial_runs_with_its_settings_and_pinned_ones_stay(tmp_path: Path) -> None:
    instance = dg.DagsterInstance.ephemeral()
    path = config(tmp_path, [BROADCAST])
    first = materialize(instance, tmp_path, path)
    assert first["conf_readback"] == PLANTED  # the first run is the asset's own settings
    assert "tuning_trial" not in first and first["tuning_decision"] == "kept"
    proposal = first["tuning_next"]["trial"]
    assert proposal is not None and proposal["why"], first["tuning_next"]
    assert proposal["settings"][AQE] == "true"
    assert int(proposal["settings"][PARTITIONS]) < int(PLANTED[PARTITIONS])
    assert BROADCAST not in proposal["settings"] or proposal["settings"][BROADCAST] == "-1"

    second = materialize(instance, tmp_path, path)
    ran = second["conf_readback"]  # what Spark ran with, read inside the job
    assert ran[AQE] == "true" and ran[PARTITIONS] == proposal["settings"][PARTITIONS]
    assert ran[BROADCAST] == "-1"  # pinned
    assert second["tuning_trial"] == proposal
    assert second["tuning_decision"] in ("pending", "accepted", "rolled back")
    assert second["tuning_failed"] is False


def test_a_failing_trial_is_retried_at_once_with_the_incumbent(tmp_path: Path) -> None:
    instance = dg.DagsterInstance.ephemeral()
    path = config(tmp_path, [])
    fail_on_trial = {"fail_if_conf": f"{AQE}=true"}  # the trial turns AQE on: it fails
    materialize(instance, tmp_path, path, **fail_on_trial)
    second = materialize(instance, tmp_path, path, **fail_on_trial)
    assert second["tuning_failed"] is True and second["tuning_decision"] == "rolled back"
    assert second["tuning_trial"]["settings"][AQE] == "true"
    assert second["conf_readback"] == PLANTED  # the retry ran the incumbent
    # the next run is the incumbent again, not the rolled-back trial (tests/paasport/tuning)
    assert second["tuning_next"]["settings"][AQE] == "false"
