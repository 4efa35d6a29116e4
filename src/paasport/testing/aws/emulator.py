"""`AwsEmulator`: an offline AWS account on 127.0.0.1 that really runs Spark jobs.

    with AwsEmulator() as aws:
        profile = aws.profile(platform)   # a paasport profile pointing at it
        ...materialize assets...
        aws.set_faults(Faults(spot_loss=1))

It starts SeaweedFS (S3: artifacts, Pipes messages, logs) and a moto server whose EMR, EMR
Serverless, EMR on EKS and Glue jobs run with spark-submit on this machine. While it runs,
boto3 in this process reaches it through the standard AWS_ENDPOINT_URL* variables and the
emulator's own credentials and config files; every other AWS_* variable of the user's is
hidden, and the servers and jobs it starts see none of them (nor ~/.aws). On exit the previous
environment comes back and every process is stopped. Each server logs the requests it gets
(`request_logs()`).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from paasport.java import java_env
from paasport.testing.aws.call_faults import s3_call_fault
from paasport.testing.emulators import EMULATED_POLLING
from paasport.testing.faults import FaultBook, FaultJournal
from paasport.testing.isolation import isolated_env, no_proxy_for_loopback
from paasport.testing.processes import EnvOverlay, ServerProcess, Service, free_port, port_open
from paasport.testing.seaweed import SeaweedS3

REGION = "us-east-1"
BUCKET = "paasport-emulated"
ROLE_ARN = "arn:aws:iam::123456789012:role/paasport-emulated-job-role"
ACCESS_KEY = "paasport-emulator"
SECRET_KEY = "paasport-emulator-secret"
#: the emulator's own credentials: its S3 server accepts these only, real AWS none of them
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": ACCESS_KEY,
    "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
}


class AwsEmulator(FaultJournal, Service):
    bucket = BUCKET
    role_arn = ROLE_ARN

    def __init__(self, slots: int = 3, workdir: Path | None = None) -> None:
        self.workdir = workdir or Path(tempfile.mkdtemp(prefix="paasport-aws-"))
        self.slots = slots
        self.port = free_port()
        self.s3 = SeaweedS3(self.workdir / "s3", access_key=ACCESS_KEY, secret_key=SECRET_KEY)
        # S3's share of the faults: its own book on the same files (it serves storage only)
        self.s3.call_fault = s3_call_fault(
            FaultBook(self.workdir / "faults.json", self.workdir / "events.jsonl")
        )
        self._server: ServerProcess | None = None
        self._env = EnvOverlay()
        self.application_id = ""
        self.virtual_cluster_id = ""

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        """What a process needs to use the emulated account with the standard AWS clients."""
        config = self.workdir / "aws"
        return {
            **CREDENTIALS,
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_ENDPOINT_URL_S3": self.s3.endpoint_url,
            # the emulator's config files, never the user's ~/.aws
            "AWS_CONFIG_FILE": str(config / "config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(config / "credentials"),
            # no instance-metadata look-ups: they would wait for a network that is not there
            "AWS_EC2_METADATA_DISABLED": "true",
        }

    def request_logs(self) -> list[Path]:
        """Every request the emulated account received (the control plane's and S3's), as
        JSON lines with headers and bodies."""
        return [self.workdir / "requests.jsonl", self.s3.requests_log]

    def client(self, service: str) -> Any:
        """A boto3 client on the emulator, with its credentials and endpoint given explicitly."""
        import boto3

        session = boto3.session.Session(
            aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY, region_name=REGION
        )
        endpoint = self.s3.endpoint_url if service == "s3" else self.endpoint_url
        return session.client(service, endpoint_url=endpoint)

    def _write_config_files(self) -> None:
        config = self.workdir / "aws"
        config.mkdir(parents=True, exist_ok=True)
        (config / "config").write_text(f"[default]\nregion = {REGION}\n")
        (config / "credentials").write_text(
            f"[default]\naws_access_key_id = {ACCESS_KEY}\naws_secret_access_key = {SECRET_KEY}\n"
        )

    def start(self) -> AwsEmulator:
        self._write_config_files()
        try:
            self._activate()
            self.s3.start()
            server_env = isolated_env(
                {**self.env(), **java_env(), "SPARK_LOCAL_IP": "127.0.0.1"}, self.workdir / "home"
            )
            self._server = ServerProcess(
                "AWS emulator",
                [sys.executable, "-m", "paasport.testing.aws.server", "--port", str(self.port),
                 "--workdir", str(self.workdir), "--slots", str(self.slots)],
                self.workdir / "server.log",
                env=server_env,
            )  # fmt: skip
            self._server.wait_ready(
                lambda: (self.workdir / "ready").exists() and port_open(self.port), 60
            )
            self._bootstrap()
        except BaseException:
            self.stop()
            raise
        return self

    def _activate(self) -> None:
        # every AWS_* variable of the user's is hidden: profiles, session tokens, endpoints...
        self._env.apply(
            {**self.env(), **no_proxy_for_loopback(os.environ)}, hide_prefixes=("AWS_",)
        )

    def _bootstrap(self) -> None:
        """What an account has before paasport runs: a bucket, a role, an app, a virtual cluster."""
        self.client("s3").create_bucket(Bucket=BUCKET)
        iam = self.client("iam")
        trust = '{"Version": "2012-10-17", "Statement": []}'
        for role in (ROLE_ARN.rsplit("/", 1)[-1], "EMR_DefaultRole", "EMR_EC2_DefaultRole"):
            iam.create_role(RoleName=role, AssumeRolePolicyDocument=trust)
        app = self.client("emr-serverless").create_application(
            name="paasport", releaseLabel="emr-7.5.0", type="SPARK"
        )
        self.application_id = app["applicationId"]
        self.client("emr-serverless").start_application(applicationId=self.application_id)
        vc = self.client("emr-containers").create_virtual_cluster(
            name="paasport",
            containerProvider={
                "id": "paasport-eks",
                "type": "EKS",
                "info": {"eksInfo": {"namespace": "spark"}},
            },
        )
        self.virtual_cluster_id = vc["id"]

    def profile(self, platform: str) -> dict[str, Any]:
        """A profile (config data) for `platform` that points at this emulator."""
        common: dict[str, Any] = {
            "platform": platform,
            "region": REGION,
            "bucket": BUCKET,
            **EMULATED_POLLING,
        }
        from paasport.testing.aws.job_services import DRIVERS

        driver = DRIVERS.get(platform)
        if driver is not None:
            return {**common, **driver.profile_fields(self)}
        raise KeyError(f"the AWS emulator does not emulate platform '{platform}'")

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None
        self.s3.stop()
        self._env.restore()
