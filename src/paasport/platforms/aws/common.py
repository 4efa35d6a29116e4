"""What the AWS platforms share: profile fields, clients, S3 artifacts, failure kinds.

Credentials come only from boto3's standard chain (env, profiles, instance roles); a profile
holds names and ARNs, never a secret. What all remote platforms share is in `remote.py`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

# the `aws` extra: importing the platform fails early, naming the extra, when it is missing
import boto3
import dagster_aws.pipes
from botocore.config import Config
from pydantic import Field

from paasport.platforms.checks import Check, Checks, probe
from paasport.platforms.packaging import ArtifactStore, S3Store
from paasport.platforms.remote import (
    CapacityError,
    RemotePlatform,
    RemoteProfile,
    RemoteRunError,
    RunTimeoutError,
    SpotLossError,
    Waited,
    WaitingClient,
    classify_failure,
    completed_results,
    cost_tags,
    durations,
    pipes_extras,
    run_client,
    wait_until_done,
)

BUCKET = r"^[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]$"
S3_URI = r"^s3://[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9](/.*)?$"
ROLE_ARN = r"^arn:aws[a-z\-]*:iam::\d{12}:role/.+$"


class AwsProfile(RemoteProfile):
    region: str = Field("us-east-1", pattern=r"^[a-z]{2}(-[a-z]+)+-\d$")
    bucket: str = Field(pattern=BUCKET, description="artifacts and Pipes messages go here")

    def location(self) -> str | None:
        return f"aws:{self.region}"


def aws_error(exc: Exception) -> str:
    """An AWS error's code and message (never the request, which may carry credentials)."""
    response = getattr(exc, "response", None) or {}
    code = response.get("Error", {}).get("Code")
    return f"{code}: {response.get('Error', {}).get('Message', '')}" if code else repr(exc)


def aws_probe(what: str, call: Callable[[], Any], fix: str) -> Check:
    return probe(what, call, fix, aws_error)


#: botocore's retries of every call paasport makes: the standard mode retries throttling
#: (ThrottlingException, SlowDown...) and transient errors (HTTP 500, 502, 503, 504) with
#: exponential backoff and jitter (up to 20 s a wait). Ten attempts outlast a burst of nine
#: failures of one call. A retried submit never runs twice: AWS refuses a throttled or failed
#: call before it does anything, and EMR Serverless / EMR on EKS submits also carry a client
#: token that botocore fills in once per call and sends again with each retry.
RETRIES: dict[str, Any] = {"mode": "standard", "max_attempts": 10}
#: in the User-Agent of every call (as `app/paasport`): who is calling, for CloudTrail and for
#: the emulator, which injects storage faults into paasport's own calls only
APP_ID = "paasport"


def boto_client(service: str, region: str) -> Any:
    config = Config(retries=RETRIES, user_agent_appid=APP_ID)
    return boto3.session.Session(region_name=region).client(service, config=config)


def message_reader(profile: AwsProfile, s3: Any) -> Any:
    return dagster_aws.pipes.PipesS3MessageReader(
        bucket=profile.bucket, client=s3, interval=profile.pipes_poll_s
    )


def conf_number(conf: Mapping[str, str], key: str, default: float) -> float:
    """A numeric Spark setting; memory sizes ("4g", "512m") in GB."""
    raw = conf.get(key)
    if raw is None:
        return default
    text = raw.strip().lower().removesuffix("b")
    units = {"k": 1 / 1024**2, "m": 1 / 1024, "g": 1.0, "t": 1024.0}
    if text and text[-1] in units:
        return float(text[:-1]) * units[text[-1]]
    return float(text)


def spark_resources(
    conf: Mapping[str, str], *, executors: int, cores: int, memory_gb: float
) -> dict[str, float]:
    """Driver plus executors as the Spark settings ask (defaults: the platform's), for pricing."""
    count = conf_number(conf, "spark.executor.instances", executors)
    driver_cores = conf_number(conf, "spark.driver.cores", cores)
    driver_gb = conf_number(conf, "spark.driver.memory", memory_gb)
    each_cores = conf_number(conf, "spark.executor.cores", cores)
    each_gb = conf_number(conf, "spark.executor.memory", memory_gb)
    return {
        "workers": 1 + count,
        "vcpus": driver_cores + count * each_cores,
        "memory_gb": round(driver_gb + count * each_gb, 3),
        "worker_vcpu": each_cores,
        "worker_memory_gb": each_gb,
    }


def spark_conf_args(conf: Mapping[str, str]) -> list[str]:
    args: list[str] = []
    for key, value in sorted(conf.items()):
        args += ["--conf", f"{key}={value}"]
    return args


def console_url(region: str, path: str) -> str:
    return f"https://{region}.console.aws.amazon.com/{path}"


AwsProfileT = TypeVar("AwsProfileT", bound=AwsProfile)


class AwsPlatform(RemotePlatform[AwsProfileT]):
    """A remote platform whose artifacts and Pipes messages go through S3."""

    def role(self) -> str | None:
        """The IAM role runs assume (doctor checks it exists)."""
        return None

    def resource_checks(self) -> Checks:
        """Checks of the platform's own resources (applications, clusters)."""
        return iter(())

    def doctor_checks(self) -> Checks:
        region = self.profile.region
        credentials = boto3.session.Session(region_name=region).get_credentials()
        yield (
            "AWS credentials",
            credentials is not None,
            f"from {credentials.method}" if credentials else "none found",
            "set AWS_PROFILE (after `aws configure` / `aws sso login`), the AWS_ACCESS_KEY_ID "
            "variables, or run where an instance role is attached",
        )
        if credentials is None:
            return
        s3 = boto_client("s3", region)
        bucket = self.profile.bucket
        yield aws_probe(
            f"bucket s3://{bucket}",
            lambda: s3.head_bucket(Bucket=bucket),
            f"create it (`aws s3 mb s3://{bucket} --region {region}`) or fix `bucket`",
        )
        yield from self.resource_checks()
        role = self.role()
        if role:
            iam = boto_client("iam", region)
            name = role.rsplit("/", 1)[-1]
            yield aws_probe(
                f"IAM role {name}",
                lambda: iam.get_role(RoleName=name),
                "create it with the policy in the README (section of this platform), or fix "
                "the role field",
            )

    def artifact_store(self) -> tuple[ArtifactStore, Any]:
        s3 = boto_client("s3", self.profile.region)
        return S3Store(s3, self.profile.bucket), s3


__all__ = [  # the shared remote-platform names, re-exported for the AWS modules
    "BUCKET",
    "ROLE_ARN",
    "S3_URI",
    "AwsPlatform",
    "AwsProfile",
    "CapacityError",
    "Checks",
    "RemoteRunError",
    "RunTimeoutError",
    "SpotLossError",
    "Waited",
    "WaitingClient",
    "aws_probe",
    "boto_client",
    "classify_failure",
    "completed_results",
    "console_url",
    "cost_tags",
    "durations",
    "message_reader",
    "pipes_extras",
    "run_client",
    "spark_conf_args",
    "wait_until_done",
]
