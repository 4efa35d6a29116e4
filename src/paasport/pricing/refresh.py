"""`paasport pricing refresh` for AWS: today's on-demand prices from the AWS Price List API.

Only the `ec2`, `emr` and `ebs` rows of a catalog CSV are refreshed; every other row keeps its
exact bytes. All prices are fetched before anything is written, and the file is replaced
atomically, so a failure (missing price, throttling, no credentials) leaves it as it was.
Standalone on purpose: stdlib only, boto3/botocore imported when first needed.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, NamedTuple

from paasport.files import write_atomically

#: the Price List API answers only in a few regions; us-east-1 is the usual one
PRICING_REGION = "us-east-1"
#: a human can check a refreshed price in the regional offer file of its service
SOURCE_URL = (
    "https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/{code}/current/{region}/index.json"
)
#: a refreshed price that moved more than this fraction of the old one is reported
LARGE_CHANGE = 0.5
#: the catalog's unit -> the `unit` of the Price List dimension that prices it
_API_UNITS = {"hour": "Hrs", "GB-month": "GB-Mo"}
_NEEDED = ("service", "item", "region", "price", "currency", "unit", "effective_date", "source_url")


@dataclass(frozen=True)
class _Spec:
    service_code: str
    item_field: str  # the product attribute the catalog's `item` names
    fixed: tuple[tuple[str, str], ...]  # filters that pick the plain on-demand product


_SPECS = {
    "ec2": _Spec(
        "AmazonEC2",
        "instanceType",
        (
            ("operatingSystem", "Linux"),
            ("tenancy", "Shared"),
            ("preInstalledSw", "NA"),
            ("capacitystatus", "Used"),
        ),
    ),
    # the EMR surcharge on top of EC2, not the EMR on EKS or Serverless prices
    "emr": _Spec("ElasticMapReduce", "instanceType", (("softwareType", "EMR"),)),
    "ebs": _Spec("AmazonEC2", "volumeApiName", (("productFamily", "Storage"),)),
}


class RefreshError(RuntimeError):
    """A price could not be refreshed; the catalog file was left as it was."""


class PriceChange(NamedTuple):
    service: str
    item: str
    region: str
    old: Decimal | None  # None when the old price was empty or not a number
    new: Decimal


@dataclass
class RefreshReport:
    path: Path
    updated: int = 0  # refreshed rows whose price changed
    unchanged: int = 0  # refreshed rows whose price was already current (only the date moved)
    kept: int = 0  # rows of other services, left byte for byte
    changed: list[PriceChange] = field(default_factory=list)
    large_changes: list[PriceChange] = field(default_factory=list)


class _Key(NamedTuple):
    service: str
    item: str
    region: str
    unit: str


def _fail(key: _Key, reason: str, path: Path) -> RefreshError:
    return RefreshError(
        f"could not refresh the AWS price of {key.service} {key.item} in {key.region}: {reason}; "
        f"the previous file {path} was kept"
    )


def _parse(text: str, path: Path) -> tuple[dict[str, int], list[tuple[list[str], str]]]:
    """The column indexes and every record with its exact text, so kept rows stay byte-equal."""
    lines = list(io.StringIO(text, newline=""))
    reader = csv.reader(lines)
    records: list[tuple[list[str], str]] = []
    start = 0
    for fields in reader:
        records.append((fields, "".join(lines[start : reader.line_num])))
        start = reader.line_num
    if not records:
        raise RefreshError(f"{path} is empty; the file was kept")
    columns = {name: i for i, name in enumerate(records[0][0])}
    missing = [c for c in _NEEDED if c not in columns]
    if missing:
        raise RefreshError(f"{path} has no column {', '.join(missing)}; the file was kept")
    for number, (fields, _raw) in enumerate(records[1:], start=2):
        if fields and len(fields) != len(columns):
            raise RefreshError(
                f"{path} record {number} has {len(fields)} fields, not {len(columns)}; "
                "the file was kept"
            )
    return columns, records


def _filters(spec: _Spec, key: _Key) -> list[dict[str, str]]:
    pairs = [(spec.item_field, key.item), ("regionCode", key.region), *spec.fixed]
    return [{"Type": "TERM_MATCH", "Field": f, "Value": v} for f, v in pairs]


def _on_demand_price(pages: list[Any], spec: _Spec, key: _Key, path: Path) -> Decimal:
    """The one on-demand price of `key` in GetProducts pages; anything else is an error."""
    api_unit = _API_UNITS[key.unit]
    prices: set[Decimal] = set()
    for entry in pages:
        try:
            product = json.loads(entry) if isinstance(entry, str) else entry
            attributes = product["product"]["attributes"]
            terms = product.get("terms", {}).get("OnDemand", {})  # Reserved-only products exist
            dimensions = [d for term in terms.values() for d in term["priceDimensions"].values()]
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise _fail(key, f"unparseable Price List entry ({exc!r})", path) from exc
        # TERM_MATCH should already guarantee these; a mismatch must not slip in a wrong price
        if attributes.get(spec.item_field, "").lower() != key.item.lower():
            continue
        if attributes.get("regionCode", key.region) != key.region:
            continue
        for dim in dimensions:
            if dim.get("unit") != api_unit:
                continue
            usd = dim.get("pricePerUnit", {}).get("USD")
            try:
                price = Decimal(usd)
            except (InvalidOperation, TypeError, ValueError) as exc:
                raise _fail(key, f"unparseable USD price {usd!r}", path) from exc
            if not price.is_finite() or price <= 0:
                raise _fail(key, f"unusable USD price {usd!r}", path)
            prices.add(price)
    if not prices:
        raise _fail(key, f"no on-demand price per {api_unit} in the Price List", path)
    if len(prices) > 1:
        listed = ", ".join(_price_text(p) for p in sorted(prices))
        raise _fail(key, f"ambiguous, the Price List has several prices ({listed})", path)
    return Decimal(_price_text(prices.pop()))  # "0.1920000000" -> 0.192, as the file has it


def _fetch(client: Any, spec: _Spec, key: _Key, path: Path) -> Decimal:
    from botocore.exceptions import BotoCoreError, ClientError

    entries: list[Any] = []
    try:
        paginator = client.get_paginator("get_products")
        pages = paginator.paginate(
            ServiceCode=spec.service_code,
            Filters=_filters(spec, key),
            FormatVersion="aws_v1",
        )
        for page in pages:
            entries.extend(page.get("PriceList", []))
    except (BotoCoreError, ClientError) as exc:
        # botocore has already retried throttling; what is left is final
        raise _fail(key, f"the Price List API failed: {exc}", path) from exc
    return _on_demand_price(entries, spec, key, path)


def _price_text(price: Decimal) -> str:
    return format(price.normalize(), "f")  # "0.1920000000" -> "0.192", never "1E+1"


def _line_end(raw: str) -> str:
    return "\r\n" if raw.endswith("\r\n") else "\n" if raw.endswith(("\n", "\r")) else ""


def refresh_aws_prices(
    path: Path,
    *,
    client: Any,
    today: datetime.date,
    log: Callable[[str], None] = print,
    progress_every: int = 25,
    large_change: float = LARGE_CHANGE,
) -> RefreshReport:
    """Refresh the ec2, emr and ebs prices of the catalog CSV at `path` through `client`.

    `client` is a boto3 `pricing` client. One GetProducts query (all pages) per distinct
    (service, item, region), in the file's order. Raises RefreshError, with the file
    unchanged, when any price is missing, ambiguous or unparseable or the API fails.
    """
    path = Path(path)
    original = path.read_bytes()
    columns, records = _parse(original.decode("utf-8"), path)
    col = columns.__getitem__

    wanted: dict[_Key, None] = {}  # a dict keeps the file's order, unlike a set
    for fields, _raw in records[1:]:
        if fields and fields[col("service")] in _SPECS:
            key = _Key(*(fields[col(c)] for c in ("service", "item", "region", "unit")))
            if key.unit not in _API_UNITS:
                raise _fail(key, f"the unit {key.unit!r} has no Price List equivalent", path)
            if fields[col("currency")] != "USD":
                raise _fail(key, f"the currency is {fields[col('currency')]!r}, not USD", path)
            if key.region == "*":
                raise _fail(key, "a price for any region cannot be looked up", path)
            wanted[key] = None

    log(f"refreshing {len(wanted)} AWS prices in {path} from the Price List API")
    fetched: dict[_Key, Decimal] = {}
    for done, key in enumerate(wanted, start=1):
        fetched[key] = _fetch(client, _SPECS[key.service], key, path)
        if done % max(progress_every, 1) == 0 or done == len(wanted):
            last = f"{key.service} {key.item} {key.region}"
            log(f"  {done}/{len(wanted)} prices fetched (last: {last})")

    report = RefreshReport(path=path)
    out: list[str] = [records[0][1]]
    for fields, raw in records[1:]:
        if not fields or fields[col("service")] not in _SPECS:
            out.append(raw)
            report.kept += 1
            continue
        key = _Key(*(fields[col(c)] for c in ("service", "item", "region", "unit")))
        new = fetched[key]
        try:
            old: Decimal | None = Decimal(fields[col("price")])
        except InvalidOperation:
            old = None
        if old == new:
            report.unchanged += 1
        else:
            change = PriceChange(key.service, key.item, key.region, old, new)
            report.updated += 1
            report.changed.append(change)
            if old is None or old <= 0 or abs(new - old) / old > Decimal(str(large_change)):
                report.large_changes.append(change)
        row = list(fields)
        row[col("price")] = _price_text(new)
        row[col("effective_date")] = today.isoformat()
        row[col("source_url")] = SOURCE_URL.format(
            code=_SPECS[key.service].service_code, region=key.region
        )
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator=_line_end(raw)).writerow(row)
        out.append(buffer.getvalue())

    data = "".join(out).encode("utf-8")
    if data != original:  # nothing new (same day, same prices): keep the file and its mtime
        write_atomically(path, data)
    for c in report.large_changes:
        log(f"  large change: {c.service} {c.item} {c.region} {c.old} -> {c.new}")
    log(
        f"{report.updated} prices changed, {report.unchanged} unchanged, "
        f"{report.kept} other rows kept in {path}"
    )
    return report


def pricing_client(region: str = PRICING_REGION) -> Any:
    """A boto3 Price List client; RefreshError before any call when there are no credentials."""
    try:
        import boto3
        from botocore.config import Config
    except ImportError as exc:
        raise RefreshError(
            "boto3 is not installed (pip install 'paasport[aws]'); the catalog file was kept"
        ) from exc
    session = boto3.Session()
    if session.get_credentials() is None:
        raise RefreshError(
            "no AWS credentials found (environment, shared credentials/config files, SSO or "
            "instance role); the Price List API needs any signed-in identity; "
            "the catalog file was kept"
        )
    # the Price List API throttles bursts; standard retries back off and try again
    config = Config(retries={"mode": "standard", "max_attempts": 10})
    return session.client("pricing", region_name=region, config=config)
