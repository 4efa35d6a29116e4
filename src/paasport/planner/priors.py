"""List prices for the planner's priors: what an hour of a candidate's configured resources costs,
priced the way the budget guard prices a running job (its cost model, from the catalog).

A candidate without history on an asset is predicted from the others' durations at this price.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from paasport.config import ConfigError, ProjectConfig
from paasport.job.params import JobParams
from paasport.platforms import JobSpec, LaunchRequest, Platform, get_platform_class
from paasport.platforms.budget import running_estimate
from paasport.pricing.catalog import Catalog, MissingPriceError

HOUR_S = 3600.0


def hourly_price(platform: Platform, request: LaunchRequest, catalog: Catalog) -> float | None:
    """The price of an hour of this launch's resources; None when the catalog cannot price it."""
    try:
        return float(running_estimate(platform, request, catalog)(HOUR_S).total)
    except (MissingPriceError, KeyError, ValueError):
        return None


def config_prices(
    project: ProjectConfig, asset: str, catalog: Catalog
) -> Callable[[str], float | None]:
    """Candidate name -> its hourly price, from the project config alone (profile and
    `[assets.<asset>]` Spark settings), for callers with no job at hand (`paasport plan`).
    The resource prices its real launch request instead, which also holds the settings given in
    code (`spark_asset(spark_conf=...)`) and in the run config."""

    def price(name: str) -> float | None:
        try:
            resolved = project.resolve(name, "planner.candidates")
        except ConfigError:
            return None
        profile = resolved.profile
        platform = get_platform_class(profile.platform)(profile, resolved.name)
        conf = {**profile.spark_conf, **project.asset(asset).spark_conf}
        request = LaunchRequest(
            job=JobSpec(script=Path(f"{asset}.py"), name=asset),  # no cost model reads the job
            params=JobParams(asset=asset, platform=profile.platform),
            spark_conf=conf,
        )
        return hourly_price(platform, request, catalog)

    return price
