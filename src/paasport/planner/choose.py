"""Choose a platform: every candidate with its prediction, feasibility and why it lost."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from paasport.planner.history import Attempt, PlanRequest
from paasport.planner.predict import GB, Prediction, predict, prior

DEFAULT_CONFIDENCE = 0.9


@dataclass(frozen=True)
class Candidate:
    platform: str
    prediction: Prediction | None
    feasible: bool
    reason: str

    def as_json(self) -> dict[str, Any]:
        p = self.prediction
        return {
            "platform": self.platform,
            "predicted_duration_s": round(p.duration_s, 3) if p else None,
            "predicted_cost_usd": round(p.cost_usd, 6) if p else None,
            "feasible": self.feasible,
            "reason": self.reason,
            **({"basis": p.basis, "retry_probability": round(p.retry_probability, 4)} if p else {}),
        }


@dataclass(frozen=True)
class Plan:
    request: PlanRequest
    platform: str | None
    candidates: list[Candidate]

    @property
    def chosen(self) -> Candidate | None:
        return next((c for c in self.candidates if c.platform == self.platform), None)

    def as_json(self) -> dict[str, Any]:
        best = self.chosen or _closest(self.candidates, self.request.objective)
        p = best.prediction if best else None
        return {
            "platform": self.platform,
            "predicted_duration_s": round(p.duration_s, 3) if p else 0.0,
            "predicted_cost_usd": round(p.cost_usd, 6) if p else 0.0,
            "candidates": [c.as_json() for c in self.candidates],
        }


def _key(p: Prediction, objective: str) -> tuple[float, float]:
    return (p.cost_usd, p.duration_s) if objective == "cost" else (p.duration_s, p.cost_usd)


def _closest(candidates: Sequence[Candidate], objective: str) -> Candidate | None:
    priced = [c for c in candidates if c.prediction is not None]
    return min(priced, key=lambda c: _key(c.prediction, objective)) if priced else None  # type: ignore[arg-type]


def predictions(
    request: PlanRequest,
    history: Sequence[Attempt],
    usd_per_hour: Mapping[str, float],
    confidence: float,
) -> dict[str, Prediction | None]:
    mine = [a for a in history if a.asset == request.asset]
    out: dict[str, Prediction | None] = {
        platform: predict(
            platform,
            [a for a in mine if a.platform == platform],
            request.input_bytes,
            confidence,
            platform_wide=[a for a in history if a.platform == platform],
        )
        for platform in request.platforms
    }
    others = [p for p in out.values() if p is not None]
    for platform, found in out.items():
        if found is None:
            out[platform] = prior(platform, others, usd_per_hour.get(platform), confidence)
    return {name: with_egress(p, request) for name, p in out.items()}


def with_egress(p: Prediction | None, request: PlanRequest) -> Prediction | None:
    """The prediction plus moving the input to the platform's region (data locality)."""
    rate = request.egress_usd_per_gb.get(p.platform, 0.0) if p else 0.0
    if p is None or not rate:
        return p
    egress = request.input_bytes / GB * rate
    moved = f"{p.basis}; + ${egress:.4f} to move the input here at ${rate}/GB"
    return replace(p, cost_usd=p.cost_usd + egress, basis=moved)


def choose(
    request: PlanRequest,
    history: Sequence[Attempt],
    usd_per_hour: Mapping[str, float] | None = None,
    confidence: float = DEFAULT_CONFIDENCE,
) -> Plan:
    found = predictions(request, history, usd_per_hour or {}, confidence)
    verdicts: list[tuple[str, Prediction | None, str | None]] = []
    for platform, p in found.items():
        why = None
        if p is None:
            why = "no history for this asset here, and no list price to build a prior from"
        elif request.deadline_s is not None and p.duration_hi_s > request.deadline_s:
            why = (
                f"misses the deadline: {p.duration_hi_s:.0f} s at {confidence:.0%} confidence "
                f"> {request.deadline_s:.0f} s"
            )
        elif request.budget_usd is not None and p.cost_usd > request.budget_usd:
            why = f"over budget: ${p.cost_usd:.4f} > ${request.budget_usd:.4f}"
        verdicts.append((platform, p, why))
    feasible = [(pl, p) for pl, p, why in verdicts if why is None and p is not None]
    winner = min(feasible, key=lambda f: _key(f[1], request.objective))[0] if feasible else None
    best = found[winner] if winner else None
    candidates = []
    for platform, p, why in verdicts:
        ok = why is None and p is not None
        if ok:
            assert p is not None
            why = "chosen" if platform == winner else _lost(p, best, request.objective)
        candidates.append(Candidate(platform, p, ok, why or ""))
    return Plan(request=request, platform=winner, candidates=candidates)


def _lost(p: Prediction, best: Prediction | None, objective: str) -> str:
    assert best is not None
    if objective == "cost":
        return f"costs ${p.cost_usd - best.cost_usd:.4f} more than {best.platform}"
    return f"takes {p.duration_s - best.duration_s:.0f} s longer than {best.platform}"
