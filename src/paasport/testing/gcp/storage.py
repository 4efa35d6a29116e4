"""A GCS JSON API server on 127.0.0.1: `gcp-storage-emulator`, data in a temp folder.

with GcsEmulator() as gcs:
    os.environ["STORAGE_EMULATOR_HOST"] = gcs.endpoint_url  # google-cloud-storage uses it
"""

from __future__ import annotations

import itertools
import json
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from paasport.testing.faults import FaultBook
from paasport.testing.processes import LocalHttpServer
from paasport.testing.spark_runner import Fetcher


def gcs_fetcher(gcs: Any) -> Fetcher:
    """A fetcher for gs:// URIs through a google-cloud-storage client."""

    def fetch(uri: str, local: Path) -> bool:
        if not uri.startswith("gs://"):
            return False
        bucket, _, key = uri.removeprefix("gs://").partition("/")
        gcs.bucket(bucket).blob(key).download_to_filename(str(local))
        return True

    return fetch


#: what marks a request of paasport's own (the orchestrator's) GCS client; see gcp/common.py
PAASPORT_AGENT = "paasport/"


def gcs_call_fault(
    faults: FaultBook,
) -> Callable[[str, str, Mapping[str, str]], tuple[int, dict[str, str], bytes] | None]:
    """The GCS proxy's hook: paasport's storage calls answered 429, 500 or 503 as GCS does.

    Only the orchestrator's calls (its User-Agent names paasport): a job's own writes of
    Pipes messages are the job's client's to retry, and the emulator's downloads of
    artifacts are not calls paasport makes."""
    count = itertools.count()

    def fault(method: str, path: str, headers: Mapping[str, str]) -> Any:
        taken = faults.take_storage_call(PAASPORT_AGENT, method, path, headers)
        if taken is None:
            return None
        if taken == "call_throttles":
            status, reason, message = 429, "rateLimitExceeded", "The rate limit was exceeded."
        elif next(count) % 2:
            status, reason, message = 503, "backendError", "Backend Error"
        else:
            status, reason, message = 500, "backendError", "Internal Error"
        detail = {"reason": reason, "message": message, "domain": "global"}
        error = {"code": status, "message": message, "errors": [detail]}
        body = json.dumps({"error": error}).encode()
        return status, {"Content-Type": "application/json; charset=UTF-8"}, body

    return fault


class GcsEmulator(LocalHttpServer):
    title = "GCS emulator"
    health_path = "/storage/v1/b"

    def command(self, data: Path) -> list[str]:
        try:
            import gcp_storage_emulator  # noqa: F401
        except ImportError as exc:
            raise FileNotFoundError(
                "gcp-storage-emulator is missing; "
                "install it with: pip install 'paasport[emulators]'"
            ) from exc
        port = str(self.server_port)
        return [sys.executable, "-m", "gcp_storage_emulator", "--data-dir", str(data),
                "start", "--host", "127.0.0.1", "--port", port, "--quiet"]  # fmt: skip
