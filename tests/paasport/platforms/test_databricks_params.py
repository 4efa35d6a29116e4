"""The Databricks request from a profile, the fixes to Dagster's client, failure kinds: fast."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from databricks.sdk.service import jobs
from pydantic import ValidationError

from paasport.job.params import JobParams
from paasport.platforms.base import JobSpec, LaunchRequest
from paasport.platforms.databricks.classic import (
    DatabricksClassicProfile,
    DatabricksPlatform,
    cloud_attributes,
    submit_task,
)
from paasport.platforms.databricks.common import FixedClient, failure, submit_args, tag_value
from paasport.platforms.databricks.serverless import (
    DatabricksServerlessProfile,
    serverless_submit_args,
)
from paasport.platforms.packaging import Artifacts
from paasport.platforms.remote import CapacityError, RemoteRunError, SpotLossError

ART = Artifacts("dbfs:/p/artifacts/ab/job.py", "dbfs:/p/artifacts/cd/paasport.whl", "v1")


def request(**conf: str) -> LaunchRequest:
    params = JobParams(platform="databricks", run_id="r-1", asset="edges", partition_key="c|s")
    return LaunchRequest(JobSpec(Path("job.py"), "edges"), params, conf, timeout_s=600)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"artifacts_path": "s3://bucket/x"}, "artifacts_path"),
        ({"host": "not a url"}, "host"),
        ({"spark_version": "latest"}, "spark_version"),
        ({"autoscale": {"min_workers": 4, "max_workers": 2}}, "autoscale"),
        ({"availability": "CHEAP"}, "availability"),
        ({"existing_cluster_id": "c-1", "cluster_log_path": "dbfs:/logs"}, "existing_cluster_id"),
        ({"pipes_volume": "/Volumes/only_catalog"}, "pipes_volume"),
        ({"token": "dapi123"}, "token"),  # secrets have no field: the SDK finds them
    ],
)
def test_bad_profiles_name_the_field(fields: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError, match=field):
        DatabricksClassicProfile(**fields)


def test_serverless_needs_volumes() -> None:
    with pytest.raises(ValidationError, match="artifacts_path"):
        DatabricksServerlessProfile(artifacts_path="dbfs:/x", pipes_volume="/Volumes/a/b/c")


def test_new_cluster_task_carries_spot_photon_conf_logs_and_tags() -> None:
    profile = DatabricksClassicProfile(
        autoscale={"min_workers": 2, "max_workers": 8},
        photon=True,
        cluster_log_path="dbfs:/logs",
        init_scripts=["/Volumes/c/s/v/init.sh"],
        extra_requirements=["orjson==3.13.0"],
    )
    task = submit_task(profile, request(**{"spark.sql.shuffle.partitions": "64"}), ART, {"t": "1"})
    cluster = task["new_cluster"]
    assert cluster["autoscale"] == {"min_workers": 2, "max_workers": 8}
    assert "num_workers" not in cluster and cluster["runtime_engine"] == "PHOTON"
    assert cluster["aws_attributes"] == {"availability": "SPOT_WITH_FALLBACK", "first_on_demand": 1}
    assert cluster["spark_conf"] == {"spark.sql.shuffle.partitions": "64"}
    assert cluster["cluster_log_conf"] == {"dbfs": {"destination": "dbfs:/logs"}}
    assert cluster["init_scripts"] == [{"volumes": {"destination": "/Volumes/c/s/v/init.sh"}}]
    assert cluster["custom_tags"] == {"t": "1"}
    assert task["libraries"] == [{"whl": ART.wheel_uri}, {"pypi": {"package": "orjson==3.13.0"}}]
    assert task["spark_python_task"]["python_file"] == ART.script_uri
    jobs.SubmitTask.from_dict(task)  # the SDK accepts it


def test_existing_cluster_task_has_no_cluster_spec_and_no_capacity_retries() -> None:
    profile = DatabricksClassicProfile(existing_cluster_id="0101-abc")
    task = submit_task(profile, request(), ART, {})
    assert task["existing_cluster_id"] == "0101-abc" and "new_cluster" not in task
    assert DatabricksPlatform(profile, "p").capacity_retries()[0] == 0


@pytest.mark.parametrize(
    ("cloud", "key", "value"),
    [
        ("aws", "aws_attributes", "SPOT_WITH_FALLBACK"),
        ("azure", "azure_attributes", "SPOT_WITH_FALLBACK_AZURE"),
        ("gcp", "gcp_attributes", "PREEMPTIBLE_WITH_FALLBACK_GCP"),
    ],
)
def test_spot_with_fallback_in_each_clouds_words(cloud: str, key: str, value: str) -> None:
    attrs = cloud_attributes(DatabricksClassicProfile(cloud=cloud))
    assert attrs[key]["availability"] == value


def test_each_launch_has_its_own_idempotency_token_and_a_timeout_after_ours() -> None:
    profile = DatabricksClassicProfile()
    first, second = submit_args(profile, request()), submit_args(profile, request())
    assert first["idempotency_token"] != second["idempotency_token"]
    assert len(first["idempotency_token"]) <= 64
    assert first["run_name"] == "paasport-edges-c|s" and first["timeout_seconds"] == 660


def test_serverless_environment_installs_the_wheel_and_dependencies() -> None:
    profile = DatabricksServerlessProfile(
        artifacts_path="/Volumes/c/s/v/art",
        pipes_volume="/Volumes/c/s/v/pipes",
        dependencies=["orjson==3.13.0"],
        budget_policy_id="bp-1",
    )
    art = Artifacts("/Volumes/c/s/v/art/a/job.py", "/Volumes/c/s/v/art/b/p.whl", "v1")
    args = serverless_submit_args(profile, request(), art)
    spec = args["environments"][0].as_dict()
    assert spec["spec"]["dependencies"] == ["/Volumes/c/s/v/art/b/p.whl", "orjson==3.13.0"]
    assert args["budget_policy_id"] == "bp-1"


class FakeSession:
    """What `_enrich_submit_task_dict` reads of a Pipes session."""

    default_remote_invocation_info = {"dagster/run-id": "r-1", "dagster/job": "__asset_job"}

    def get_per_writer_bootstrap_env_vars(self) -> list[dict[str, str]]:
        return [{"DAGSTER_PIPES_CONTEXT": "c", "DAGSTER_PIPES_MESSAGES": "m"}]

    def get_per_writer_bootstrap_cli_arguments(self) -> list[dict[str, str]]:
        return [{"--dagster-pipes-context": "c", "--dagster-pipes-messages": "m"}]


def test_dagsters_run_tags_reach_the_cluster_instead_of_being_dropped() -> None:
    from dagster_databricks import PipesDatabricksClient
    from databricks.sdk import WorkspaceClient

    class Client(FixedClient, PipesDatabricksClient):
        pass

    sdk = WorkspaceClient(host="http://127.0.0.1:9", token="x")
    client = Client(DatabricksClassicProfile(), None, client=sdk)
    task = submit_task(DatabricksClassicProfile(), request(), ART, {"paasport:asset": "edges"})

    class Log:
        def debug(self, _: str) -> None:
            pass

    context = type("Ctx", (), {"log": Log()})()
    enriched = client._enrich_submit_task_dict(context, FakeSession(), task)
    # the Dagster client puts them at task level, where SubmitTask.from_dict drops them...
    assert "tags" not in jobs.SubmitTask.from_dict(enriched).as_dict()
    # ...so they go into the cluster's tags, which Databricks bills and the SDK keeps
    tags = jobs.SubmitTask.from_dict(enriched).as_dict()["new_cluster"]["custom_tags"]
    assert tags == {
        "dagster/run-id": "r-1",
        "dagster/job": "__asset_job",
        "paasport:asset": "edges",
    }
    assert enriched["new_cluster"]["spark_env_vars"]["DAGSTER_PIPES_CONTEXT"] == "c"


def test_tag_values_lose_characters_databricks_refuses() -> None:
    assert tag_value("a|b#c") == "a_b_c"


@pytest.mark.parametrize(
    ("message", "kind"),
    [
        ("Cluster lost its driver: SPOT_INSTANCE_TERMINATION (reclaimed)", SpotLossError),
        ("Reason: AWS_INSUFFICIENT_INSTANCE_CAPACITY_FAILURE (CLOUD_FAILURE)", CapacityError),
        ("Task paasport failed with message: RuntimeError: boom", RemoteRunError),
    ],
)
def test_failures_are_classified_from_the_state_message(
    message: str, kind: type[RemoteRunError]
) -> None:
    run = jobs.Run.from_dict(
        {"run_id": 7, "state": {"life_cycle_state": "INTERNAL_ERROR", "state_message": message}}
    )
    err = failure(None, run)
    assert type(err) is kind and "Databricks run 7" in str(err) and message in str(err)
