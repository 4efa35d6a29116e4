"""Findings from one run's metadata: Spark checks (skew, spill, ...) and regression alerts.

Pure functions over the plain metadata dict of a materialization; no Spark, no Dagster.
"""

from paasport.diagnostics.diagnose import diagnose
from paasport.diagnostics.findings import (
    ALL_CHECKS,
    REGRESSION_CHECKS,
    SPARK_CHECKS,
    Finding,
    worst_first,
)
from paasport.diagnostics.regression import regressions
from paasport.diagnostics.settings import DiagnosticsSettings
from paasport.diagnostics.thresholds import THRESHOLDS

__all__ = [
    "ALL_CHECKS",
    "REGRESSION_CHECKS",
    "SPARK_CHECKS",
    "THRESHOLDS",
    "DiagnosticsSettings",
    "Finding",
    "diagnose",
    "regressions",
    "worst_first",
]
