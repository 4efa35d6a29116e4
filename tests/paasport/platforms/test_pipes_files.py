"""A Pipes message flushed in two writes reaches the handler whole (Dagster's reader fails)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from dagster import PipesFileMessageReader

from paasport.platforms.pipes_files import (
    WholeLineFileMessageReader,
    WholeLineTempFileMessageReader,
)

MESSAGE = {"__dagster_pipes_version": "0.1", "method": "log", "params": {"text": "x" * 9000}}


class Handler:
    """The two calls a message reader makes on Dagster's PipesMessageHandler."""

    def __init__(self) -> None:
        self.messages: list[Any] = []
        self.errors: list[str] = []

    def handle_message(self, message: Any) -> None:
        self.messages.append(message)

    def report_pipes_framework_exception(self, origin: str, exc_info: Any) -> None:
        self.errors.append(f"{origin}: {exc_info[1]!r}")


def write_in_two_pieces(path: Path) -> None:
    line = json.dumps(MESSAGE) + "\n"
    with path.open("a", encoding="utf-8") as out:
        out.write(line[:5000])
        out.flush()
        time.sleep(0.3)  # the reader polls every 10 ms: it sees the first half alone
        out.write(line[5000:])


def read(reader: Any, handler: Handler) -> None:
    try:
        with reader.read_messages(handler) as params:
            write_in_two_pieces(Path(params["path"]))
            time.sleep(0.3)
    except json.JSONDecodeError:
        pass  # Dagster's reader thread re-raises; the handler has been told


def test_dagsters_reader_loses_a_message_written_in_two_pieces(tmp_path: Path) -> None:
    handler = Handler()
    read(PipesFileMessageReader(str(tmp_path / "m")), handler)
    assert handler.messages == []
    assert handler.errors and "JSONDecodeError" in handler.errors[0]


def test_whole_lines_reach_the_handler(tmp_path: Path) -> None:
    handler = Handler()
    read(WholeLineFileMessageReader(str(tmp_path / "m")), handler)
    assert handler.messages == [MESSAGE] and handler.errors == []
    temp = Handler()
    read(WholeLineTempFileMessageReader(), temp)
    assert temp.messages == [MESSAGE]
