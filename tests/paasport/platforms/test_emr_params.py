"""The EMR request paasport builds: defaults from practice, each overridable, nothing mutated."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from paasport.job.params import JobParams
from paasport.platforms.aws.emr import EmrProfile, instance_summary, run_job_flow_params
from paasport.platforms.aws.emr_config import merge_configurations, pipes_env_configurations
from paasport.platforms.base import JobSpec, LaunchRequest
from paasport.platforms.packaging import Artifacts

ART = Artifacts("s3://b/p/artifacts/aa/job.py", "s3://b/p/artifacts/bb/proj.whl", "v1")


def request(**conf: str) -> LaunchRequest:
    params = JobParams(
        asset="edges", partition_key="c1|s1", partition_keys={}, params={}, run_id="r" * 36
    )
    return LaunchRequest(JobSpec(Path("/x/job.py"), "edges"), params, conf)


def profile(**kw: Any) -> EmrProfile:
    return EmrProfile(bucket="my-bucket", **kw)


def classification(params: dict[str, Any], name: str) -> dict[str, Any]:
    return next(c for c in params["Configurations"] if c["Classification"] == name)


def test_fleets_with_spot_task_capacity_and_on_demand_fallback() -> None:
    p = run_job_flow_params(profile(task_spot_count=4, spot_bid_percent=60), request(), ART)
    fleets = {f["InstanceFleetType"]: f for f in p["Instances"]["InstanceFleets"]}
    assert (
        fleets["CORE"]["TargetOnDemandCapacity"] == 2 and fleets["CORE"]["TargetSpotCapacity"] == 0
    )
    task = fleets["TASK"]
    assert task["TargetSpotCapacity"] == 4 and len(task["InstanceTypeConfigs"]) >= 3
    assert {c["BidPriceAsPercentageOfOnDemandPrice"] for c in task["InstanceTypeConfigs"]} == {60.0}
    spot = task["LaunchSpecifications"]["SpotSpecification"]
    assert spot["TimeoutAction"] == "SWITCH_TO_ON_DEMAND" and spot["TimeoutDurationMinutes"] == 10
    assert instance_summary(p)[-1] == {
        "role": "TASK", "types": [c["InstanceType"] for c in task["InstanceTypeConfigs"]],
        "on_demand": 0, "spot": 4,
    }  # fmt: skip


def test_practice_defaults_and_overrides() -> None:
    p = run_job_flow_params(profile(), request(), ART)
    yarn = classification(p, "yarn-site")["Properties"]
    assert yarn["yarn.node-labels.am.default-node-label-expression"] == "CORE"
    defaults = classification(p, "spark-defaults")["Properties"]
    assert defaults["spark.databricks.delta.vacuum.parallelDelete.enabled"] == "true"
    assert p["AutoTerminationPolicy"] == {"IdleTimeout": 3600}
    tags = {t["Key"]: t["Value"] for t in p["Tags"]}
    assert tags["paasport:asset"] == "edges" and tags["paasport:partition"] == "c1|s1"
    assert tags["paasport:run-id"] == "r" * 36
    # instance groups get maximizeResourceAllocation; everything can be switched off
    groups = run_job_flow_params(
        profile(instance_fleets=False, am_on_core_nodes=False, idle_timeout_s=600), request(), ART
    )
    assert classification(groups, "spark")["Properties"]["maximizeResourceAllocation"] == "true"
    assert not any(c["Classification"] == "yarn-site" for c in groups["Configurations"])
    assert groups["AutoTerminationPolicy"] == {"IdleTimeout": 600}
    assert {g["InstanceRole"] for g in groups["Instances"]["InstanceGroups"]} == {"MASTER", "CORE"}


def test_step_runs_the_uploaded_script_with_the_wheel_and_spark_conf() -> None:
    p = run_job_flow_params(profile(), request(**{"spark.sql.shuffle.partitions": "8"}), ART)
    args = p["Steps"][0]["HadoopJarStep"]["Args"]
    assert args[:3] == ["spark-submit", "--deploy-mode", "cluster"]
    assert args[-1] == ART.script_uri
    assert args[args.index("--py-files") + 1] == ART.wheel_uri
    assert "spark.sql.shuffle.partitions=8" in args
    assert p["Steps"][0]["ActionOnFailure"] == "TERMINATE_CLUSTER"


def test_user_classifications_keep_the_pipes_variables() -> None:
    user: list[dict[str, Any]] = [
        {"Classification": "spark-defaults", "Properties": {"spark.executor.memory": "8g"}},
        {"Classification": "spark-env", "Configurations": [
            {"Classification": "export", "Properties": {"MY_VAR": "1"}}]},
    ]  # fmt: skip
    pipes_env = {"DAGSTER_PIPES_CONTEXT": "ctx", "DAGSTER_PIPES_MESSAGES": "msg"}
    before = copy.deepcopy(user)
    merged = merge_configurations(user, pipes_env_configurations(pipes_env))
    assert user == before  # the caller's list is not mutated
    defaults = next(c for c in merged if c["Classification"] == "spark-defaults")["Properties"]
    assert defaults["spark.executor.memory"] == "8g"
    assert defaults["spark.yarn.appMasterEnv.DAGSTER_PIPES_CONTEXT"] == "ctx"
    env = next(c for c in merged if c["Classification"] == "spark-env")["Configurations"][0]
    assert env["Properties"] == {"MY_VAR": "1", **pipes_env}


def test_dagster_aws_merge_loses_them_which_is_why_we_merge_ourselves() -> None:
    # documents the upstream defect our EMR client works around; if it is fixed upstream this
    # test fails and the workaround can go
    from dagster_aws.pipes.clients.utils import add_emr_configuration

    user = [{"Classification": "spark-defaults", "Properties": {"a": "1"}}]
    merged = add_emr_configuration(
        user,
        {"Classification": "spark-defaults", "Properties": {"DAGSTER_PIPES_CONTEXT": "x"}},
        emr_flavor="standard",
    )
    assert "DAGSTER_PIPES_CONTEXT" not in str(merged)


def test_profile_never_mutated_across_runs() -> None:
    prof = profile(configurations=[{"Classification": "spark", "Properties": {"x": "1"}}])
    before = prof.model_dump()
    first = run_job_flow_params(prof, request(), ART)
    first["Configurations"].clear()
    first["Tags"].append({"Key": "dup", "Value": "1"})
    second = run_job_flow_params(prof, request(), ART)
    assert prof.model_dump() == before
    assert [t for t in second["Tags"] if t["Key"] == "dup"] == []


@pytest.mark.parametrize(
    ("field", "value"),
    [("bucket", "No_Such Bucket"), ("log_uri", "http://x"), ("spot_bid_percent", 0)],
)
def test_invalid_fields_are_named(field: str, value: Any) -> None:
    kw: dict[str, Any] = {"bucket": "my-bucket", field: value}
    with pytest.raises(ValidationError) as err:
        EmrProfile(**kw)
    assert field in str(err.value)
