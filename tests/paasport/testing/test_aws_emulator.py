"""The AWS platforms against the emulator: faults, cancellation, many partitions at once.

Every run goes through Dagster, the dagster-aws Pipes client, boto3 over HTTP to moto and
SeaweedFS, and a real spark-submit of the job.
"""

from __future__ import annotations

import json
import re
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dagster as dg
import pyarrow.parquet as pq
import pytest

from paasport.dagster import PaasportResource, spark_asset
from paasport.testing.aws import BUCKET, AwsEmulator, Faults
from paasport.testing.isolation import read_request_log
from support.children import run_partitions, start_child, wait_for
from support.results import error_text, metadata

JOB = Path(__file__).parents[1] / "fixtures" / "count_job.py"
pytestmark = pytest.mark.spark
#: A user's Spark settings, through the real config path: `[assets.counts]` in paasport.toml.
ASKED = {"spark.sql.shuffle.partitions": "37", "spark.sql.adaptive.enabled": "false"}
SECRET = "PLANTED-SECRET-123"


@pytest.fixture(scope="module")
def aws() -> Iterator[AwsEmulator]:
    with AwsEmulator(slots=3) as running:
        yield running


def run(
    aws: AwsEmulator,
    platform: str,
    out: Path,
    partitions: dg.PartitionsDefinition | None = None,
    partition: str | None = None,
    fail: str = "no",
    sleep_s: str = "0",
    config_path: Path | None = None,
    echo_conf: str = "",
    **profile: Any,
) -> dg.ExecuteInProcessResult:
    asset = spark_asset(
        name="counts",
        job=JOB,
        params={
            "output": str(out),
            "n": "700",
            "fail": fail,
            "sleep_s": sleep_s,
            "echo_conf": echo_conf,
        },
        partitions_def=partitions,
        checks=["has_rows"],
    )
    return dg.materialize(
        [asset],
        instance=dg.DagsterInstance.ephemeral(),
        partition_key=partition,
        resources={
            "paasport": PaasportResource(
                config_path=str(config_path) if config_path else None,
                extra_profiles={"cloud": {**aws.profile(platform), **profile}},
            )
        },
        run_config={"ops": {"counts": {"config": {"platform": "cloud"}}}},
        raise_on_error=False,
    )


def test_spot_loss_fails_the_run_and_says_so(aws: AwsEmulator, tmp_path: Path) -> None:
    aws.set_faults(Faults(spot_loss=1, spot_loss_after_s=1))
    result = run(aws, "emr", tmp_path / "out")
    assert not result.success
    assert "spot loss" in error_text(result, "counts").lower()
    assert not (tmp_path / "out").exists()  # nothing half-written is visible


#: a burst of failures at every kind of call paasport makes: the first call of each kind is
#: answered throttled, then with HTTP 500 or 503 (one call's retries meet both), then served
BURSTS = Faults(call_throttles=1, server_errors=1, burst=2)
#: the kinds a successful run makes (cancel is proven in test_call_faults.py)
RUN_CALLS = ("submit", "get", "storage")


def assert_bursts_fired(aws: AwsEmulator, since: float, kinds: tuple[str, ...]) -> None:
    """Each kind met at least one whole burst: a throttle and a server error in a row."""
    fired = aws.faults_fired(since)
    for kind in kinds:
        assert fired[f"call_throttles:{kind}"] >= 1, (kind, fired)
        assert fired[f"server_errors:{kind}"] >= 1, (kind, fired)


def test_capacity_error_at_start_is_retried_with_backoff(aws: AwsEmulator, tmp_path: Path) -> None:
    bursts = BURSTS.model_dump(include={"call_throttles", "server_errors", "burst"})
    aws.set_faults(Faults(capacity_errors=1, throttles=2, slow_start_s=3, **bursts))
    user = {**ASKED, "spark.hadoop.fs.s3a.secret.key": SECRET}
    conf = ", ".join(f'"{k}" = "{v}"' for k, v in user.items())
    config = tmp_path / "paasport.toml"
    config.write_text(f"[assets.counts]\nspark_conf = {{ {conf} }}\n")
    started = time.time()
    result = run(
        aws, "emr", tmp_path / "out", config_path=config, echo_conf=",".join(ASKED),
        retry_backoff_s=1.0,
    )  # fmt: skip
    assert result.success
    assert metadata(result, "counts")["platform_facts"]["attempts"] == 2
    # the user's settings reach the job on the cluster (read back inside it) and are recorded,
    # the secret redacted
    meta = metadata(result, "counts")
    assert meta["conf_readback"] == ASKED
    assert meta["spark_conf"].items() >= ASKED.items()
    assert meta["spark_conf"]["spark.hadoop.fs.s3a.secret.key"] == "*********(redacted)"
    assert SECRET not in str(meta)
    raw = result.asset_materializations_for_node("counts")[0].metadata
    assert float(str(raw["platform_startup_s"].value)) >= 3  # the slow start is in the facts
    fired = [e["fault"] for e in aws.events() if e["event"] == "fault" and e["t"] >= started]
    assert fired.count("capacity_errors") == 1
    assert fired.count("throttles") == 2  # throttled calls were retried by boto3
    # bursts at every kind of call (EMR's RunJobFlow, DescribeCluster, S3), waited out by
    # botocore's retries
    assert_bursts_fired(aws, started, ("submit", "get", "list", "storage"))
    # two clusters: the one refused capacity and the one that ran; a throttle or a server error
    # never starts one
    assert len(_events(aws, "cluster_ended", started)) == 2
    assert len(_events(aws, "job_started", started)) == 1
    assert sum(r["count"] for r in pq.read_table(tmp_path / "out").to_pylist()) == 700
    aws.set_faults(Faults())


