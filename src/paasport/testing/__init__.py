"""Offline stand-ins for Spark platforms, for paasport's tests and for users' tests."""

from paasport.testing.connect import SparkConnectServer
from paasport.testing.emulators import (
    EmulatorError,
    EmulatorPool,
    NoEmulatorError,
    emulate,
    guarded,
    refusal,
    refusals_named,
)
from paasport.testing.standalone import StandaloneCluster

__all__ = [
    "EmulatorError",
    "EmulatorPool",
    "NoEmulatorError",
    "SparkConnectServer",
    "StandaloneCluster",
    "emulate",
    "guarded",
    "refusal",
    "refusals_named",
]
