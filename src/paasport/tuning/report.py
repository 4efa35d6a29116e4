"""What `paasport tune` shows: the incumbent, every trial with its figures and decision, the
next proposal and why, and the saving so far against the first run. Pure: from the history."""

from __future__ import annotations

import statistics
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from paasport.tuning.plan import _replay, plan_next  # the same replay the resource runs
from paasport.tuning.run import TuningRun
from paasport.tuning.space import tunable_only


def _saving(first: TuningRun, now: Sequence[TuningRun]) -> dict[str, Any]:
    """The incumbent's latest runs against the first run, per run (time and money)."""

    def median(values: list[float]) -> float | None:
        return statistics.median(values) if values else None

    out: dict[str, Any] = {}
    for name, key in (("spark_time_s", "spark_time_s"), ("cost_usd", "cost_usd")):
        before = getattr(first, key)
        after = median([v for r in now if (v := getattr(r, key)) is not None])
        if before is None or after is None:
            out[name] = None
            continue
        ratio = after / before if before else None
        out[name] = {"first": before, "incumbent": after,
                     "saved": before - after, "ratio": ratio}  # fmt: skip
    return out


def _unit(history: Sequence[TuningRun]) -> str:
    """What the objective values measure (see `paasport.tuning.run.objective`)."""
    priced = any(r.cost_usd for r in history)
    per = " per GiB of input" if any(r.input_bytes for r in history) else " per run"
    return ("USD" if priced else "s of Spark time") + per


def tuning_report(
    history: Sequence[TuningRun],
    pinned: Collection[str] = (),
    deadline_s: float | None = None,
    cores: int = 2,
    own: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The tuning state of one asset on one profile. `own` defaults to what the first run ran
    with (the asset's settings before tuning changed anything)."""
    if not history:
        return {"runs": 0, "incumbent": {}, "trials": [], "next": None, "saving": None}
    base = tunable_only(own if own is not None else history[0].settings)
    replayed = _replay(history, base, deadline_s)
    nxt = plan_next(history, base, pinned, deadline_s, cores, seed=len(history))
    trials = [
        {
            "id": t.id,
            "settings": t.settings,
            "why": t.why,
            "values": t.values,
            "decision": t.state,
            "note": t.note,
        }
        for t in replayed.trials.values()
    ]
    return {
        "runs": len(history),
        "incumbent": nxt.incumbent,
        "figures": nxt.figures,
        "trials": trials,
        "next": {"settings": nxt.settings, "trial": nxt.trial, "why": nxt.why},
        "objective": _unit(history),
        # the incumbent's own counted runs (recorded settings may spell values differently)
        "saving": _saving(history[0], replayed.runs[-3:] or [history[0]]),
    }
