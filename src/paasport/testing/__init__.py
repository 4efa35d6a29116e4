"""Offline stand-ins for Spark platforms, for paasport's tests and for users' tests."""

from paasport.testing.connect import SparkConnectServer
from paasport.testing.emulators import EMULATORS, NoEmulatorError, emulate
from paasport.testing.standalone import StandaloneCluster

__all__ = ["EMULATORS", "NoEmulatorError", "SparkConnectServer", "StandaloneCluster", "emulate"]
