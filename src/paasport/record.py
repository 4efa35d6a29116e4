"""The run record: one materialization of a Spark asset as a typed value, and the one place that
knows its metadata keys.

The resource writes `RunRecord.to_metadata()`; the cost report, the planner's history, the budget
guard and `paasport diagnose` read `RunRecord.from_metadata(...)`. Reading is tolerant of older
and partial metadata (a missing key is None) and strict about kinds (a malformed value raises
`RunRecordError` naming its key, as does a number that cannot be what its key measures: NaN,
infinite, a negative duration, cost or size, an attempt's unknown status). Keys the record does
not model (the job's Spark metrics and its own metadata) are kept in `metrics`, so a record read
back writes the same metadata.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from paasport.platforms.base import RunFacts
from paasport.pricing.breakdown import CostBreakdown


class RunRecordError(ValueError):
    """A materialization's metadata holds a value of the wrong kind; the message names the key."""


def plain_metadata(metadata: Mapping[str, Any]) -> dict[str, Any]:
    """Dagster metadata values as plain Python values."""
    return {k: getattr(v, "value", getattr(v, "data", v)) for k, v in metadata.items()}


_TIMINGS = ("queue_s", "startup_s", "run_s")
#: `platform_*` keys that are not run ids (`platform_source` is the resource's, not a fact)
_NOT_RUN_IDS = {
    "platform_console_url",
    "platform_facts",
    "platform_source",
    *(f"platform_{t}" for t in _TIMINGS),
}
COST_PARTS = ("compute", "storage", "platform")
#: what an attempt's `status` may be (the planner's history reads nothing else)
STATUSES = ("success", "failed", "interrupted")
#: the largest whole number a record keeps: a signed 64-bit integer (no input is larger)
MAX_INT = 2**63 - 1


@dataclass(frozen=True)
class Facts:
    """What the platform reported: its run ids, console link, timings and own facts."""

    run_ids: dict[str, str] = field(default_factory=dict)
    console_url: str | None = None
    queue_s: float | None = None
    startup_s: float | None = None
    run_s: float | None = None
    extra: dict[str, Any] | None = None  # `platform_facts`: machines, pricing inputs, ...


@dataclass(frozen=True)
class RunCost:
    """What the run cost (`cost_usd_*`), with the priced breakdown (`cost`)."""

    total: float
    compute: float | None = None
    storage: float | None = None
    platform: float | None = None
    breakdown: dict[str, Any] | None = None  # basis, duration_s, lines, assumptions

    @classmethod
    def of(cls, cost: CostBreakdown) -> RunCost:
        meta = cost.as_metadata()  # the breakdown's own rounding, kept
        return cls(meta["cost_usd_total"], meta["cost_usd_compute"], meta["cost_usd_storage"],
                   meta["cost_usd_platform"], meta["cost"])  # fmt: skip

    @property
    def basis(self) -> str:
        return str((self.breakdown or {}).get("basis", ""))

    @property
    def duration_s(self) -> float | None:
        """The duration the cost was priced for, when the breakdown says it."""
        return (self.breakdown or {}).get("duration_s")


@dataclass(frozen=True)
class AttemptRecord:
    """One attempt of a `platform = "auto"` run, failed or not (an entry of `attempts`)."""

    platform: str
    status: str  # success, failed, interrupted
    duration_s: float
    cost_usd: float
    input_bytes: int | None = None
    detail: dict[str, Any] | None = None  # a failure's kind and error

    def to_json(self) -> dict[str, Any]:
        out = {"platform": self.platform, "status": self.status, "duration_s": self.duration_s,
               "cost_usd": self.cost_usd, "input_bytes": self.input_bytes}  # fmt: skip
        return {**out, **({"detail": self.detail} if self.detail else {})}


@dataclass(frozen=True)
class PlanRecord:
    """What the planner decided for the run (`plan`) and how far off its prediction was."""

    plan: dict[str, Any]  # the candidates, the order tried and why
    predicted_cost_usd: float | None = None
    predicted_duration_s: float | None = None
    cost_error_pct: float | None = None
    duration_error_pct: float | None = None