def test_bursts_of_failed_calls_are_waited_out_and_a_two_hour_run_is_billed_as_such(
    aws: AwsEmulator, tmp_path: Path
) -> None:
    """EMR Serverless through bursts of throttles and 5xx at its submit, get and S3 calls,
    and a submission carried out whose answer was an HTTP 500: one job run (botocore's
    retry sends the same clientToken), the right output. The run reports two hours (the
    emulator's clock), and the cost is that of two hours of billed usage."""
    aws.set_faults(BURSTS.model_copy(update={"run_extra_s": 7200.0, "lost_answers": 1}))
    started = time.time()
    result = run(aws, "emr_serverless", tmp_path / "out")
    assert result.success, error_text(result, "counts")
    assert sum(r["count"] for r in pq.read_table(tmp_path / "out").to_pylist()) == 700
    assert_bursts_fired(aws, started, RUN_CALLS)
    runs = [e for e in _events(aws, "job_started", started) if e["service"] == "emr_serverless"]
    assert len(runs) == 1  # retried submits never started a second run
    assert aws.faults_fired(started)["lost_answers"] == 1
    # one StartJobRun call, sent four times (throttled, 5xx, carried out but answered 500,
    # answered with the run it started), always with the same client token
    log = read_request_log(aws.workdir / "requests.jsonl")
    starts = [r for r in log if r["t"] >= started and r["method"] == "POST"
              and r["path"].endswith("/jobruns")]  # fmt: skip
    assert len(starts) == 4
    assert len({json.loads(r["body"])["clientToken"] for r in starts}) == 1
    meta = metadata(result, "counts")
    facts = meta["platform_facts"]
    assert facts["attempts"] == 1 and facts["total_execution_duration_s"] >= 7200
    # billed like the service: 2 workers x 4 vCPU x 2 h = 16 vCPU-hours, x 16 GB = 64 GB-hours
    billed = facts["billed_resource_utilization"]
    assert 16 <= billed["vCPUHour"] < 16.2 and 64 <= billed["memoryGBHour"] < 64.8
    lines = {line["what"]: line for line in meta["cost"]["lines"]}
    assert lines["billed vCPU-hours"]["quantity"] == pytest.approx(billed["vCPUHour"])
    # $0.052624 per vCPU-hour and $0.0057785 per GB-hour (us-east-1, x86)
    assert meta["cost_usd_total"] >= 16 * 0.052624 + 64 * 0.0057785


def test_the_asset_timeout_cancels_a_run_that_takes_too_long(
    aws: AwsEmulator, tmp_path: Path
) -> None:
    started = time.time()
    result = run(aws, "emr_eks", tmp_path / "out", sleep_s="120", timeout_s=12)
    assert not result.success
    assert "timeout of 12 s" in error_text(result, "counts")
    wait_for(lambda: _events(aws, "job_killed", started), 30, "the job to be cancelled")
    assert time.time() - started < 90


def test_a_failing_step_fails_the_asset(aws: AwsEmulator, tmp_path: Path) -> None:
    # the EMR cluster terminates normally after a failed step when the step's action says so;
    # Dagster's client would report that as a success
    result = run(aws, "emr", tmp_path / "out", fail="yes")
    assert not result.success
    text = error_text(result, "counts")
    assert "FAILED" in text and "asked to fail" in text


