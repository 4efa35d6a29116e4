"""What the AWS platforms share: profile fields, clients, packaging, waiting, failure kinds.

Credentials come only from boto3's standard chain (env, profiles, instance roles); a profile
holds names and ARNs, never a secret. Waiting is our own loop with backoff and no cap but the
asset's timeout: the Dagster clients' boto waiters give up after about 30 minutes.
"""

from __future__ import annotations

import copy
import time
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

# the `aws` extra: importing the platform fails early, naming the extra, when it is missing
import boto3
import dagster
import dagster_aws.pipes
from botocore.config import Config
from pydantic import Field

from paasport.platforms.base import LaunchOutcome, LaunchRequest, Platform, ProfileBase, RunFacts
from paasport.platforms.packaging import Artifacts, package_job

BUCKET = r"^[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]$"
S3_URI = r"^s3://[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9](/.*)?$"
ROLE_ARN = r"^arn:aws[a-z\-]*:iam::\d{12}:role/.+$"


class AwsProfile(ProfileBase):
    region: str = Field("us-east-1", pattern=r"^[a-z]{2}(-[a-z]+)+-\d$")
    bucket: str = Field(pattern=BUCKET, description="artifacts and Pipes messages go here")
    prefix: str = Field("paasport", description="key prefix for everything paasport writes")
    team: str | None = Field(None, description="cost-attribution tag `team`")
    tags: dict[str, str] = Field(default_factory=dict)
    #: first poll interval; grows by half each poll up to poll_max_s
    poll_s: float = Field(5.0, gt=0)
    poll_max_s: float = Field(60.0, gt=0)
    #: how often Dagster reads the job's Pipes messages from S3
    pipes_poll_s: float = Field(5.0, gt=0)


