"""Failover: what kind of failure an attempt met, and what to do next.

Platform errors (capacity, throttling, quota, outage) are retried on the same candidate with
backoff, then the run moves to the next candidate; a spot loss moves on at once (the next
candidate is on-demand or another platform); a job that fails by itself is retried only
`user_error_retries` times; a timeout or a budget cap is the user's limit and ends the run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from paasport.platforms.remote import RemoteRunError

PLATFORM_KINDS = {"capacity", "throttling", "quota", "outage", "platform"}
FINAL_KINDS = {"timeout", "budget"}
Step = Literal["retry", "next", "fail"]

_WORDS = (
    ("throttling", ("throttl", "rate exceeded", "too many requests", "slow down")),
    ("quota", ("quota", "limit exceeded")),
    ("capacity", ("capacity",)),
    ("outage", ("unavailable", "connection", "internal error", "timed out", " 503", " 502")),
)


def failure_kind(exc: BaseException) -> str:
    """The kind of a launch failure: ours carry it; an SDK's is read from its message."""
    if isinstance(exc, RemoteRunError):
        return exc.kind
    text = f"{type(exc).__name__} {exc}".lower()
    for kind, words in _WORDS:
        if any(w in text for w in words):
            return kind
    return "platform"  # an SDK or service error we cannot name: another platform may work


@dataclass(frozen=True)
class FailoverPolicy:
    platform_retries: int
    retry_backoff_s: float
    user_error_retries: int

    def next_step(self, kind: str, failures_here: int) -> Step:
        """After the `failures_here`-th failure on the current candidate."""
        if kind in FINAL_KINDS:
            return "fail"
        if kind == "spot_loss":
            return "next"
        if kind in PLATFORM_KINDS:
            return "retry" if failures_here <= self.platform_retries else "next"
        return "retry" if failures_here <= self.user_error_retries else "fail"

    def backoff_s(self, failures_here: int) -> float:
        return self.retry_backoff_s * 2 ** (failures_here - 1)