@pytest.mark.parametrize("platform", ["emr", "glue"])
def test_four_partitions_at_once(aws: AwsEmulator, tmp_path: Path, platform: str) -> None:
    # four, not more: each is a spark-submit, and two cores run two at a time
    keys = [str(i) for i in range(1, 5)]
    before = {o["Key"] for o in _objects(aws)}
    # one process per partition, as Dagster's multiprocess executor or four runs would do
    results = run_partitions(JOB, tmp_path, aws.profile(platform), keys)
    for key in keys:  # every output is correct
        rows = pq.read_table(tmp_path / key).to_pylist()
        assert sum(r["count"] for r in rows) == 700 * int(key), key
    new = {o["Key"] for o in _objects(aws)} - before
    # Pipes context and messages: one random location per run, none shared
    pipes_roots = {k.split("/")[0] for k in new if not k.startswith(("paasport/", "emr-logs/"))}
    assert len(pipes_roots) >= 4
    # artifacts: content-addressed, written once, shared by the runs of this code version
    artifacts = [o["Key"] for o in _objects(aws) if o["Key"].startswith("paasport/artifacts/")]
    assert len(artifacts) == len(set(artifacts))
    assert len({(f["script_uri"], f["wheel_uri"]) for f in results}) == 1
    assert {f["state"] for f in results} <= {"TERMINATED", "SUCCEEDED"}


def _objects(aws: AwsEmulator) -> list[dict[str, Any]]:
    s3 = aws.client("s3")
    out: list[dict[str, Any]] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET):
        out += page.get("Contents", [])
    return out


@pytest.mark.parametrize("platform", ["emr"])
def test_killing_the_dagster_run_cancels_the_remote_job(
    aws: AwsEmulator, tmp_path: Path, platform: str
) -> None:
    started = time.time()
    child = start_child(JOB, tmp_path / "out", aws.profile(platform), sleep_s="120")
    try:
        wait_for(lambda: _events(aws, "job_started", started), 120, "the remote job to start")
        time.sleep(8)  # well into the run: the job sleeps 120 s after writing its output
        killed_at = time.time()
        child.send_signal(signal.SIGINT)  # what Dagster's run termination does to a run worker
        wait_for(lambda: _events(aws, "job_killed", started), 30, "the remote job to be killed")
        cancelled_in = _events(aws, "job_killed", started)[0]["t"] - killed_at
        assert cancelled_in <= 15, cancelled_in
        assert child.wait(timeout=60) != 0
    finally:
        if child.poll() is None:
            child.kill()
    if platform == "emr":  # no emulated cluster is left running
        clusters = aws.client("emr").list_clusters(
            ClusterStates=["STARTING", "BOOTSTRAPPING", "RUNNING", "WAITING"]
        )["Clusters"]
        assert clusters == []


def _events(aws: AwsEmulator, kind: str, since: float) -> list[dict[str, Any]]:
    return [e for e in aws.events() if e["event"] == kind and e["t"] >= since]


def test_the_budget_guard_cancels_a_run_over_its_cap_within_one_poll(
    aws: AwsEmulator, tmp_path: Path
) -> None:
    # a price without the 1-minute minimum, so the estimate grows from 0 and crosses the cap
    # mid-run: 4 workers x 4 vCPU x $0.45 per vCPU-hour = $0.002/s, over $0.04 after 20 s
    (tmp_path / "paasport.toml").write_text(
        "[assets.counts]\nmax_cost_usd = 0.04\n"
        + "".join(
            f'[[pricing.prices]]\nservice = "emr_serverless"\nitem = "x86_64.{item}"\n'
            f'region = "us-east-1"\nprice = {price}\nmin_billed_s = 0\nunit = "{unit}"\n'
            for item, price, unit in (("vcpu", 0.45, "vCPU-hour"), ("memory", 0, "GB-hour"))
        )
    )
    started = time.time()
    config = tmp_path / "paasport.toml"
    result = run(aws, "emr_serverless", tmp_path / "out", sleep_s="120", config_path=config)
    assert not result.success
    error = error_text(result, "counts")
    found = re.search(
        r"estimated cost \$(0\.\d+) after (\d+) s exceeds the asset's cap of \$0\.04", error
    )
    assert found, error
    estimate, elapsed = float(found.group(1)), int(found.group(2))
    # cancelled at the first poll after the crossing: polls are at most poll_max_s (2 s) apart
    assert 0.04 < estimate <= 0.04 + 0.002 * (2 + 1)
    assert 20 <= elapsed <= 20 + 2 + 1
    wait_for(lambda: _events(aws, "job_killed", started), 30, "the job to be cancelled")
    assert result.asset_materializations_for_node("counts") == []


