"""Run history: one line per attempt of an asset (partition) on a platform.

Offline it is a JSON Lines file (what-if analysis, simulations, tests); in a project it is read
from the run records of the Dagster instance's materializations (see `attempts_of`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from paasport.record import MAX_INT, RunRecord

Status = Literal["success", "failed", "interrupted"]


class HistoryError(ValueError):
    """A history or request file is invalid; the message names the file, line and field."""


#: no NaN or infinity (JSON's 1e999 is one): the fits and sums of `predict` would carry it into
#: every prediction; sizes as large as a record keeps (a larger int overflows a float division)
_STRICT = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Attempt(BaseModel):
    model_config = _STRICT

    asset: str
    partition: str | None = None
    platform: str
    input_bytes: int = Field(ge=0, le=MAX_INT)
    duration_s: float = Field(ge=0)
    cost_usd: float = Field(ge=0)
    status: Status = "success"
    started_at: datetime | None = None
    #: queue and start-up within duration_s, when the platform reported it (optional)
    startup_s: float | None = Field(None, ge=0)


class PlanRequest(BaseModel):
    model_config = _STRICT

    asset: str
    input_bytes: int = Field(ge=0, le=MAX_INT)
    platforms: list[str] = Field(min_length=1)
    deadline_s: float | None = Field(None, gt=0)
    objective: Literal["cost", "time"] = "cost"
    budget_usd: float | None = Field(None, gt=0)
    #: the price per GB of moving the input to each platform (0 or absent: same region)
    egress_usd_per_gb: dict[str, float] = Field(default_factory=dict)


def _where(error: ValidationError, prefix: str) -> str:
    """Each error with its field; one about the whole value (JSON that does not parse) has none."""
    fields = [
        ((prefix + ".".join(str(p) for p in e["loc"])).rstrip("."), e["msg"])
        for e in error.errors()
    ]
    return "; ".join(f"{loc}: {msg}" if loc else msg for loc, msg in fields)


def _text(path: Path, what: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise HistoryError(f"{path}: cannot read the {what} ({exc})") from None
    except UnicodeDecodeError as exc:
        raise HistoryError(
            f"{path}: cannot read the {what}: not UTF-8 text (byte {exc.start}: {exc.reason})"
        ) from None


def read_history(path: Path) -> list[Attempt]:
    attempts: list[Attempt] = []
    lines = _text(path, "history").splitlines()
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            attempts.append(Attempt.model_validate_json(line))
        except ValidationError as exc:
            raise HistoryError(f"{path}:{number}: {_where(exc, '')}") from None
    return attempts


def read_requests(path: Path) -> tuple[list[PlanRequest], bool]:
    """The requests, and whether the file held a list (the answer then is a list too)."""
    text = _text(path, "request")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise HistoryError(f"{path}: cannot read the request ({exc})") from None
    except RecursionError:  # json recurses once per nested list or object
        raise HistoryError(f"{path}: cannot read the request (nested too deeply)") from None
    items = data if isinstance(data, list) else [data]
    requests = []
    for i, item in enumerate(items):
        try:
            requests.append(PlanRequest.model_validate(item))
        except ValidationError as exc:
            prefix = f"[{i}]." if isinstance(data, list) else ""
            raise HistoryError(f"{path}: {_where(exc, prefix)}") from None
    return requests, isinstance(data, list)


def for_asset(history: Iterable[Attempt], asset: str) -> list[Attempt]:
    return [a for a in history if a.asset == asset]


def attempts_of(record: RunRecord, asset: str, partition: str | None) -> list[Attempt]:
    """The attempts one materialization made: its `attempts` (failover included), else itself
    as one attempt under its profile's name when it was priced; none otherwise. A tuning trial
    that was rolled back is none: the planner predicts a platform at its tuned settings."""
    tuning = record.metrics
    if (tuning.get("tuning_trial") and tuning.get("tuning_decision") == "rolled back"
            and tuning.get("tuning_failed") is not True):  # fmt: skip
        return []  # (a failed trial's retry ran the incumbent: it counts)
    if record.attempts:
        return [
            Attempt.model_validate({"asset": asset, "partition": partition, "platform": a.platform,
                                    "status": a.status, "input_bytes": a.input_bytes or 0,
                                    "duration_s": a.duration_s, "cost_usd": a.cost_usd})
            for a in record.attempts
        ]  # fmt: skip
    if record.cost is None:
        return []
    return [Attempt(asset=asset, partition=partition, platform=record.profile or "",
                    input_bytes=record.input_bytes or 0, duration_s=record.duration_s,
                    cost_usd=record.cost.total)]  # fmt: skip
