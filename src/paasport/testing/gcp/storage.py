"""A GCS JSON API server on 127.0.0.1: `gcp-storage-emulator`, data in a temp folder.

with GcsEmulator() as gcs:
    os.environ["STORAGE_EMULATOR_HOST"] = gcs.endpoint_url  # google-cloud-storage uses it
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

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