def run_auto(aws: AwsEmulator, tmp_path: Path, candidates: dict[str, dict[str, Any]]) -> Any:
    """The counts asset with `platform = "auto"` over these emulated profiles."""
    names = ", ".join(f'"{n}"' for n in candidates)
    (tmp_path / "paasport.toml").write_text(
        f'platform = "auto"\n[planner]\ncandidates = [{names}]\nexplore_runs = 0\n'
        "platform_retries = 0\nretry_backoff_s = 0\n"
    )
    out = str(tmp_path / "out")
    params = {"output": out, "n": "700"}
    asset = spark_asset(name="counts", job=JOB, params=params, checks=["has_rows"])
    return dg.materialize(
        [asset],
        instance=dg.DagsterInstance.ephemeral(),
        resources={
            "paasport": PaasportResource(
                config_path=str(tmp_path / "paasport.toml"),
                extra_profiles={
                    n: {**aws.profile(p["platform"]), **p} for n, p in candidates.items()
                },
            )
        },
        raise_on_error=False,
    )


def test_auto_recovers_from_a_spot_loss_on_another_candidate(
    aws: AwsEmulator, tmp_path: Path
) -> None:
    aws.set_faults(Faults(spot_loss=1, spot_loss_after_s=1))
    result = run_auto(aws, tmp_path, {
        "emr_spot": {"platform": "emr", "task_spot_count": 1},
        "emr_on_demand": {"platform": "emr"},
    })  # fmt: skip
    assert result.success, error_text(result, "counts")
    meta = metadata(result, "counts")
    attempts = meta["attempts"]
    assert [(a["platform"], a["status"]) for a in attempts] == [
        ("emr_spot", "interrupted"), ("emr_on_demand", "success")]  # fmt: skip
    assert attempts[0]["detail"]["kind"] == "spot_loss"
    assert all(a["cost_usd"] > 0 for a in attempts)
    # what the materialization cost includes the lost attempt, and its parts still add up
    assert meta["cost_usd_total"] == pytest.approx(sum(a["cost_usd"] for a in attempts), abs=2e-6)
    assert meta["profile"] == "emr_on_demand" and meta["plan"]["order"][0] == "emr_spot"
    # the output is a clean run's: every id counted once, nothing lost or duplicated
    rows = pq.read_table(tmp_path / "out").to_pylist()
    assert sum(r["count"] for r in rows) == 700
    assert sorted(r["k"] for r in rows) == list(range(7))


def test_auto_fails_over_when_a_platform_refuses_capacity(aws: AwsEmulator, tmp_path: Path) -> None:
    # EMR's own retry (1) meets a second capacity error: the candidate fails, naming capacity
    aws.set_faults(Faults(capacity_errors=2))
    started = time.time()
    result = run_auto(aws, tmp_path, {
        "cluster": {"platform": "emr", "capacity_retries": 1, "retry_backoff_s": 0.5},
        "serverless": {"platform": "emr_serverless"},
    })  # fmt: skip
    assert result.success, error_text(result, "counts")
    attempts = metadata(result, "counts")["attempts"]
    assert [(a["platform"], a["status"]) for a in attempts] == [
        ("cluster", "failed"), ("serverless", "success")]  # fmt: skip
    assert attempts[0]["detail"]["kind"] == "capacity"
    assert "capacity error" in attempts[0]["detail"]["error"].lower()
    fired = [e["fault"] for e in aws.events() if e["event"] == "fault" and e["t"] >= started]
    assert fired.count("capacity_errors") == 2
    assert metadata(result, "counts")["platform"] == "emr_serverless"


def test_cancel_and_list_calls_wait_out_their_bursts_too(aws: AwsEmulator) -> None:
    """The kinds a successful run does not make, through paasport's own boto3 clients: each
    call meets a throttle and a server error, botocore retries, and the service's real
    answer comes back (no such run: the retried call reached the service)."""
    from botocore.exceptions import ClientError

    from paasport.platforms.aws.common import boto_client

    # two bursts of each kind: two list calls below meet one each
    aws.set_faults(
        Faults(call_throttles=2, server_errors=2, burst=2, burst_calls={"cancel", "list"})
    )
    started = time.time()
    serverless = boto_client("emr-serverless", "us-east-1")
    with pytest.raises(ClientError) as caught:
        serverless.cancel_job_run(applicationId=aws.application_id, jobRunId="00000000000000")
    assert caught.value.response["Error"]["Code"] != "ThrottlingException"
    assert caught.value.response["ResponseMetadata"]["RetryAttempts"] == 2
    apps = serverless.list_applications()
    assert apps["ResponseMetadata"]["RetryAttempts"] == 2 and apps["applications"]
    glue = boto_client("glue", "us-east-1")  # the JSON protocol: throttled with HTTP 400
    assert glue.list_jobs()["ResponseMetadata"]["RetryAttempts"] == 2
    assert_bursts_fired(aws, started, ("cancel", "list"))
    aws.set_faults(Faults())
