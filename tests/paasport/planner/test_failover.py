"""Failure kinds and what the failover policy does with each."""

from __future__ import annotations

import pytest

from paasport.planner.failover import FailoverPolicy, failure_kind
from paasport.platforms.remote import CapacityError, RemoteRunError, RunTimeoutError, SpotLossError

POLICY = FailoverPolicy(platform_retries=2, retry_backoff_s=1.0, user_error_retries=0)


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        (SpotLossError("lost"), "spot_loss"),
        (CapacityError("none left"), "capacity"),
        (RemoteRunError("your code raised"), "job_failed"),
        (RunTimeoutError("too long"), "timeout"),
        (RuntimeError("ThrottlingException: Rate exceeded"), "throttling"),
        (RuntimeError("RESOURCE_EXHAUSTED: Quota 'CPUS' exceeded"), "quota"),
        (ConnectionError("Connection refused"), "outage"),
        (RuntimeError("AccessDenied for role x"), "platform"),
    ],
)
def test_failure_kinds(exc: BaseException, kind: str) -> None:
    assert failure_kind(exc) == kind


def test_platform_errors_retry_then_move_on() -> None:
    assert [POLICY.next_step("capacity", n) for n in (1, 2, 3)] == ["retry", "retry", "next"]
    assert [POLICY.backoff_s(n) for n in (1, 2, 3)] == [1.0, 2.0, 4.0]


def test_spot_loss_moves_on_and_limits_end_the_run() -> None:
    assert POLICY.next_step("spot_loss", 1) == "next"
    assert POLICY.next_step("timeout", 1) == "fail"
    assert POLICY.next_step("budget", 1) == "fail"


def test_user_errors_are_retried_only_as_configured() -> None:
    assert POLICY.next_step("job_failed", 1) == "fail"
    twice = FailoverPolicy(platform_retries=0, retry_backoff_s=0, user_error_retries=1)
    assert [twice.next_step("job_failed", n) for n in (1, 2)] == ["retry", "fail"]
