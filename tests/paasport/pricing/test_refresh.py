"""`paasport pricing refresh` for AWS against recorded Price List answers.

The real boto3 `pricing` client runs with botocore's Stubber: each request's parameters (service
code, every TERM_MATCH filter, the page token) are asserted, and the answers under `recorded/`
have the shape GetProducts returns (`PriceList` is a list of JSON strings).
"""

from __future__ import annotations

import datetime
import json
import os
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from paasport.pricing.refresh import (
    PriceChange,
    RefreshError,
    pricing_client,
    refresh_aws_prices,
)

RECORDED = Path(__file__).parent / "recorded"
TODAY = datetime.date(2026, 12, 1)
OLD_MTIME_NS = 1_700_000_000_000_000_000
HEADER = (
    "service,item,region,price,currency,unit,min_billed_s,effective_date,source_url,assumption\n"
)
EC2_PAGE = "https://aws.amazon.com/ec2/pricing/on-demand/"
EMR_PAGE = "https://aws.amazon.com/emr/pricing/"
SPOT = (
    "ec2_spot,m5,*,0.4,ratio,fraction of on-demand,,2026-11-01,"
    'https://aws.amazon.com/ec2/spot/pricing/,"spot price estimated at 40 % of on-demand '
    '(typical, varies by hour and zone)"\n'
)
# needless quotes: a kept row keeps its exact bytes, not a re-serialization of them
GLUE = (
    'glue,"flex",us-east-1,0.29,USD,DPU-hour,60,2026-11-01,https://aws.amazon.com/glue/pricing/,\n'
)
CATALOG = (
    HEADER
    + f"ec2,m5.xlarge,us-east-1,0.192,USD,hour,60,2026-11-01,{EC2_PAGE},\n"
    + f"ec2,m5.2xlarge,us-east-1,0.38,USD,hour,60,2026-11-01,{EC2_PAGE},\n"
    + GLUE
    + f"ec2,m5.xlarge,eu-west-1,0.214,USD,hour,60,2026-11-01,{EC2_PAGE},\n"
    + f"emr,m5.xlarge,us-east-1,0.048,USD,hour,60,2026-11-01,{EMR_PAGE},\n"
    + f"emr,m5.xlarge,eu-west-1,0.048,USD,hour,60,2026-11-01,{EMR_PAGE},\n"
    + "ebs,gp3,eu-west-1,0.08,USD,GB-month,,2026-11-01,https://aws.amazon.com/ebs/pricing/,\n"
    + SPOT
)
OFFERS = "https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws"


def offer(code: str, region: str) -> str:
    return f"{OFFERS}/{code}/current/{region}/index.json"


EC2_US, EC2_EU = offer("AmazonEC2", "us-east-1"), offer("AmazonEC2", "eu-west-1")
EMR_US, EMR_EU = offer("ElasticMapReduce", "us-east-1"), offer("ElasticMapReduce", "eu-west-1")
REFRESHED = (
    HEADER
    + f"ec2,m5.xlarge,us-east-1,0.192,USD,hour,60,2026-12-01,{EC2_US},\n"
    + f"ec2,m5.2xlarge,us-east-1,0.384,USD,hour,60,2026-12-01,{EC2_US},\n"
    + GLUE
    + f"ec2,m5.xlarge,eu-west-1,0.214,USD,hour,60,2026-12-01,{EC2_EU},\n"
    + f"emr,m5.xlarge,us-east-1,0.048,USD,hour,60,2026-12-01,{EMR_US},\n"
    + f"emr,m5.xlarge,eu-west-1,0.048,USD,hour,60,2026-12-01,{EMR_EU},\n"
    + f"ebs,gp3,eu-west-1,0.088,USD,GB-month,,2026-12-01,{EC2_EU},\n"
    + SPOT
)


def query(code: str, *filters: tuple[str, str]) -> dict[str, Any]:
    matches = [{"Type": "TERM_MATCH", "Field": f, "Value": v} for f, v in filters]
    return {"ServiceCode": code, "Filters": matches, "FormatVersion": "aws_v1"}


def ec2_query(instance: str, region: str) -> dict[str, Any]:
    return query(
        "AmazonEC2",
        ("instanceType", instance),
        ("regionCode", region),
        ("operatingSystem", "Linux"),
        ("tenancy", "Shared"),
        ("preInstalledSw", "NA"),
        ("capacitystatus", "Used"),
    )


def emr_query(instance: str, region: str) -> dict[str, Any]:
    filters = [("instanceType", instance), ("regionCode", region), ("softwareType", "EMR")]
    return query("ElasticMapReduce", *filters)


def ebs_query(volume: str, region: str) -> dict[str, Any]:
    filters = [("volumeApiName", volume), ("regionCode", region), ("productFamily", "Storage")]
    return query("AmazonEC2", *filters)


def recorded(name: str) -> dict[str, Any]:
    answer: dict[str, Any] = json.loads((RECORDED / f"{name}.json").read_text())
    return answer


