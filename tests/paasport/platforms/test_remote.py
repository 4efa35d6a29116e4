"""The Pipes session's final wait: a closed session stops reading after the profile's wait."""

import time
from typing import Any

import dagster as dg
import pytest
from dagster import OpExecutionContext
from dagster._core.pipes import utils as pipes_utils

from paasport.platforms.remote import pipes_final_wait


class NothingArrives(dg.PipesBlobStoreMessageReader):
    """A blob store whose remote run never wrote a message (it failed before it started)."""

    def __init__(self) -> None:
        super().__init__(interval=0.1)

    def get_params(self) -> Any:
        from contextlib import nullcontext

        return nullcontext({"store": "nowhere"})

    def messages_are_readable(self, params: Any) -> bool:
        return True

    def download_messages_chunk(self, index: int, params: Any) -> str | None:
        return None

    def no_messages_debug_text(self) -> str:
        return "nothing arrives"


@pytest.mark.parametrize("seconds", [0, 2])
def test_a_closed_session_stops_reading_after_the_final_wait(seconds: float) -> None:
    timings: list[float] = []

    @dg.op
    def launch(context: OpExecutionContext) -> None:
        with pipes_final_wait(seconds):
            started = time.monotonic()
            with dg.open_pipes_session(
                context=context,
                context_injector=dg.PipesEnvContextInjector(),
                message_reader=NothingArrives(),
            ):
                pass
            timings.append(time.monotonic() - started)

    @dg.job
    def one_launch() -> None:
        launch()

    assert one_launch.execute_in_process().success
    # Dagster's own wait is 10 s whatever the store; the reader checks once a second
    assert seconds <= timings[0] < seconds + 3
    assert pipes_utils.WAIT_FOR_LOGS_AFTER_EXECUTION_INTERVAL == 10  # put back afterwards


def test_the_wait_is_put_back_when_the_launch_fails() -> None:
    with pytest.raises(RuntimeError), pipes_final_wait(0):
        assert pipes_utils.WAIT_FOR_LOGS_AFTER_EXECUTION_INTERVAL == 0
        raise RuntimeError("the launch failed")
    assert pipes_utils.WAIT_FOR_LOGS_AFTER_EXECUTION_INTERVAL == 10


class FakeClock:
    """Time that passes only when the wait loop sleeps: two hours of polling in no time."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_a_two_hour_run_is_waited_for_with_bounded_polls() -> None:
    """No cap under two hours in our wait (the profile's timeout_s defaults to None), and
    the backoff keeps the number of polls small: poll_s growing by half up to poll_max_s."""
    from paasport.platforms.aws.emr_serverless import EmrServerlessProfile
    from paasport.platforms.remote import wait_until_done

    profile = EmrServerlessProfile(
        bucket="my-bucket", application_id="app1",
        execution_role_arn="arn:aws:iam::123456789012:role/r",
    )  # fmt: skip
    assert profile.timeout_s is None  # no limit unless asked
    clock = FakeClock()
    ends_at = 2 * 3600.0
    polls: list[float] = []

    def fetch() -> str:
        polls.append(clock.now)
        if clock.now < 60:
            return "PENDING"
        return "RUNNING" if clock.now < ends_at else "SUCCESS"

    waited = wait_until_done(
        fetch,
        str,
        {"SUCCESS", "FAILED"},
        poll_s=profile.poll_s,
        poll_max_s=profile.poll_max_s,
        timeout_s=profile.timeout_s,
        on_timeout=lambda: pytest.fail("cancelled a run that had no timeout"),
        log=lambda message: None,
        clock=clock,
        sleep=clock.sleep,
    )
    assert waited.state == "SUCCESS"
    # the end is seen within one poll_max_s of it, and the durations are two hours
    assert ends_at <= clock.now <= ends_at + profile.poll_max_s
    run_s = waited.seconds_until("SUCCESS") - waited.seconds_until("RUNNING")  # type: ignore[operator]
    assert 7200 - 60 - profile.poll_max_s <= run_s <= 7200
    # bounded: about one poll a minute once backed off (7200 / 60 = 120), plus the ramp-up
    assert 120 <= len(polls) <= 135
    assert max(clock.sleeps) == profile.poll_max_s and clock.sleeps[0] == profile.poll_s
