"""What the next run of an asset should use, replayed from its past runs.

Stateless: nothing is stored but the runs' own metadata (spark_conf, tuning_trial,
objective inputs), so the plan is a pure function of the history and can be recomputed,
tested and explained. The replay, oldest run first:

- runs without a trial ran the incumbent (at first `own`); their objectives are its values;
- trial runs are grouped by trial id; a failed run, or one over `deadline_s`, rolls the
  trial back at once; otherwise `decide` compares it with the incumbent; an accepted
  trial's settings (and values) become the incumbent; a decided trial is never reused;
- interleaving: `decide` needs two incumbent values, so while a trial is pending and the
  incumbent has fewer, trial and incumbent alternate (the latest run's kind is not repeated).

After a failed trial the incumbent runs once (the asset needs a good run first); then
the next trial: first the rules (from the incumbent's latest run), else a search
around the incumbent (at most MAX_SEARCH trials); after that the incumbent is "kept".
"""

from __future__ import annotations

import statistics
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from paasport.tuning.compare import ACCEPTED, PENDING, ROLLED_BACK, decide, margin, noise
from paasport.tuning.rules import rule_proposal
from paasport.tuning.run import TuningRun, objective
from paasport.tuning.search import search_proposal
from paasport.tuning.space import tunable_only

KEPT = "kept"
MAX_SEARCH = 4
SEARCH = "search"


@dataclass
class TuningPlan:
    #: what the next run should use (TUNABLE keys only, laid over the asset's own conf)
    settings: dict[str, str]
    #: {"id", "settings", "why"} when the next run is a trial; None: the incumbent runs
    trial: dict[str, Any] | None
    #: the state of the latest trial: accepted / rolled back / pending; "kept": no trial
    decision: str
    incumbent: dict[str, str]
    figures: dict[str, Any] = field(default_factory=dict)
    why: str = ""


@dataclass
class _Trial:
    id: int
    settings: dict[str, str]
    why: list[str]
    values: list[float] = field(default_factory=list)
    state: str = PENDING
    note: str = ""
    runs: list[TuningRun] = field(default_factory=list)  # the runs behind `values`


@dataclass
class _Replay:
    incumbent: dict[str, str]
    values: list[float] = field(default_factory=list)
    runs: list[TuningRun] = field(default_factory=list)  # the runs behind `values`
    latest: TuningRun | None = None
    trials: dict[int, _Trial] = field(default_factory=dict)
    last: _Trial | None = None  # the trial of the latest run, None when it ran the incumbent


def _replay(
    history: Sequence[TuningRun], incumbent: dict[str, str], deadline_s: float | None
) -> _Replay:
    r = _Replay(dict(incumbent))
    for run in history:
        value = objective(run) if run.success else None
        if run.trial is None:
            r.last = None
            r.latest = run if run.success or r.latest is None else r.latest
            if value is not None:
                r.values.append(value)
                r.runs.append(run)
            continue
        t = r.trials.get(run.trial["id"])
        if t is None:
            for older in r.trials.values():  # one open trial at a time
                if older.state == PENDING:
                    older.state, older.note = ROLLED_BACK, "superseded by a newer trial"
            settings = run.trial["settings"] or run.settings
            t = _Trial(run.trial["id"], dict(settings), list(run.trial["why"]))
            r.trials[t.id] = t
        r.last = t
        if t.state != PENDING:
            continue  # a decided trial: its late runs change nothing
        if not run.success:
            t.state, t.note = ROLLED_BACK, "the trial run failed"
        elif deadline_s is not None and (run.spark_time_s or 0) > deadline_s:
            t.state, t.note = ROLLED_BACK, f"over the deadline of {deadline_s:g} s"
        elif value is not None:
            t.values.append(value)
            t.runs.append(run)
            t.state = decide(r.values, t.values)
            if t.state == ACCEPTED:
                r.incumbent, r.values, r.latest = dict(t.settings), list(t.values), run
                r.runs = list(t.runs)
    return r


def _group(values: Sequence[float]) -> dict[str, Any]:
    return {
        "values": [round(v, 6) for v in values],
        "median": statistics.median(values) if values else None,
        "n": len(values),
    }


def _figures(r: _Replay, t: _Trial | None) -> dict[str, Any]:
    trial = t.values if t else []
    return {
        "incumbent": _group(r.values),
        "trial": _group(trial) if t else None,
        "noise": round(noise(r.values, trial, 0.10), 4),
        "margin": round(margin(r.values, trial, 0.10), 4),
    }


def _median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


def plan_next(
    history: Sequence[TuningRun],
    own: Mapping[str, str],
    pinned: Collection[str] = (),
    deadline_s: float | None = None,
    cores: int = 2,
    seed: int = 0,
) -> TuningPlan:
    """The next run's settings and trial (see the module docstring)."""
    base = tunable_only(own)
    fixed = {k: v for k, v in base.items() if k in pinned}
    r = _replay(history, base, deadline_s)
    inc = {k: v for k, v in {**r.incumbent, **fixed}.items() if k not in pinned or k in fixed}
    trials = list(r.trials.values())
    open_t = trials[-1] if trials and trials[-1].state == PENDING else None
    ref = open_t or r.last
    decision = ref.state if ref else KEPT

    def plan(settings: dict[str, str], trial: _Trial | None, why: str) -> TuningPlan:
        record = {"id": trial.id, "settings": settings, "why": trial.why} if trial else None
        figures = _figures(r, ref)
        return TuningPlan(dict(settings), record, decision, dict(inc), figures, why)

    if open_t is not None:
        if len(r.values) < 2 and (r.last is open_t or not r.values):
            return plan(inc, None, f"incumbent again: trial {open_t.id} needs more to compare")
        return plan(open_t.settings, open_t, f"trial {open_t.id} again: {decision}")
    done = f"trial {ref.id} {ref.state}{': ' + ref.note if ref.note else ''}; " if ref else ""
    if history and not history[-1].success and r.last is not None:
        return plan(inc, None, done + "incumbent: back on safe settings after a failed trial")
    if not r.values or r.latest is None:
        return plan(inc, None, done + "incumbent: no measured run to compare a trial with")
    tried = [t.settings for t in trials]
    next_id = max((t.id for t in trials), default=0) + 1
    changes, reasons = rule_proposal(r.latest, inc, cores)
    changes = {k: v for k, v in changes.items() if k not in pinned}
    reasons = [w for w in reasons if w.split("=", 1)[0] in changes]
    if changes and {**inc, **changes} not in tried:
        t = _Trial(next_id, {**inc, **changes}, reasons)
        return plan(t.settings, t, done + "rules: " + "; ".join(reasons))
    searched = sum(1 for t in trials if t.why and t.why[0].startswith(SEARCH))
    if searched < MAX_SEARCH:
        past = [(t.settings, _median(t.values)) for t in trials]
        found = search_proposal(inc, _median(r.values), past, pinned, seed + len(trials), cores)
        if found and {**inc, **found} not in tried:
            text = ", ".join(f"{k}={v}" for k, v in found.items())
            why = [f"{SEARCH} {searched + 1} of {MAX_SEARCH} around the incumbent: {text}"]
            t = _Trial(next_id, {**inc, **found}, why)
            return plan(t.settings, t, done + why[0])
    return plan(inc, None, done + "converged: the incumbent is kept")
