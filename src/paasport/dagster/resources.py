"""The Dagster resource that selects the platform and launches a job on it."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import dagster as dg

from paasport.config import ConfigError, ProjectConfig, load_config
from paasport.dagster.costing import attribution, budget_guard, cost_metadata
from paasport.dagster.selection import select_platform
from paasport.job.params import JobParams
from paasport.platforms import JobSpec, LaunchRequest, get_platform_class
from paasport.platforms.remote import BudgetExceededError
from paasport.pricing.catalog import CatalogError, MissingPriceError, load_catalog


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


def merge_result(results: list[Any], extra: Mapping[str, Any]) -> dg.MaterializeResult:
    """One MaterializeResult from the Pipes results, with the orchestrator's metadata added."""
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
        check_results=[*(materialization.check_results or []), *checks],
        data_version=materialization.data_version,
    )


class PaasportResource(dg.ConfigurableResource):
    """Reads the project config, picks the platform, launches, records run facts."""

    config_path: str | None = None
    #: profiles that exist only for this process, e.g. an emulated platform's
    extra_profiles: dict[str, dict[str, Any]] = {}

    def project_config(self) -> ProjectConfig:
        return load_config(self.config_path, self.extra_profiles)

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
        profile = selection.resolved.profile
        settings = project.asset(asset)
        job_params = JobParams(
            asset=asset,
            partition_key=str(context.partition_key) if context.has_partition_key else None,
            partition_keys=partition_keys(context),
            params={**project.params, **params, **settings.params, **config.params},
            sample=config.sample,
            platform=profile.platform,
            run_id=context.run.run_id,
        )
        conf = {**spark_conf, **profile.spark_conf, **settings.spark_conf, **config.spark_conf}
        platform = get_platform_class(profile.platform)(profile, selection.resolved.name)
        context.log.info(
            f"launching {job.script.name} on platform '{profile.platform}' "
            f"(profile '{selection.resolved.name}', chosen by {selection.source})"
        )
        request = LaunchRequest(
            job=job,
            params=job_params,
            spark_conf=conf,
            project_root=project.path.parent if project.path else None,
            timeout_s=settings.timeout_s or profile.timeout_s,
        )
        try:
            guard = budget_guard(
                context, project, settings.max_cost_usd, platform, request, catalog
            )
        except (MissingPriceError, KeyError, ValueError) as exc:
            raise dg.Failure(
                description=f"invalid configuration, nothing launched: the budget guard "
                f"cannot price this run: {exc}"
            ) from exc
        started = time.monotonic()
        try:
            outcome = platform.launch(context, replace(request, budget=guard))
        except BudgetExceededError as exc:
            raise dg.Failure(
                description=str(exc), metadata=guard.metadata() if guard else {}
            ) from exc
        wall = time.monotonic() - started
        asset_tags = context.assets_def.tags_by_key.get(context.asset_key, {})
        extra = {
            **outcome.facts.as_metadata(),
            **cost_metadata(outcome.facts, catalog, context.log),
            **attribution(profile, asset_tags, context.run.tags),
            "platform_source": selection.source,
            "wall_time_s": round(wall, 3),
            "partition": job_params.partition_key or "",
        }
        return merge_result(outcome.results, {k: _metadata_value(v) for k, v in extra.items()})


def _metadata_value(value: Any) -> Any:
    if isinstance(value, dict | list):
        return dg.MetadataValue.json(value)
    return value
