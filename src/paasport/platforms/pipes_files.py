"""Dagster's Pipes file message reader, reading whole lines only.

dagster 1.13.27 tails the message file with `readline()` and parses whatever it returns. When
the job's writer flushes a long message (the stage metrics are kilobytes) in two writes, the
reader gets half a line, fails with a JSONDecodeError, and its thread dies: every later message
is lost, and the step went on with an empty materialization (seen under load in CI). This
reader keeps a partial line until its newline arrives.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from threading import Event
from typing import Any

from dagster import PipesFileMessageReader, PipesTempFileMessageReader
from dagster._utils import tail_file


class WholeLineFileMessageReader(PipesFileMessageReader):
    def _reader_thread(self, handler: Any, is_resource_complete: Event) -> None:
        pending = ""
        try:
            for piece in tail_file(self._path, is_resource_complete.is_set):
                pending += piece
                if pending.endswith("\n"):
                    handler.handle_message(json.loads(pending))
                    pending = ""
            if pending.strip():  # the writer ended without a newline: the line is whole now
                handler.handle_message(json.loads(pending))
        except:
            handler.report_pipes_framework_exception(
                f"{self.__class__.__name__} reader thread", sys.exc_info()
            )
            raise


class WholeLineTempFileMessageReader(PipesTempFileMessageReader):
    """PipesTempFileMessageReader (the subprocess client's default) with whole-line reads."""

    @contextmanager
    def read_messages(self, handler: Any) -> Iterator[Any]:
        with tempfile.TemporaryDirectory() as tempdir:
            reader = WholeLineFileMessageReader(
                os.path.join(tempdir, "messages"),
                include_stdio_in_messages=self._include_stdio_in_messages,
            )
            with reader.read_messages(handler) as params:
                yield params
