"""The Dagster resource that selects the platform and launches a job on it."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import dagster as dg
from dagster._core.errors import DagsterExecutionInterruptedError

from paasport.config import ConfigError, ProjectConfig, ResolvedProfile, load_config
from paasport.dagster.auto import plan_from_instance
from paasport.dagster.costing import attribution, budget_guard, run_cost
from paasport.dagster.diagnostics import (
    PAASPORT_CHECKS,
    baseline_history,
    check_results,
    completed,
    findings_for,
    findings_metadata,
)
from paasport.dagster.selection import select_platform
from paasport.dagster.tuning import AssetTuning, asset_tuning
from paasport.diagnostics.findings import worst_first
from paasport.job.params import JobParams
from paasport.planner.failover import FailoverPolicy, failure_kind
from paasport.planner.history import Attempt
from paasport.planner.plan import AssetPlan, input_size
from paasport.planner.priors import hourly_price
from paasport.platforms import JobSpec, LaunchOutcome, LaunchRequest, Platform, get_platform_class
from paasport.platforms.budget import running_estimate
from paasport.platforms.costs import cost_of
from paasport.platforms.remote import BudgetExceededError
from paasport.platforms.selfhosted.spark_submit import reported_metadata
from paasport.pricing.breakdown import CostBreakdown
from paasport.pricing.catalog import Catalog, CatalogError, MissingPriceError, load_catalog
from paasport.record import AttemptRecord, PlanRecord, RunRecord


class SparkAssetConfig(dg.Config):
    """Per-run settings of a Spark asset (the launchpad's `ops.<asset>.config`)."""

    platform: str | None = None
    params: dict[str, str] = {}
    spark_conf: dict[str, str] = {}
    sample: bool = False


def partition_keys(context: dg.AssetExecutionContext) -> dict[str, str]:
    if not context.has_partition_key:
        return {}
    key = context.partition_key
    if isinstance(key, dg.MultiPartitionKey):
        return dict(key.keys_by_dimension)
    return {"partition": key}


def merge_result(
    results: list[Any],
    extra: Mapping[str, Any],
    more_checks: Sequence[dg.AssetCheckResult] = (),
) -> dg.MaterializeResult:
    """One MaterializeResult from the Pipes results, with the orchestrator's metadata and
    checks added."""
    materialization: dg.MaterializeResult | None = None
    checks: list[dg.AssetCheckResult] = []
    for result in results:
        if isinstance(result, dg.MaterializeResult):
            materialization = result
        elif isinstance(result, dg.AssetCheckResult):
            checks.append(result)
    if materialization is None:
        raise dg.Failure("the job finished without reporting a materialization")
    metadata = {**(materialization.metadata or {}), **extra}
    return dg.MaterializeResult(
        asset_key=materialization.asset_key,
        metadata=metadata,
        check_results=[*(materialization.check_results or []), *checks, *more_checks],
        data_version=materialization.data_version,
    )


class PaasportResource(dg.ConfigurableResource):
    """Reads the project config, picks the platform, launches, records run facts."""

    config_path: str | None = None
    #: profiles that exist only for this process, e.g. an emulated platform's
    extra_profiles: dict[str, dict[str, Any]] = {}
    #: replaces the config's [planner] for this process (the emulated `auto` demo)
    planner: dict[str, Any] = {}

    def project_config(self) -> ProjectConfig:
        return load_config(self.config_path, self.extra_profiles, self.planner)

    def materialize(
        self,
        context: dg.AssetExecutionContext,
        *,
        job: JobSpec,
        config: SparkAssetConfig,
        params: Mapping[str, str],
        spark_conf: Mapping[str, str],
    ) -> dg.MaterializeResult:
        asset = context.asset_key.to_user_string()
        try:
            project = self.project_config()
            selection = select_platform(project, asset, config.platform, context.run.tags)
            catalog = load_catalog(project.pricing)
        except (ConfigError, CatalogError) as exc:
            raise dg.Failure(description=f"invalid configuration, nothing launched: {exc}") from exc
        launch = Launcher(context, project, catalog, job, config, params, spark_conf)
        if selection.resolved is not None:  # one platform, chosen by configuration
            outcome, first = launch.once(selection.resolved, selection.source)
            return launch.result(outcome, first, selection.source)
        return launch.auto(selection.source)


@dataclass
class Prepared:
    """One candidate, ready to launch: its platform, request and budget guard."""

    resolved: ResolvedProfile
    platform: Platform
    request: LaunchRequest


class Launcher:
    """Launches an asset's job: on one configured platform, or on the planner's candidates with
    failover (`platform = "auto"`)."""

    def __init__(
        self,
        context: dg.AssetExecutionContext,
        project: ProjectConfig,
        catalog: Catalog,
        job: JobSpec,
        config: SparkAssetConfig,
        params: Mapping[str, str],
        spark_conf: Mapping[str, str],
    ) -> None:
        self.context, self.project, self.catalog = context, project, catalog
        self.job, self.config, self.params, self.spark_conf = job, config, params, spark_conf
        self.asset = context.asset_key.to_user_string()
        self.settings = project.asset(self.asset)
        self.partition = str(context.partition_key) if context.has_partition_key else None
        self.history: list[Attempt] | None = None  # read once, when the planner needs it
        self.tunings: dict[str, AssetTuning] = {}  # per profile, read once when tuning is on
        self.failed_trials: set[str] = set()  # profiles whose trial failed in this run

    def tuning(self, resolved: ResolvedProfile, conf: Mapping[str, str]) -> AssetTuning | None:
        """The asset's tuning state on this profile (None: `tuning = "off"`). Settings given
        for this run (the run config) are pinned along with `tuning_pinned`."""
        settings = self.settings
        if settings.tuning == "off":
            return None
        if resolved.name not in self.tunings:
            pinned = {*settings.tuning_pinned, *self.config.spark_conf}
            self.tunings[resolved.name] = asset_tuning(
                self.context.instance, self.asset, resolved.name, settings.tuning, conf, pinned,
                settings.deadline_s,
            )  # fmt: skip
        return self.tunings[resolved.name]

    def prepare(self, resolved: ResolvedProfile, incumbent: bool = False) -> Prepared:
        profile, settings, config = resolved.profile, self.settings, self.config
        job_params = JobParams(
            asset=self.asset,
            partition_key=self.partition,
            partition_keys=partition_keys(self.context),
            params={**self.project.params, **self.params, **settings.params, **config.params},
            sample=config.sample,
            platform=profile.platform,
            run_id=self.context.run.run_id,
        )
        conf = {**self.spark_conf, **profile.spark_conf, **settings.spark_conf,
                **config.spark_conf}  # fmt: skip
        if (tuning := self.tuning(resolved, conf)) is not None:
            conf = {**conf, **tuning.settings(incumbent)}
        platform = get_platform_class(profile.platform)(profile, resolved.name)
        request = LaunchRequest(
            job=self.job,
            params=job_params,
            spark_conf=conf,
            project_root=self.project.path.parent if self.project.path else None,
            timeout_s=settings.timeout_s or profile.timeout_s,
        )
        return Prepared(resolved, platform, request)

    def once(self, resolved: ResolvedProfile, source: str) -> tuple[LaunchOutcome, Prepared]:
        """Guard, launch and wait on one candidate; its errors propagate. A tuning trial that
        fails is retried at once with the incumbent settings: a trial never fails an asset."""
        try:
            return self.launch_prepared(self.prepare(resolved), source)
        except (dg.Failure, BudgetExceededError):
            raise
        except Exception as exc:
            tuning = self.tunings.get(resolved.name)
            if tuning is None or not tuning.applies or resolved.name in self.failed_trials:
                raise
            self.failed_trials.add(resolved.name)
            self.context.log.warning(
                f"tuning trial {tuning.plan.trial} failed ({exc!r:.300}); rolled back, "
                "retrying now with the incumbent settings"
            )
            return self.launch_prepared(self.prepare(resolved, incumbent=True), source)

    def launch_prepared(self, prepared: Prepared, source: str) -> tuple[LaunchOutcome, Prepared]:
        resolved = prepared.resolved
        try:
            guard = budget_guard(self.context, self.project, self.settings.max_cost_usd,
                                 prepared.platform, prepared.request, self.catalog)  # fmt: skip
        except (MissingPriceError, KeyError, ValueError) as exc:
            raise dg.Failure(
                description=f"invalid configuration, nothing launched: the budget guard "
                f"cannot price this run: {exc}"
            ) from exc
        profile = resolved.profile
        self.context.log.info(
            f"launching {self.job.script.name} on platform '{profile.platform}' "
            f"(profile '{resolved.name}', chosen by {source})"
        )
        self.started = time.monotonic()
        try:
            outcome = prepared.platform.launch(
                self.context, replace(prepared.request, budget=guard)
            )
        except BudgetExceededError as exc:
            raise dg.Failure(
                description=str(exc), metadata=guard.metadata() if guard else {}
            ) from exc
        return outcome, prepared

    def result(
        self,
        outcome: LaunchOutcome,
        prepared: Prepared,
        source: str,
        plan: PlanRecord | None = None,
        attempts: list[AttemptRecord] | None = None,
        failed_costs: list[CostBreakdown] | None = None,
    ) -> dg.MaterializeResult:
        """The materialization: the job's metadata and checks, plus this run's record."""
        wall = time.monotonic() - self.started
        asset_tags = self.context.assets_def.tags_by_key.get(self.context.asset_key, {})
        cost, cost_error = run_cost(outcome.facts, self.catalog, self.context.log, failed_costs)
        owner = attribution(prepared.resolved.profile, asset_tags, self.context.run.tags)
        record = RunRecord.of_run(
            outcome.facts,
            cost=cost,
            cost_error=cost_error,
            team=owner.get("team"),
            project=owner.get("project"),
            source=source,
            wall_time_s=round(wall, 3),
            partition=self.partition or "",
            plan=plan,
            attempts=attempts,
        )
        checks, found = self.diagnostics(
            outcome.results, record.to_metadata(), prepared.resolved.name
        )
        record = replace(record, diagnostics=found)
        extra = _metadata(record)
        name = prepared.resolved.name
        if (tuning := self.tunings.get(name)) is not None:
            run_meta = {**reported_metadata(outcome.results), **record.to_metadata()}
            state = tuning.metadata(run_meta, trial_failed=name in self.failed_trials)
            if tuning.plan.trial is not None or state["tuning_decision"] != "kept":
                self.context.log.info(f"tuning: {state['tuning_decision']}; next: "
                                      f"{state['tuning_next']['why']}")  # fmt: skip
            extra.update(_metadata(RunRecord(metrics=state)))
        return merge_result(outcome.results, extra, checks)

    def diagnostics(
        self, results: list[Any], meta: dict[str, Any], profile: str
    ) -> tuple[list[dg.AssetCheckResult], list[dict[str, Any]] | None]:
        """Findings of this run as asset checks (those the asset declares), and as the run
        records them (None: no paasport check declared). A diagnostics error is logged and never
        fails the run."""
        declared = {key.name for key in self.context.assets_def.check_keys}
        if not declared & set(PAASPORT_CHECKS):
            return [], None  # an asset not made by spark_asset: its checks are its author's
        settings = self.settings.diagnostics
        try:
            run = {**reported_metadata(results), **meta}
            history = baseline_history(
                self.context.instance, self.asset, profile, settings.baseline_runs
            )
            findings = [f for f in findings_for(run, history, settings) if f.check in declared]
            findings = completed(findings, declared)
        except Exception as exc:  # diagnostics are advice: a bug there must not lose the run
            self.context.log.warning(f"diagnostics failed: {exc!r}")
            findings = completed([], declared, f"not evaluated: diagnostics failed ({exc!r:.200})")
        for f in worst_first(findings):
            if not f.passed:
                self.context.log.warning(f"{f.check}: {f.summary}. {f.advice}")
        return check_results(self.context.asset_key, findings), findings_metadata(findings)

    def auto(self, source: str) -> dg.MaterializeResult:
        """Plan, then try the candidates in the plan's order, failing over as the policy says."""
        plan, self.history = plan_from_instance(
            self.context.instance,
            self.project,
            self.asset,
            self.partition,
            self.usd_per_hour,
            self.catalog,
        )
        self.context.log.info(f"planner: {plan.why}; order {plan.order}")
        s = self.project.planner
        policy = FailoverPolicy(s.platform_retries, s.retry_backoff_s, s.user_error_retries)
        attempts: list[AttemptRecord] = []
        failed_costs: list[CostBreakdown] = []
        for name in plan.order:
            resolved = self.project.resolve(name, "planner.candidates")
            failures = 0
            while True:
                started = time.monotonic()
                try:
                    outcome, prepared = self.once(resolved, f"the planner ({source})")
                except (dg.Failure, DagsterExecutionInterruptedError):
                    raise  # configuration, budget or a cancelled run: never failed over
                except Exception as exc:
                    failures += 1
                    kind = failure_kind(exc)
                    spent = self.failed_attempt_cost(resolved, time.monotonic() - started)
                    failed_costs += [spent] if spent else []
                    status = "interrupted" if kind == "spot_loss" else "failed"
                    took = time.monotonic() - started
                    attempts.append(
                        self.attempt(name, status, took, spent, kind=kind, error=str(exc)[:500])
                    )
                    step = policy.next_step(kind, failures)
                    self.context.log.warning(f"attempt on {name} failed ({kind}): {exc}; {step}")
                    if step == "fail":
                        raise
                    if step == "next":
                        break
                    time.sleep(policy.backoff_s(failures))
                    continue
                return self.finish(outcome, prepared, plan, attempts, failed_costs, source)
        raise dg.Failure(
            description=f"every candidate failed: {[a.platform for a in attempts]}",
            metadata=_metadata(RunRecord(attempts=attempts)),
        )

    def finish(
        self,
        outcome: LaunchOutcome,
        prepared: Prepared,
        plan: AssetPlan,
        attempts: list[AttemptRecord],
        failed_costs: list[CostBreakdown],
        source: str,
    ) -> dg.MaterializeResult:
        """The result with the plan, every attempt, and how far off the prediction was."""
        name = prepared.resolved.name
        try:
            own = cost_of(outcome.facts, self.catalog)
        except (MissingPriceError, KeyError, ValueError):
            own = None
        duration = (own.duration_s if own else None) or outcome.facts.run_s or 0.0
        value = reported_metadata(outcome.results).get("input_bytes")  # as the job said
        reported = int(value) if value is not None else None
        attempts.append(self.attempt(name, "success", duration, own, input_bytes=reported))
        recorded = plan.record()
        predicted = plan.prediction(name)
        if predicted is not None and own is not None and predicted.cost_usd > 0:
            recorded = replace(
                recorded,
                cost_error_pct=_error_pct(float(own.total), predicted.cost_usd),
                duration_error_pct=_error_pct(duration, predicted.duration_s),
            )
        source = f"the planner ({source})"
        return self.result(outcome, prepared, source, recorded, attempts, failed_costs)

    def attempt(
        self,
        platform: str,
        status: str,
        duration_s: float,
        cost: CostBreakdown | None,
        input_bytes: int | None = None,
        **more: Any,
    ) -> AttemptRecord:
        """One attempt as the planner's history reads it back (see planner.history.attempts_of)."""
        known = self.known_input_bytes if input_bytes is None else input_bytes
        return AttemptRecord(platform, status, round(duration_s, 3),
                             float(cost.total) if cost else 0.0, known, more or None)  # fmt: skip

    @property
    def known_input_bytes(self) -> int:
        """The input size the plan was made for (the job did not say its own)."""
        return input_size(self.history or [], self.partition)

    def failed_attempt_cost(
        self, resolved: ResolvedProfile, seconds: float
    ) -> CostBreakdown | None:
        """What a failed attempt cost: its resources for the time it took (an estimate)."""
        prepared = self.prepare(resolved)
        try:
            spent = running_estimate(prepared.platform, prepared.request, self.catalog)(seconds)
        except (MissingPriceError, KeyError, ValueError):
            return None
        spent.assume(f"a failed attempt on {resolved.name}, priced for the {seconds:.0f} s it ran")
        return spent

    def usd_per_hour(self, name: str) -> float | None:
        """A candidate's price for an hour of its configured resources (the planner's prior)."""
        try:
            prepared = self.prepare(self.project.resolve(name, "planner.candidates"))
        except (KeyError, ValueError, ConfigError):
            return None
        return hourly_price(prepared.platform, prepared.request, self.catalog)


def _error_pct(actual: float, predicted: float) -> float:
    return round(100 * (actual - predicted) / max(predicted, 1e-9), 2)


def _metadata(record: RunRecord) -> dict[str, Any]:
    """The record as Dagster metadata: dicts and lists as JSON values."""
    return {
        k: dg.MetadataValue.json(v) if isinstance(v, dict | list) else v
        for k, v in record.to_metadata().items()
    }
