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
