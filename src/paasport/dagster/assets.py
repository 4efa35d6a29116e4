"""`spark_asset`: declare a Dagster asset whose materialization runs a PySpark job."""

# no `from __future__ import annotations`: Dagster reads the config annotation at runtime

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import dagster as dg

from paasport.dagster.diagnostics import check_specs
from paasport.dagster.resources import PaasportResource, SparkAssetConfig
from paasport.platforms import JobSpec

RESOURCE_KEY = "paasport"


def spark_asset(
    *,
    name: str,
    job: str | Path,
    partitions_def: dg.PartitionsDefinition | None = None,
    deps: Sequence[Any] = (),
    params: Mapping[str, str] | None = None,
    spark_conf: Mapping[str, str] | None = None,
    checks: Sequence[str] = (),
    group_name: str | None = None,
    description: str | None = None,
    tags: Mapping[str, str] | None = None,
    diagnostics: bool = True,
    retry_policy: dg.RetryPolicy | None = None,
    pool: str | None = None,
) -> dg.AssetsDefinition:
    """An asset that runs the job script `job` on the platform the configuration selects.

    `params` and `spark_conf` are the job author's defaults; the project config file and the
    run config override them. `checks` names asset checks the job reports. `diagnostics`
    declares paasport's own checks (see paasport.dagster.diagnostics), reported on every run.
    `retry_policy` is Dagster's: a failed step is launched again, and its output replaces
    atomically whatever a failed attempt began to write. `pool` names a Dagster concurrency
    pool: the instance's limit on it caps how many of this asset's partitions run at once.
    """
    script = Path(job).resolve()
    if not script.is_file():
        raise FileNotFoundError(f"spark_asset '{name}': job script {script} does not exist")
    spec = JobSpec(script=script, name=f"paasport-{name}")
    fixed_params = dict(params or {})
    fixed_conf = dict(spark_conf or {})

    @dg.asset(
        name=name,
        partitions_def=partitions_def,
        deps=list(deps),
        check_specs=[
            *(dg.AssetCheckSpec(name=check, asset=name) for check in checks),
            *(check_specs(name, checks) if diagnostics else []),
        ],
        group_name=group_name,
        description=description or f"Spark job {script.name}",
        kinds={"spark", "python"},
        tags=dict(tags or {}),
        required_resource_keys={RESOURCE_KEY},
        retry_policy=retry_policy,
        pool=pool,
    )
    def _spark_asset(
        context: dg.AssetExecutionContext, config: SparkAssetConfig
    ) -> dg.MaterializeResult:
        resource: PaasportResource = getattr(context.resources, RESOURCE_KEY)
        return resource.materialize(
            context, job=spec, config=config, params=fixed_params, spark_conf=fixed_conf
        )

    return _spark_asset