# the queries CATALOG needs, in the file's order, with the recorded page(s) that answer each
QUERIES: list[tuple[dict[str, Any], list[str]]] = [
    (ec2_query("m5.xlarge", "us-east-1"), ["ec2_m5.xlarge_us-east-1"]),
    (ec2_query("m5.2xlarge", "us-east-1"), ["ec2_m5.2xlarge_us-east-1"]),
    (
        ec2_query("m5.xlarge", "eu-west-1"),
        ["ec2_m5.xlarge_eu-west-1.page1", "ec2_m5.xlarge_eu-west-1.page2"],
    ),
    (emr_query("m5.xlarge", "us-east-1"), ["emr_m5.xlarge_us-east-1"]),
    (emr_query("m5.xlarge", "eu-west-1"), ["emr_m5.xlarge_eu-west-1"]),
    (ebs_query("gp3", "eu-west-1"), ["ebs_gp3_eu-west-1"]),
]


def expect(stubber: Stubber, query: dict[str, Any], pages: list[dict[str, Any]]) -> None:
    token: str | None = None
    for page in pages:
        params = dict(query, NextToken=token) if token else query
        stubber.add_response("get_products", page, params)
        token = page.get("NextToken")


@pytest.fixture
def client() -> Any:
    # fake keys: the Stubber answers before anything is signed or sent
    session = boto3.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
    )
    return session.client("pricing")


@pytest.fixture
def stubber(client: Any) -> Iterator[Stubber]:
    with Stubber(client) as stub:
        yield stub


@pytest.fixture
def catalog(tmp_path: Path) -> Path:
    path = tmp_path / "aws.csv"
    path.write_text(CATALOG)
    # an old mtime, so a rewrite would show even on coarse file system clocks
    os.utime(path, ns=(OLD_MTIME_NS, OLD_MTIME_NS))
    return path


def assert_kept(path: Path) -> None:
    assert path.read_bytes() == CATALOG.encode()
    assert path.stat().st_mtime_ns == OLD_MTIME_NS
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temp file left behind


def test_prices_are_refreshed_and_other_rows_keep_their_bytes(
    catalog: Path, client: Any, stubber: Stubber
) -> None:
    for params, names in QUERIES:
        expect(stubber, params, [recorded(n) for n in names])
    messages: list[str] = []

    report = refresh_aws_prices(
        catalog, client=client, today=TODAY, log=messages.append, progress_every=4
    )

    stubber.assert_no_pending_responses()
    assert catalog.read_text() == REFRESHED
    assert (report.updated, report.unchanged, report.kept) == (2, 4, 2)
    assert report.changed == [
        PriceChange("ec2", "m5.2xlarge", "us-east-1", Decimal("0.38"), Decimal("0.384")),
        PriceChange("ebs", "gp3", "eu-west-1", Decimal("0.08"), Decimal("0.088")),
    ]
    assert report.large_changes == [] and report.path == catalog
    assert any("4/6" in m for m in messages) and any("6/6" in m for m in messages)


def test_every_page_of_an_answer_is_read(tmp_path: Path, client: Any, stubber: Stubber) -> None:
    path = tmp_path / "aws.csv"
    path.write_text(HEADER + f"ec2,m5.xlarge,eu-west-1,0.2,USD,hour,60,2026-11-01,{EC2_PAGE},\n")
    page1, page2 = (
        recorded("ec2_m5.xlarge_eu-west-1.page1"),
        recorded("ec2_m5.xlarge_eu-west-1.page2"),
    )
    # the first page holds no product, only a token: the price is on the second one
    assert page1["PriceList"] == [] and "NextToken" in page1
    expect(stubber, ec2_query("m5.xlarge", "eu-west-1"), [page1, page2])

    report = refresh_aws_prices(path, client=client, today=TODAY, log=lambda m: None)

    stubber.assert_no_pending_responses()
    assert report.changed == [
        PriceChange("ec2", "m5.xlarge", "eu-west-1", Decimal("0.2"), Decimal("0.214"))
    ]
    assert ",0.214,USD,hour,60,2026-12-01," in path.read_text()


def test_a_missing_price_fails_naming_it_and_keeps_the_file(
    catalog: Path, client: Any, stubber: Stubber
) -> None:
    for params, names in QUERIES[:4]:
        expect(stubber, params, [recorded(n) for n in names])
    expect(stubber, emr_query("m5.xlarge", "eu-west-1"), [recorded("empty")])

    with pytest.raises(RefreshError, match=r"emr m5\.xlarge in eu-west-1: no on-demand price") as e:
        refresh_aws_prices(catalog, client=client, today=TODAY, log=lambda m: None)

    assert "was kept" in str(e.value)
    assert_kept(catalog)


