"""Emulated platforms by name: start one, get the profile that points at it, stop it after."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from types import TracebackType
from typing import Any, TypeVar

from paasport.platforms.entry import NoEmulatorError
from paasport.platforms.registry import REGISTRY, emulated_platforms
from paasport.testing.isolation import redact, secret_values

T = TypeVar("T")

#: how a profile pointing at an emulator polls: an emulated run takes seconds, not minutes, and
#: every log and message is written before the run is reported ended (no late writes to wait for)
EMULATED_POLLING: dict[str, float] = {
    "poll_s": 0.5,
    "poll_max_s": 2.0,
    "pipes_poll_s": 0.5,
    "pipes_final_wait_s": 0,
}


class EmulatorError(RuntimeError):
    """An emulator could not start, or refused a client: which emulator and why, in words that
    hold no credential of the user's."""


#: exception names (of boto3, databricks-sdk, google-auth / google-api-core) that mean a
#: server refused the client's credentials, or the client found none
_REFUSALS = {
    "NoCredentialsError", "PartialCredentialsError", "Unauthenticated", "PermissionDenied",
    "Forbidden", "Unauthorized", "DefaultCredentialsError", "RefreshError",
}  # fmt: skip
#: AWS error codes that mean the same
_AWS_REFUSALS = {
    "InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied", "AccessDeniedException",
    "UnrecognizedClientException", "InvalidClientTokenId", "ExpiredToken", "InvalidToken",
    "AuthFailure", "MissingAuthenticationToken",
}  # fmt: skip


def refusal(exc: BaseException) -> str | None:
    """Why a server refused a client (or a client had no credentials), if that is what `exc` or
    one of its causes says; None for any other failure."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        name = type(current).__name__
        code = getattr(current, "response", None)
        if isinstance(code, dict):
            code = code.get("Error", {}).get("Code")
        if name in _REFUSALS or (name == "ClientError" and code in _AWS_REFUSALS):
            return f"{name}: {current}"
        current = current.__cause__ or current.__context__
    return None


class _Guarded(AbstractContextManager[T]):
    def __init__(self, title: str, start: Callable[[], AbstractContextManager[T]]) -> None:
        self.title, self._start = title, start
        self._cm: AbstractContextManager[T] | None = None

    def __enter__(self) -> T:
        # the user's values, before the emulator hides them: no message may show one
        secrets = secret_values(os.environ)
        try:
            self._cm = self._start()
            return self._cm.__enter__()
        except Exception as exc:
            why = redact(f"{type(exc).__name__}: {exc}", secrets)
            raise EmulatorError(f"the {self.title} emulator could not start: {why}") from exc

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool | None:
        assert self._cm is not None
        return self._cm.__exit__(exc_type, exc, tb)


def guarded(
    title: str, start: Callable[[], AbstractContextManager[T]]
) -> AbstractContextManager[T]:
    """`start()` as a context manager whose failure to start is an `EmulatorError` naming
    `title` and why (no credential of the environment shown)."""
    return _Guarded(title, start)


class EmulatorOf:
    """A registry entry's emulator (platform name -> profile) for an emulator class whose
    running instance has `profile(platform)`: one running instance can serve every platform
    that names the same class (`EmulatorPool` shares it)."""

    def __init__(self, cls: Callable[[], AbstractContextManager[Any]]) -> None:
        self.cls = cls

    @contextmanager
    def __call__(self, platform: str) -> Iterator[dict[str, Any]]:
        with self.cls() as running:
            yield running.profile(platform)


def emulator_of(
    cls: Callable[[], AbstractContextManager[Any]],
) -> Callable[[str], AbstractContextManager[dict[str, Any]]]:
    return EmulatorOf(cls)


class EmulatorPool:
    """Profiles of emulated platforms, each emulator started on first use and kept until
    `close()`; platforms whose entries name one emulator class share one running instance (the
    four AWS platforms, one account). Use it as a context manager."""

    def __init__(self) -> None:
        self._stack = ExitStack()
        self._running: dict[object, Any] = {}
        self._profiles: dict[str, dict[str, Any]] = {}

    def __getitem__(self, platform: str) -> dict[str, Any]:
        if platform not in self._profiles:
            found = REGISTRY.get(platform)
            start = found.emulator_factory() if found is not None else None
            if isinstance(start, EmulatorOf):
                if start.cls not in self._running:
                    title = f"{found.provider.title} ({platform})" if found else platform
                    self._running[start.cls] = self._stack.enter_context(guarded(title, start.cls))
                self._profiles[platform] = self._running[start.cls].profile(platform)
            else:
                self._profiles[platform] = self._stack.enter_context(emulate(platform))
        return self._profiles[platform]

    def close(self) -> None:
        self._stack.close()

    def __enter__(self) -> EmulatorPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@contextmanager
def refusals_named(emulator: str, secrets: set[str] | None = None) -> Iterator[None]:
    """Inside: a client the emulator refused (or that found no credentials) becomes an
    `EmulatorError` naming `emulator` and why, with `secrets` (values not to show) redacted."""
    try:
        yield
    except Exception as exc:
        why = refusal(exc)
        if why is None:
            raise
        raise EmulatorError(f"{emulator} refused a client: {redact(why, secrets or ())}") from exc


def emulate(platform: str) -> AbstractContextManager[dict[str, Any]]:
    """Start the emulator of `platform`; the context yields a profile (as config data) for it.
    An emulator that cannot start raises `EmulatorError`, saying which one and why."""
    found = REGISTRY.get(platform)
    if found is None or found.emulator is None:
        raise NoEmulatorError(
            f"no emulator for platform '{platform}' (emulated: {', '.join(emulated_platforms())})"
        )
    return guarded(f"{found.provider.title} ({platform})", found.emulate)
