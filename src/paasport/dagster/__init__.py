"""paasport's Dagster side: the asset factory, the resource, platform selection."""

from paasport.dagster import fixes
from paasport.dagster.assets import RESOURCE_KEY, spark_asset
from paasport.dagster.gc_sensor import gc_sensor, paasport_gc_sensor
from paasport.dagster.resources import PaasportResource, SparkAssetConfig
from paasport.dagster.selection import PLATFORM_TAG, select_platform

fixes.apply()

__all__ = [
    "PLATFORM_TAG",
    "RESOURCE_KEY",
    "PaasportResource",
    "SparkAssetConfig",
    "gc_sensor",
    "paasport_gc_sensor",
    "select_platform",
    "spark_asset",
]