def ebs_answer(*dimensions: tuple[str, str]) -> dict[str, Any]:
    """The recorded gp3 answer with one product per (USD price, unit) of its dimension."""
    products = []
    for usd, unit in dimensions:
        product = json.loads(recorded("ebs_gp3_eu-west-1")["PriceList"][0])
        (term,) = product["terms"]["OnDemand"].values()
        (dimension,) = term["priceDimensions"].values()
        dimension["pricePerUnit"]["USD"], dimension["unit"] = usd, unit
        products.append(json.dumps(product))
    return {"FormatVersion": "aws_v1", "PriceList": products}


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        (ebs_answer(("0.088", "GB-Mo"), ("0.095", "GB-Mo")), r"ambiguous.*0\.088, 0\.095"),
        (ebs_answer(("n/a", "GB-Mo")), "unparseable USD price 'n/a'"),
        # only an hourly dimension: not the GB-month one the row is priced in
        (ebs_answer(("0.088", "Hrs")), "no on-demand price per GB-Mo"),
    ],
)
def test_an_ambiguous_or_unparseable_price_fails_and_keeps_the_file(
    catalog: Path, client: Any, stubber: Stubber, answer: dict[str, Any], reason: str
) -> None:
    for params, names in QUERIES[:5]:
        expect(stubber, params, [recorded(n) for n in names])
    expect(stubber, ebs_query("gp3", "eu-west-1"), [answer])

    with pytest.raises(RefreshError, match=rf"ebs gp3 in eu-west-1: {reason}"):
        refresh_aws_prices(catalog, client=client, today=TODAY, log=lambda m: None)

    assert_kept(catalog)


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("ThrottlingException", "Rate exceeded"),
        ("AccessDeniedException", "User is not authorized to perform: pricing:GetProducts"),
    ],
)
def test_an_api_error_fails_and_keeps_the_file(
    catalog: Path, client: Any, stubber: Stubber, code: str, message: str
) -> None:
    for params, names in QUERIES[:2]:
        expect(stubber, params, [recorded(n) for n in names])
    stubber.add_client_error(
        "get_products",
        service_error_code=code,
        service_message=message,
        http_status_code=400,
        expected_params=ec2_query("m5.xlarge", "eu-west-1"),
    )

    with pytest.raises(RefreshError, match=rf"ec2 m5\.xlarge in eu-west-1: .*{code}") as e:
        refresh_aws_prices(catalog, client=client, today=TODAY, log=lambda m: None)

    assert "was kept" in str(e.value)
    stubber.assert_no_pending_responses()
    assert_kept(catalog)


NO_CREDENTIALS_ENV = (
    *("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"),
    *("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE"),
    *("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI"),
)


def _no_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in NO_CREDENTIALS_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # no instance-role lookup either


def test_no_credentials_fail_before_any_call(
    catalog: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _no_credentials(monkeypatch, tmp_path)

    with pytest.raises(RefreshError, match=r"no AWS credentials found.*the catalog file was kept"):
        # as the CLI calls it: the client is made (and fails) before the catalog is touched
        refresh_aws_prices(catalog, client=pricing_client(), today=TODAY)

    assert_kept(catalog)


def test_the_client_is_a_price_list_client_in_us_east_1(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")

    client = pricing_client()

    assert client.meta.service_model.service_name == "pricing"
    assert client.meta.region_name == "us-east-1"
    assert client.meta.config.retries["mode"] == "standard"  # backs off on throttling


def test_a_large_change_is_written_and_reported(
    tmp_path: Path, client: Any, stubber: Stubber
) -> None:
    path = tmp_path / "aws.csv"
    path.write_text(
        HEADER
        + f"ec2,m5.xlarge,us-east-1,0.1,USD,hour,60,2026-11-01,{EC2_PAGE},\n"
        + f"emr,m5.xlarge,us-east-1,0.047,USD,hour,60,2026-11-01,{EMR_PAGE},\n"
    )
    expect(stubber, ec2_query("m5.xlarge", "us-east-1"), [recorded("ec2_m5.xlarge_us-east-1")])
    expect(stubber, emr_query("m5.xlarge", "us-east-1"), [recorded("emr_m5.xlarge_us-east-1")])
    messages: list[str] = []

    report = refresh_aws_prices(path, client=client, today=TODAY, log=messages.append)

    large = PriceChange("ec2", "m5.xlarge", "us-east-1", Decimal("0.1"), Decimal("0.192"))
    small = PriceChange("emr", "m5.xlarge", "us-east-1", Decimal("0.047"), Decimal("0.048"))
    assert report.changed == [large, small]
    assert report.large_changes == [large]  # +92 %: still written, but flagged
    assert ",0.192,USD,hour,60,2026-12-01," in path.read_text()
    assert "  large change: ec2 m5.xlarge us-east-1 0.1 -> 0.192" in messages


def test_nothing_new_leaves_the_file_untouched(
    tmp_path: Path, client: Any, stubber: Stubber
) -> None:
    path = tmp_path / "aws.csv"
    row = f"emr,m5.xlarge,us-east-1,0.048,USD,hour,60,2026-12-01,{EMR_US},\n"
    path.write_text(HEADER + row)
    os.utime(path, ns=(OLD_MTIME_NS, OLD_MTIME_NS))
    expect(stubber, emr_query("m5.xlarge", "us-east-1"), [recorded("emr_m5.xlarge_us-east-1")])

    report = refresh_aws_prices(path, client=client, today=TODAY, log=lambda m: None)

    assert (report.updated, report.unchanged) == (0, 1)
    assert path.read_text() == HEADER + row
    assert path.stat().st_mtime_ns == OLD_MTIME_NS