class RemoteRunError(RuntimeError):
    """The remote job failed; `kind` says how, so callers can decide to retry or fail over."""

    kind = "job_failed"

    def __init__(self, message: str, facts: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        self.facts = dict(facts or {})


class SpotLossError(RemoteRunError):
    kind = "spot_loss"


class CapacityError(RemoteRunError):
    kind = "capacity"


class RunTimeoutError(RemoteRunError):
    kind = "timeout"


def classify_failure(message: str) -> type[RemoteRunError]:
    """The kind of failure a service's state-change message describes."""
    text = message.lower()
    if "spot" in text and ("interrupt" in text or "reclaim" in text or "terminat" in text):
        return SpotLossError
    if "insufficientinstancecapacity" in text or "insufficient capacity" in text:
        return CapacityError
    return RemoteRunError


@dataclass
class Waited:
    """The last answer of a poll loop and when each state was first seen."""

    response: Any
    state: str
    first_seen: dict[str, float] = field(default_factory=dict)
    started: float = 0.0

    def seconds_until(self, *states: str) -> float | None:
        seen = [self.first_seen[s] for s in states if s in self.first_seen]
        return min(seen) - self.started if seen else None


def wait_until_done(
    fetch: Callable[[], Any],
    state_of: Callable[[Any], str],
    terminal: set[str],
    *,
    poll_s: float,
    poll_max_s: float,
    timeout_s: float | None,
    on_timeout: Callable[[], None],
    log: Callable[[str], None],
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> Waited:
    """Poll with backoff until a terminal state; no limit but `timeout_s` (None: none)."""
    started = clock()
    waited = Waited(response=None, state="", started=started)
    delay = poll_s
    while True:
        response = fetch()
        state = state_of(response)
        now = clock()
        if state not in waited.first_seen:
            waited.first_seen[state] = now
            log(f"remote state {state} after {now - started:.0f} s")
        waited.response, waited.state = response, state
        if state in terminal:
            return waited
        if timeout_s is not None and now - started > timeout_s:
            on_timeout()
            raise RunTimeoutError(
                f"the remote run did not finish within the asset's timeout of {timeout_s:.0f} s "
                f"(last state {state}); it was cancelled"
            )
        sleep(delay)
        delay = min(poll_max_s, delay * 1.5)


def boto_client(service: str, region: str) -> Any:
    # standard retry mode backs off on throttling and transient errors
    config = Config(retries={"mode": "standard", "max_attempts": 10})
    return boto3.session.Session(region_name=region).client(service, config=config)


def message_reader(profile: AwsProfile, s3: Any) -> Any:
    return dagster_aws.pipes.PipesS3MessageReader(
        bucket=profile.bucket, client=s3, interval=profile.pipes_poll_s
    )


def package(profile: AwsProfile, s3: Any, request: LaunchRequest) -> Artifacts:
    return package_job(s3, request.job.script, request.project_root, profile.bucket, profile.prefix)


def cost_tags(profile: AwsProfile, request: LaunchRequest, code_version: str) -> dict[str, str]:
    """Tags for cost attribution: asset, partition, run id, team, code version."""
    tags = {
        "paasport:asset": request.params.asset or "",
        "paasport:partition": request.params.partition_key or "",
        "paasport:run-id": request.params.run_id,
        "paasport:code-version": code_version,
        **({"team": profile.team} if profile.team else {}),
        **profile.tags,
    }
    return {k: v[:256] for k, v in tags.items() if v}


def spark_conf_args(conf: Mapping[str, str]) -> list[str]:
    args: list[str] = []
    for key, value in sorted(conf.items()):
        args += ["--conf", f"{key}={value}"]
    return args


def console_url(region: str, path: str) -> str:
    return f"https://{region}.console.aws.amazon.com/{path}"


class AwsPlatform(Platform):
    """Launch = package once, then run; capacity errors at start are retried with backoff."""

    @property
    def aws(self) -> AwsProfile:
        assert isinstance(self.profile, AwsProfile)
        return self.profile

    def capacity_retries(self) -> tuple[int, float]:
        """How often a capacity error at start is retried, and the first backoff in seconds."""
        return 0, 0.0

    def run_once(
        self, context: Any, request: LaunchRequest, artifacts: Artifacts, s3: Any
    ) -> tuple[list[Any], RunFacts]:
        raise NotImplementedError

    def launch(self, context: Any, request: LaunchRequest) -> LaunchOutcome:
        s3 = boto_client("s3", self.aws.region)
        artifacts = package(self.aws, s3, request)
        context.log.info(
            f"job artifacts (code version {artifacts.code_version}): {artifacts.script_uri}"
            + (f", {artifacts.wheel_uri}" if artifacts.wheel_uri else "")
        )
        retries, backoff = self.capacity_retries()
        attempt = 0
        while True:
            attempt += 1
            try:
                with warnings.catch_warnings():
                    # Dagster flags its own message reader internals as preview on every launch
                    warnings.simplefilter("ignore", category=dagster.PreviewWarning)
                    results, facts = self.run_once(context, request, artifacts, s3)
                break
            except CapacityError as exc:
                if attempt > retries:
                    raise
                delay = backoff * 2 ** (attempt - 1)
                context.log.warning(
                    f"capacity error at start (attempt {attempt} of {retries + 1}): {exc}; "
                    f"retrying in {delay:.0f} s"
                )
                time.sleep(delay)
        facts.extra.update(
            attempts=attempt,
            code_version=artifacts.code_version,
            script_uri=artifacts.script_uri,
            wheel_uri=artifacts.wheel_uri,
        )
        return LaunchOutcome(results=results, facts=facts)


def pipes_extras(request: LaunchRequest) -> dict[str, Any]:
    return {"paasport": request.params.to_extras()}


def completed_results(invocation: Any) -> list[Any]:
    """The Pipes results; a run that ended without reporting anything is a failure."""
    results = list(invocation.get_results())
    if not results:
        raise RemoteRunError(
            "the remote job ended without reporting a materialization through Pipes "
            "(did it die before opening Pipes? see its driver log)"
        )
    return results


class WaitingClient:
    """Mixed into a dagster-aws Pipes client: our wait (backoff, asset timeout) replaces its."""

    def __init__(self, profile: AwsProfile, timeout_s: float | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.profile = profile
        self.timeout_s = timeout_s
        self.waited: Waited | None = None

    def wait(
        self,
        context: Any,
        label: str,
        fetch: Callable[[], Any],
        state_of: Callable[[Any], str],
        terminal: set[str],
        cancel: Callable[[], Any],
    ) -> Any:
        self.waited = wait_until_done(
            fetch,
            state_of,
            terminal,
            poll_s=self.profile.poll_s,
            poll_max_s=self.profile.poll_max_s,
            timeout_s=self.timeout_s,
            on_timeout=cancel,
            log=lambda m: context.log.info(f"[{label}] {m}"),
        )
        return self.waited.response


def run_client(
    client: Any, context: Any, request: LaunchRequest, **params: Any
) -> tuple[list[Any], Waited]:
    """Run a WaitingClient; the caller's params are copied, never handed over to be mutated."""
    invocation = client.run(context=context, extras=pipes_extras(request), **copy.deepcopy(params))
    results = completed_results(invocation)
    if client.waited is None:
        raise RemoteRunError("the Pipes client finished without waiting for the remote run")
    return results, client.waited


def durations(waited: Waited, running: str, terminal: set[str]) -> dict[str, float | None]:
    """queue_s (submitted until running) and run_s (running until ended) as observed."""
    started = waited.seconds_until(running)
    ended = waited.seconds_until(*terminal)
    run_s = ended - started if ended is not None and started is not None else None
    return {"queue_s": started, "run_s": run_s}
