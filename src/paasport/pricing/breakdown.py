"""What a run cost: priced lines summed into compute, storage and platform surcharge.

Money is Decimal all the way (floats only in Dagster metadata), so parts add up to the total
exactly and a published table reproduces to the cent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal

from paasport.pricing.catalog import Price

Part = Literal["compute", "storage", "platform"]
PARTS: tuple[Part, ...] = ("compute", "storage", "platform")
#: the metadata keys every materialization carries, so the UI and tools can chart them
METADATA_KEYS = {f"cost_usd_{p}": p for p in ("total", *PARTS)}
HOURS_PER_MONTH = Decimal(730)  # how AWS and GCP prorate GB-month prices
MICRO = Decimal("0.000001")

#: the ways a cost is known, best first
BILLED = "billed"  # money amounts from the platform's billing
BILLED_USAGE = "billed usage x catalog price"  # e.g. EMR Serverless vCPU-hours
MEASURED = "measured duration x resources x catalog price"
ESTIMATE = "estimate while running"


@dataclass(frozen=True)
class CostLine:
    part: Part
    what: str
    quantity: Decimal
    unit: str
    rate: Decimal
    usd: Decimal
    source: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "part": self.part,
            "what": self.what,
            "quantity": float(self.quantity),
            "unit": self.unit,
            "rate": float(self.rate),
            "usd": float(self.usd),
            "source": self.source,
        }


@dataclass
class CostBreakdown:
    """The cost of one run; `basis` says how it is known, `assumptions` what was assumed."""

    basis: str
    duration_s: float
    currency: str = "USD"
    lines: list[CostLine] = field(default_factory=list)
    assumptions: list[str] = field(default_factory=list)

    def part(self, part: Part) -> Decimal:
        return sum((line.usd for line in self.lines if line.part == part), Decimal(0)).quantize(
            MICRO, ROUND_HALF_UP
        )

    @property
    def total(self) -> Decimal:
        # the sum of the rounded parts, so the parts shown always add up to the total shown
        return sum((self.part(p) for p in PARTS), Decimal(0))

    def add(
        self,
        part: Part,
        what: str,
        quantity: Decimal,
        price: Price,
        *,
        factor: Decimal = Decimal(1),
    ) -> None:
        """A line of `quantity` units at `price` (times `factor`, e.g. a spot ratio)."""
        rate = price.price * factor
        self.lines.append(
            CostLine(part, what, quantity, price.unit, rate, quantity * rate, price.source)
        )
        if price.assumption and price.assumption not in self.assumptions:
            self.assumptions.append(price.assumption)

    def add_amount(self, part: Part, what: str, usd: Decimal, source: str = "") -> None:
        self.lines.append(CostLine(part, what, Decimal(1), "amount", usd, usd, source))

    def assume(self, text: str) -> None:
        if text not in self.assumptions:
            self.assumptions.append(text)

    def as_json(self) -> dict[str, Any]:
        return {
            "currency": self.currency,
            "basis": self.basis,
            "duration_s": round(self.duration_s, 3),
            **{p: float(self.part(p)) for p in PARTS},
            "total": float(self.total),
            "lines": [line.as_json() for line in self.lines],
            "assumptions": self.assumptions,
        }

    def as_metadata(self) -> dict[str, Any]:
        """The numeric `cost_usd_*` keys plus the whole breakdown under `cost`."""
        values = {f"cost_usd_{p}": float(self.part(p)) for p in PARTS}
        return {"cost_usd_total": float(self.total), **values, "cost": self.as_json()}


def hours(seconds: float, minimum_s: int | None = None) -> Decimal:
    """Billed hours for `seconds` of use, with the price's minimum (EMR/EC2/Glue: 60 s)."""
    billed = max(float(seconds), float(minimum_s or 0))
    return Decimal(str(round(billed, 3))) / Decimal(3600)


def gb_hours_as_months(gb: Decimal, hours_: Decimal) -> Decimal:
    """GB-months of a volume of `gb` kept for `hours_` (how EBS and PD are prorated)."""
    return gb * hours_ / HOURS_PER_MONTH
