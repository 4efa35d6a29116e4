"""An offline GCP project (a GCS emulator + the Dataproc REST API) whose Dataproc jobs really run
with spark-submit on this machine."""

from paasport.testing.faults import Faults
from paasport.testing.gcp.emulator import BUCKET, CLUSTER, PROJECT, REGION, GcpEmulator

__all__ = ["BUCKET", "CLUSTER", "PROJECT", "REGION", "Faults", "GcpEmulator"]
