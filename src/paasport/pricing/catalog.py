"""The pricing catalog: dated, sourced prices read from data files, with the project's overrides.

Prices are data, not code (`pricing/data/*.csv`, one row per price). Layers, later wins:
the packaged files, refreshed files in the user's pricing folder (`paasport pricing refresh`),
then `[pricing]` in paasport.toml (negotiated prices and discounts).
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from importlib import resources
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

COLUMNS = (
    "service",
    "item",
    "region",
    "price",
    "currency",
    "unit",
    "min_billed_s",
    "effective_date",
    "source_url",
    "assumption",
)
#: the folder `paasport pricing refresh` writes to; its files replace the packaged ones by name
PRICING_DIR_ENV = "PAASPORT_PRICING_DIR"
ANY_REGION = "*"
#: "currencies" of rows that are rates or ratios, which a discount must not touch
NOT_MONEY = {"ratio", "DBU", "GB"}


class CatalogError(ValueError):
    """A catalog file or override is invalid; the message names the file, row and field."""


class MissingPriceError(KeyError):
    """No price for what a run used; the message says where to add one."""

    def __str__(self) -> str:
        return str(self.args[0])


@dataclass(frozen=True)
class Price:
    service: str
    item: str
    region: str
    price: Decimal
    currency: str
    unit: str
    min_billed_s: int | None
    effective_date: str
    source: str
    assumption: str = ""

    def label(self) -> str:
        return f"{self.service} {self.item} ({self.region})"


class PriceOverride(BaseModel):
    """One `[[pricing.prices]]` entry of paasport.toml."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    service: str
    item: str
    region: str = ANY_REGION
    price: Decimal = Field(ge=0)
    currency: str = "USD"
    unit: str = "hour"
    min_billed_s: int | None = Field(None, ge=0)
    effective_date: str = ""
    source: str = "paasport.toml"
    assumption: str = ""


class PricingSettings(BaseModel):
    """`[pricing]` of paasport.toml: extra or replaced prices, and discounts per service."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    prices: list[PriceOverride] = Field(default_factory=list)
    #: fraction off the list price per service, e.g. {"ec2" = 0.2, "databricks_dbu" = 0.15}
    discounts: dict[str, Annotated[Decimal, Field(ge=0, lt=1, allow_inf_nan=False)]] = Field(
        default_factory=dict
    )


def packaged_files() -> list[Path]:
    folder = resources.files("paasport.pricing") / "data"
    return sorted(Path(str(f)) for f in folder.iterdir() if f.name.endswith(".csv"))


def user_pricing_dir() -> Path:
    if env := os.environ.get(PRICING_DIR_ENV):
        return Path(env)
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "paasport" / "pricing"


def catalog_files() -> list[Path]:
    """The packaged files, each replaced by a refreshed file of the same name if there is one."""
    refreshed = user_pricing_dir()
    return [refreshed / f.name if (refreshed / f.name).is_file() else f for f in packaged_files()]


def read_prices(path: Path) -> list[Price]:
    """Every row of one catalog file; a bad row fails with its file, line and field."""
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            if tuple(reader.fieldnames or ()) != COLUMNS:
                raise CatalogError(
                    f"{path}: columns must be {','.join(COLUMNS)} (found {reader.fieldnames})"
                )
            return [_row(row, f"{path}:{reader.line_num}") for row in reader]
    except OSError as exc:
        raise CatalogError(f"{path}: cannot read the catalog ({exc})") from None


def _row(row: Mapping[str, str], where: str) -> Price:
    try:
        price = Decimal(row["price"])
    except InvalidOperation:
        raise CatalogError(f"{where}: price: not a number: {row['price']!r}") from None
    if price < 0:
        raise CatalogError(f"{where}: price: must not be negative")
    minimum = row["min_billed_s"].strip()
    if minimum and not minimum.isdigit():
        raise CatalogError(f"{where}: min_billed_s: not a whole number of seconds: {minimum!r}")
    for name in ("service", "item", "region", "currency", "unit"):
        if not row[name].strip():
            raise CatalogError(f"{where}: {name}: empty")
    return Price(
        service=row["service"],
        item=row["item"],
        region=row["region"],
        price=price,
        currency=row["currency"],
        unit=row["unit"],
        min_billed_s=int(minimum) if minimum else None,
        effective_date=row["effective_date"],
        source=row["source_url"],
        assumption=row["assumption"],
    )


class Catalog:
    """Prices by (service, item, region); a region-specific price wins over `*`."""

    def __init__(self, prices: Iterable[Price], discounts: Mapping[str, Decimal] | None = None):
        self._prices: dict[tuple[str, str, str], Price] = {}
        for price in prices:
            self._prices[(price.service, price.item, price.region)] = price
        self.discounts = dict(discounts or {})

    def __iter__(self) -> Iterator[Price]:
        return iter(sorted(self._prices.values(), key=lambda p: (p.service, p.region, p.item)))

    def __len__(self) -> int:
        return len(self._prices)

    def find(self, service: str, item: str, region: str) -> Price | None:
        found = self._prices.get((service, item, region)) or self._prices.get(
            (service, item, ANY_REGION)
        )
        if found is None:
            return None
        discount = self.discounts.get(service)
        if discount and found.currency not in NOT_MONEY:  # not ratios or DBU rates
            found = replace(found, price=found.price * (1 - discount))
        return found

    def get(self, service: str, item: str, region: str) -> Price:
        found = self.find(service, item, region)
        if found is None:
            raise MissingPriceError(
                f"no price for {service} '{item}' in region {region} in the pricing catalog; "
                f'add one to paasport.toml: [[pricing.prices]] service = "{service}", '
                f'item = "{item}", region = "{region}", price = ..., unit = "..."'
            )
        return found


def load_catalog(settings: PricingSettings | None = None) -> Catalog:
    """The packaged (or refreshed) prices with the project's overrides and discounts."""
    prices: list[Price] = []
    for path in catalog_files():
        prices += read_prices(path)
    settings = settings or PricingSettings()
    for o in settings.prices:
        prices.append(
            Price(
                service=o.service,
                item=o.item,
                region=o.region,
                price=o.price,
                currency=o.currency,
                unit=o.unit,
                min_billed_s=o.min_billed_s,
                effective_date=o.effective_date,
                source=o.source,
                assumption=o.assumption,
            )
        )
    return Catalog(prices, settings.discounts)
