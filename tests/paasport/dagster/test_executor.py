"""The single-step executor: a run of one step runs in the run worker, others as multiprocess."""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.definitions.reconstruct import ReconstructableJob

from paasport.dagster.executor import SingleStepInProcessExecutor

#: the job as a file: the multiprocess executor's step processes load it from its path
JOB_MODULE = """
import os
import dagster as dg
from paasport.dagster.executor import single_step_in_process_executor


@dg.asset
def first() -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata={"pid": os.getpid()})


@dg.asset(deps=[first])
def second() -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata={"pid": os.getpid()})


def both_job() -> dg.JobDefinition:
    job = dg.define_asset_job("both", executor_def=single_step_in_process_executor)
    return dg.Definitions(assets=[first, second], jobs=[job]).resolve_job_def("both")
"""


@pytest.fixture
def job_file(tmp_path: Path) -> Path:
    path = tmp_path / "executor_job.py"
    path.write_text(JOB_MODULE)
    return path


def step_pids(job_file: Path, instance: dg.DagsterInstance, only: str | None) -> dict[str, int]:
    job = ReconstructableJob.for_file(str(job_file), "both_job")
    keys = [dg.AssetKey(only)] if only else None
    with dg.execute_job(job, instance=instance, asset_selection=keys) as result:
        assert result.success
        return {
            e.asset_key.to_user_string(): int(e.materialization.metadata["pid"].value)  # type: ignore[arg-type]
            for e in result.get_asset_materialization_events()
            if e.asset_key is not None
        }


def test_a_one_step_run_runs_in_the_run_worker_and_a_longer_one_in_step_processes(
    job_file: Path,
) -> None:
    with dg.instance_for_test() as instance:
        assert step_pids(job_file, instance, "first") == {"first": os.getpid()}
        pids = step_pids(job_file, instance, None)
        assert set(pids) == {"first", "second"}
        assert os.getpid() not in pids.values()  # each step in a process of its own
        assert pids["first"] != pids["second"]


def test_the_multiprocess_configuration_is_taken_as_dagster_takes_it() -> None:
    config = {"max_concurrent": 1, "retries": {"disabled": {}}}
    executor = SingleStepInProcessExecutor(config)
    assert executor.multiprocess._max_concurrent == 1
    assert executor.retries.disabled
    assert executor.in_process.retries.disabled