@dataclass(frozen=True)
class RunRecord:
    """One materialization: where it ran, what the platform said, what it cost, what the
    planner decided, every attempt, the diagnostics, and what the job reported."""

    platform: str | None = None
    profile: str | None = None
    facts: Facts = field(default_factory=Facts)
    source: str | None = None  # `platform_source`: which setting chose the platform
    cost: RunCost | None = None
    cost_error: str | None = None  # why the run could not be priced
    team: str | None = None
    project: str | None = None
    wall_time_s: float | None = None
    partition: str | None = None  # "" for an asset without partitions, as the resource writes
    plan: PlanRecord | None = None
    attempts: list[AttemptRecord] | None = None
    diagnostics: list[dict[str, Any]] | None = None
    # what the job reported through Pipes
    input_bytes: int | None = None
    spark_conf: dict[str, str] | None = None  # the settings Spark ran with, secrets redacted
    spark_conf_unknown: str | None = None  # why they could not be read, instead
    metrics: dict[str, Any] = field(default_factory=dict)  # every other key, as recorded

    @classmethod
    def of_run(cls, facts: RunFacts, **more: Any) -> RunRecord:
        """The record of a run the platform reported `facts` for (timings rounded to ms)."""
        timings = {t: round(float(v), 3) for t in _TIMINGS if (v := getattr(facts, t)) is not None}
        recorded = Facts(dict(facts.run_ids), facts.console_url or None, **timings,
                         extra=dict(facts.extra) or None)  # fmt: skip
        return cls(platform=facts.platform, profile=facts.profile, facts=recorded, **more)

    @property
    def duration_s(self) -> float:
        """How long the run took, as well as it is known: priced, else the platform's, else the
        orchestrator's wall time."""
        priced = self.cost.duration_s if self.cost else None
        return float(priced or self.facts.run_s or self.wall_time_s or 0.0)

    def to_metadata(self) -> dict[str, Any]:
        """The materialization's metadata as plain values (JSON values are dicts and lists)."""
        out: dict[str, Any] = dict(self.metrics)
        _put(out, "input_bytes", self.input_bytes)
        _put(out, "spark_conf", self.spark_conf if self.spark_conf is not None
             else self.spark_conf_unknown)  # fmt: skip
        _put(out, "platform", self.platform)
        _put(out, "profile", self.profile)
        f = self.facts
        out.update({f"platform_{key}": value for key, value in f.run_ids.items()})
        _put(out, "platform_console_url", f.console_url)
        for t in _TIMINGS:
            _put(out, f"platform_{t}", getattr(f, t))
        _put(out, "platform_facts", f.extra)
        if self.cost is not None:
            c = self.cost
            out["cost_usd_total"] = c.total
            for part in COST_PARTS:
                _put(out, f"cost_usd_{part}", getattr(c, part))
            _put(out, "cost", c.breakdown)
        _put(out, "cost_error", self.cost_error)
        _put(out, "team", self.team)
        _put(out, "project", self.project)
        _put(out, "platform_source", self.source)
        _put(out, "wall_time_s", self.wall_time_s)
        _put(out, "partition", self.partition)
        if self.plan is not None:
            p = self.plan
            out["plan"] = p.plan
            _put(out, "plan_predicted_cost_usd", p.predicted_cost_usd)
            _put(out, "plan_predicted_duration_s", p.predicted_duration_s)
        if self.attempts is not None:
            out["attempts"] = [a.to_json() for a in self.attempts]
        if self.plan is not None:
            _put(out, "plan_cost_error_pct", self.plan.cost_error_pct)
            _put(out, "plan_duration_error_pct", self.plan.duration_error_pct)
        _put(out, "diagnostics", self.diagnostics)
        return out

    @classmethod
    def from_metadata(cls, metadata: Mapping[str, Any]) -> RunRecord:
        """The record of a materialization's metadata (Dagster values or plain ones)."""
        rest = plain_metadata(metadata)
        read = _Reader(rest)
        conf = rest.get("spark_conf")
        run_ids = {
            k.removeprefix("platform_"): v
            for k, v in rest.items()
            if k.startswith("platform_") and k not in _NOT_RUN_IDS and isinstance(v, str)
        }
        for key in run_ids:
            del rest[f"platform_{key}"]
        queue, startup, run = (read.number(f"platform_{t}", 0) for t in _TIMINGS)
        facts = Facts(run_ids, read.text("platform_console_url"), queue, startup, run,
                      read.mapping("platform_facts"))  # fmt: skip
        return cls(
            platform=read.text("platform"),
            profile=read.text("profile"),
            facts=facts,
            source=read.text("platform_source"),
            # a total makes a cost: without it (or with a null one), `cost` and the parts are
            # someone else's keys
            cost=_cost(read) if rest.get("cost_usd_total") is not None else None,
            cost_error=read.text("cost_error"),
            team=read.text("team"),
            project=read.text("project"),
            wall_time_s=read.number("wall_time_s", 0),
            partition=read.text("partition"),
            plan=_plan(read) if rest.get("plan") is not None else None,
            attempts=_attempts(read),
            diagnostics=read.objects("diagnostics"),
            input_bytes=read.integer("input_bytes", 0),
            spark_conf=read.mapping("spark_conf") if not isinstance(conf, str) else None,
            spark_conf_unknown=read.text("spark_conf") if isinstance(conf, str) else None,
            metrics=rest,  # what no field took (evaluated last), in the order it was recorded
        )


