"""What every remote platform shares (AWS, Databricks, GCP): profile fields for tags and polling,
failure kinds, our own wait loop, shipping the job's artifacts, and retrying capacity errors.

Waiting is our own loop with backoff and no cap but the asset's timeout: the Dagster clients
wait with fixed sleeps (Databricks, Glue) or boto waiters that give up after about 30 minutes.
"""

from __future__ import annotations

import copy
import time
import warnings
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, ClassVar, Self, TypeVar

import dagster
from pydantic import Field, model_validator

from paasport.platforms.base import LaunchOutcome, LaunchRequest, Platform, ProfileBase, RunFacts
from paasport.platforms.launch_records import (
    LaunchRecord,
    LaunchStore,
    new_attempt,
    recording,
    records_dir,
    safe_profile,
)
from paasport.platforms.packaging import Artifacts, ArtifactStore, package_job

#: the longest poll interval a profile may ask for (seconds)
MAX_POLL_S = 3600.0
#: the longest backoff before a retry a profile may ask for (seconds): one day
MAX_BACKOFF_S = 86400.0


class RemoteProfile(ProfileBase):
    prefix: str = Field("paasport", description="path prefix for everything paasport writes")
    team: str | None = Field(None, description="cost-attribution tag `team`")
    tags: dict[str, str] = Field(default_factory=dict)
    #: first poll interval; grows by half each poll up to poll_max_s. At most an hour: a
    #: longer sleep would notice a finished (and billing) run hours late
    poll_s: float = Field(5.0, gt=0, le=MAX_POLL_S)
    poll_max_s: float = Field(60.0, gt=0, le=MAX_POLL_S)
    #: how often Dagster reads the job's Pipes messages
    pipes_poll_s: float = Field(5.0, gt=0, le=MAX_POLL_S)
    #: how long Pipes keeps reading messages and logs after the remote run ended, for writes
    #: that land late (Dagster's own default is 10 s)
    pipes_final_wait_s: float = Field(10.0, ge=0, le=600)

    @model_validator(mode="after")
    def _poll_order(self) -> Self:
        if self.poll_max_s < self.poll_s:
            raise ValueError(
                f"poll_max_s ({self.poll_max_s:g}) must be at least poll_s ({self.poll_s:g}): "
                "polls start at poll_s and back off up to poll_max_s"
            )
        return self


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


class BudgetExceededError(RemoteRunError):
    kind = "budget"


def classify_failure(message: str) -> type[RemoteRunError]:
    """The kind of failure a service's state or termination message describes."""
    text = message.lower().replace("_", " ")
    if "spot" in text and ("interrupt" in text or "reclaim" in text or "terminat" in text):
        return SpotLossError
    capacity = ("insufficientinstancecapacity", "insufficient capacity", "instance capacity")
    if any(words in text for words in capacity):
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
    guard: Callable[[], str | None] | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> Waited:
    """Poll with backoff until a terminal state; no limit but `timeout_s` (None: none).

    `guard` is asked after every poll of an unfinished run; a reason it gives cancels the run
    (with `on_timeout`) and raises BudgetExceededError: so a cap holds within one poll.
    """
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
        reason = guard() if guard is not None else None
        if reason is not None:
            log(reason)
            on_timeout()
            raise BudgetExceededError(reason)
        if timeout_s is not None and now - started > timeout_s:
            on_timeout()
            raise RunTimeoutError(
                f"the remote run did not finish within the asset's timeout of {timeout_s:.0f} s "
                f"(last state {state}); it was cancelled"
            )
        sleep(delay)
        delay = min(poll_max_s, delay * 1.5)


def cost_tags(profile: RemoteProfile, request: LaunchRequest, code_version: str) -> dict[str, str]:
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


class NamesStoreInContext:
    """Mixin for a Dagster Pipes context injector: its params name the `store` the job side
    reads them from (see job/pipes_io.py)."""

    store: ClassVar[str]

    @contextmanager
    def inject_context(self, context: Any) -> Iterator[dict[str, Any]]:
        with super().inject_context(context) as params:  # type: ignore[misc]
            yield {**params, "store": self.store}


class NamesStoreInMessages:
    """Mixin for a Dagster Pipes message reader: its params name the `store`."""

    store: ClassVar[str]

    @contextmanager
    def get_params(self) -> Iterator[dict[str, Any]]:
        with super().get_params() as params:  # type: ignore[misc]
            yield {**params, "store": self.store}


RemoteProfileT = TypeVar("RemoteProfileT", bound=RemoteProfile)


