"""An offline GCP project (a GCS emulator + the Dataproc REST API) whose Dataproc jobs really run
with spark-submit on this machine."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from paasport.testing.faults import Faults
from paasport.testing.gcp.emulator import BUCKET, CLUSTER, PROJECT, REGION, GcpEmulator


@contextmanager
def emulate(platform: str) -> Iterator[dict[str, Any]]:
    """The registry's emulator of Dataproc (on the emulated project's existing cluster)."""
    with GcpEmulator() as gcp:
        yield gcp.profile()


__all__ = ["BUCKET", "CLUSTER", "PROJECT", "REGION", "Faults", "GcpEmulator", "emulate"]