def _put(out: dict[str, Any], key: str, value: Any) -> None:
    if value is not None:
        out[key] = value


class _Reader:
    """Takes keys out of the metadata, checking their kinds; what is left are the metrics."""

    def __init__(self, rest: dict[str, Any], where: str = "") -> None:
        self.rest, self.where = rest, where  # `where`: the JSON value read, e.g. "attempts[0]."

    def take(self, key: str, kinds: type | tuple[type, ...], expected: str) -> Any:
        value = self.rest.pop(key, None)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, kinds):  # True is no number here
            raise _malformed(self.where + key, expected, value)
        return value

    def text(self, key: str) -> str | None:
        return self.take(key, str, "text")

    def number(self, key: str, minimum: float | None = None) -> float | None:
        """A finite number (at least `minimum`): a NaN would make every comparison false and an
        infinity every sum infinite in what reads records (the planner, budgets, reports)."""
        value = self.take(key, (int, float), "a number")
        if value is None:
            return None
        if (isinstance(value, int) and abs(value) > MAX_INT) or not math.isfinite(value):
            raise _malformed(self.where + key, "a finite number", value)
        if minimum is not None and value < minimum:
            raise _malformed(self.where + key, f"a number >= {minimum:g}", value)
        return value

    def integer(self, key: str, minimum: int | None = None) -> int | None:
        value = self.take(key, (int, float), "a whole number")
        if value is None:
            return None
        if (isinstance(value, float) and not value.is_integer()) or abs(value) > MAX_INT:
            raise _malformed(self.where + key, "a whole number", value)
        if minimum is not None and value < minimum:
            raise _malformed(self.where + key, f"a whole number >= {minimum}", value)
        return int(value)

    def mapping(self, key: str) -> dict[str, Any] | None:
        value = self.take(key, Mapping, "a JSON object")
        return dict(value) if value is not None else None

    def objects(self, key: str) -> list[dict[str, Any]] | None:
        value = self.take(key, list, "a JSON list of objects")
        if value is not None and not all(isinstance(v, Mapping) for v in value):
            raise _malformed(self.where + key, "a JSON list of objects", value)
        return [dict(v) for v in value] if value is not None else None


def _malformed(key: str, expected: str, value: Any) -> RunRecordError:
    shown = repr(value)
    shown = shown if len(shown) <= 80 else shown[:77] + "..."
    return RunRecordError(
        f"materialization metadata '{key}': expected {expected}, got {type(value).__name__} {shown}"
    )


def _cost(read: _Reader) -> RunCost:
    total = read.number("cost_usd_total", 0)
    assert total is not None  # the caller saw it
    compute, storage = read.number("cost_usd_compute", 0), read.number("cost_usd_storage", 0)
    platform, breakdown = read.number("cost_usd_platform", 0), read.mapping("cost")
    if breakdown is not None:
        inner = _Reader(dict(breakdown), "cost.")
        inner.number("duration_s", 0)
        inner.text("basis")
    return RunCost(total, compute, storage, platform, breakdown)


def _plan(read: _Reader) -> PlanRecord:
    plan = read.mapping("plan")
    assert plan is not None  # the caller saw it
    return PlanRecord(plan, read.number("plan_predicted_cost_usd", 0),
                      read.number("plan_predicted_duration_s", 0),
                      read.number("plan_cost_error_pct"),
                      read.number("plan_duration_error_pct"))  # fmt: skip


def _attempts(read: _Reader) -> list[AttemptRecord] | None:
    listed = read.objects("attempts")
    if listed is None:
        return None
    out = []
    for i, entry in enumerate(listed):
        one = _Reader(dict(entry), f"attempts[{i}].")
        platform = one.text("platform")
        if platform is None:
            raise RunRecordError(f"materialization metadata '{one.where}platform': missing")
        status = one.text("status") or "success"
        if status not in STATUSES:
            raise _malformed(f"{one.where}status", f"one of {', '.join(STATUSES)}", status)
        duration, cost = one.number("duration_s", 0), one.number("cost_usd", 0)
        out.append(AttemptRecord(platform, status, duration or 0.0, cost or 0.0,
                                 one.integer("input_bytes", 0), one.mapping("detail")))  # fmt: skip
    return out