class RemotePlatform(Platform[RemoteProfileT]):
    """Launch = package once, then run; capacity errors at start are retried with backoff."""

    def capacity_retries(self) -> tuple[int, float]:
        """How often a capacity error at start is retried, and the first backoff in seconds."""
        return 0, 0.0

    def artifact_store(self) -> tuple[ArtifactStore, Any]:
        """Where artifacts go, and the storage client `run_once` gets along with them."""
        raise NotImplementedError

    def run_once(
        self, context: Any, request: LaunchRequest, artifacts: Artifacts, storage: Any
    ) -> tuple[list[Any], RunFacts]:
        raise NotImplementedError

    def launch(self, context: Any, request: LaunchRequest) -> LaunchOutcome:
        # recorded before any cloud call: a run worker killed from here on leaves a record
        # that `paasport gc` can find the remote run (and its cluster) by
        record = LaunchRecord(
            dagster_run_id=request.params.run_id,
            platform=self.name,
            profile_name=self.profile_name,
            profile=safe_profile(self.profile.model_dump(mode="json")),
            asset=request.params.asset,
            partition=request.params.partition_key,
        )
        store = LaunchStore(records_dir(getattr(context, "instance", None)))
        with recording(store, record):
            return self._launch(context, request)

    def _launch(self, context: Any, request: LaunchRequest) -> LaunchOutcome:
        store, storage = self.artifact_store()
        artifacts = package_job(
            store, request.job.script, request.project_root, self.profile.prefix
        )
        context.log.info(
            f"job artifacts (code version {artifacts.code_version}): {artifacts.script_uri}"
            + (f", {artifacts.wheel_uri}" if artifacts.wheel_uri else "")
        )
        retries, backoff = self.capacity_retries()
        attempt = 0
        while True:
            attempt += 1
            new_attempt()
            try:
                with warnings.catch_warnings():
                    # Dagster flags its own message reader internals as preview on every launch
                    warnings.simplefilter("ignore", category=dagster.PreviewWarning)
                    results, facts = self.run_once(context, request, artifacts, storage)
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
        facts.extra.setdefault("pricing", self.pricing_facts(request))
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
    # implicit materializations would hide a job that reported nothing behind an empty one
    results = list(invocation.get_results(implicit_materializations=False))
    if not results:
        raise RemoteRunError(
            "the remote job ended without reporting a materialization through Pipes "
            "(did it die before opening Pipes? see its driver log)"
        )
    return results


class WaitingClient:
    """Mixed into a Dagster Pipes client: our wait (backoff, asset timeout) replaces its."""

    def __init__(
        self,
        profile: RemoteProfile,
        timeout_s: float | None,
        guard: Callable[[], str | None] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.profile = profile
        self.timeout_s = timeout_s
        self.guard = guard
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
            guard=self.guard,
        )
        return self.waited.response


def run_client(
    client: Any, context: Any, request: LaunchRequest, **params: Any
) -> tuple[list[Any], Waited]:
    """Run a WaitingClient; the caller's params are copied, never handed over to be mutated."""
    with pipes_final_wait(client.profile.pipes_final_wait_s):
        invocation = client.run(
            context=context, extras=pipes_extras(request), **copy.deepcopy(params)
        )
    results = completed_results(invocation)
    if client.waited is None:
        raise RemoteRunError("the Pipes client finished without waiting for the remote run")
    return results, client.waited


@contextmanager
def pipes_final_wait(seconds: float) -> Iterator[None]:
    """Dagster reads a closed session's messages and logs for a fixed 10 s more, a module-wide
    constant with no parameter. It is set for one launch and put back; a step's Pipes sessions
    run one at a time, and the session's threads have ended when `client.run` returns."""
    from dagster._core.pipes import utils

    before = utils.WAIT_FOR_LOGS_AFTER_EXECUTION_INTERVAL
    utils.WAIT_FOR_LOGS_AFTER_EXECUTION_INTERVAL = seconds  # type: ignore[assignment]
    try:
        yield
    finally:
        utils.WAIT_FOR_LOGS_AFTER_EXECUTION_INTERVAL = before


def durations(waited: Waited, running: str, terminal: set[str]) -> dict[str, float | None]:
    """queue_s (submitted until running) and run_s (running until ended) as observed."""
    started = waited.seconds_until(running)
    ended = waited.seconds_until(*terminal)
    run_s = ended - started if ended is not None and started is not None else None
    return {"queue_s": started, "run_s": run_s}
