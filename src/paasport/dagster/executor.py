"""An executor that runs a one-step run in the run worker itself.

Dagster's default executor starts a new Python process for every step, so that steps can run in
parallel. A run of one step (one asset, one partition: what `dagster asset materialize`, a
backfill and a sensor start for a Spark asset) has nothing to run in parallel, and that process
costs about 2 s here (a Python start, Dagster's and the definitions' imports) before paasport
even launches Spark. This executor runs such a run's step in process and hands every other run
to the multiprocess executor, with the same configuration as Dagster's default:

    defs = dg.Definitions(assets=[...], executor=single_step_in_process_executor)

The Spark job runs in its own process either way (spark-submit or a remote platform, under
Pipes); only the Dagster step moves into the run worker, with the same retry configuration.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import dagster as dg
from dagster._core.definitions.executor_definition import (
    MULTI_PROC_CONFIG,
    _core_in_process_executor_creation,
    _core_multiprocess_executor_creation,
)
from dagster._core.execution.retries import RetryMode
from dagster._core.execution.step_dependency_config import StepDependencyConfig
from dagster._core.executor.base import Executor

if TYPE_CHECKING:
    from dagster._core.events import DagsterEvent
    from dagster._core.execution.context.system import PlanOrchestrationContext
    from dagster._core.execution.plan.plan import ExecutionPlan


class SingleStepInProcessExecutor(Executor):
    """In process for a plan of one step, multiprocess otherwise (Dagster's own executors)."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.multiprocess = _core_multiprocess_executor_creation(config)
        # the same retry and dependency settings for the one-step case
        self.in_process = _core_in_process_executor_creation(
            {
                "retries": config.get("retries", {"enabled": {}}),
                "step_dependency_config": config.get("step_dependency_config"),
            }
        )

    def chosen(self, execution_plan: ExecutionPlan) -> Executor:
        one_step = len(execution_plan.step_keys_to_execute) == 1
        return self.in_process if one_step else self.multiprocess

    def execute(
        self, plan_context: PlanOrchestrationContext, execution_plan: ExecutionPlan
    ) -> Iterator[DagsterEvent]:
        return self.chosen(execution_plan).execute(plan_context, execution_plan)

    @property
    def retries(self) -> RetryMode:
        return self.multiprocess.retries

    @property
    def step_dependency_config(self) -> StepDependencyConfig:
        return self.multiprocess.step_dependency_config


@dg.executor(
    name="single_step_in_process",
    config_schema=MULTI_PROC_CONFIG,
    # a run of several steps still needs what the multiprocess executor needs
    requirements=dg.multiple_process_executor_requirements(),
)
def single_step_in_process_executor(init_context: dg.InitExecutorContext) -> Executor:
    """Runs a one-step run in the run worker, any other run as Dagster's multiprocess executor
    (same configuration: max_concurrent, retries, tag_concurrency_limits, start_method)."""
    return SingleStepInProcessExecutor(dict(init_context.executor_config))
