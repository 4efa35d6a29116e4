"""Bad `paasport.toml` input, generated: a valid config with one field broken (a wrong type, an
absurd number, a bad unit, an unknown or a missing key), or a file of arbitrary bytes. Every
case is a valid config or a ConfigError that names the broken field; never another exception.

Seeded and bounded by the `paasport` hypothesis profile (tests/conftest.py).
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Iterator
from copy import deepcopy
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel
from typer.testing import CliRunner

from paasport.cli.main import app
from paasport.config import AssetSettings, ConfigError, PlannerSettings, load_config, parse_config
from paasport.diagnostics.settings import DiagnosticsSettings
from paasport.platforms import get_platform_class, platform_names
from paasport.pricing.catalog import PriceOverride, PricingSettings

#: a config using every section, and a few platforms' profiles with their own fields
VALID_TOML = """
platform = "big"
max_run_cost_usd = 200.0

[params]
output = "data/out"

[profiles.big]
platform = "local"
master = "local[4]"
driver_memory = "8g"
spark_conf = { "spark.sql.shuffle.partitions" = "16" }

[profiles.cluster]
platform = "standalone"
master = "spark://spark-master.internal:7077"
executor_memory = "4g"
executor_cores = 2
total_executor_cores = 16

[profiles.serverless]
platform = "emr_serverless"
bucket = "my-bucket"
application_id = "00abc123"
execution_role_arn = "arn:aws:iam::123456789012:role/paasport"
poll_s = 5.0
tags = { team = "data" }

[profiles.dbx]
platform = "databricks"
host = "https://example.cloud.databricks.com"
node_type_id = "m5d.xlarge"
num_workers = 2
autoscale = { min_workers = 1, max_workers = 4 }

[assets.edges]
platform = "auto"
spark_conf = { "spark.sql.files.maxPartitionBytes" = "64m" }
params = { mode = "warc" }
timeout_s = 3600
deadline_s = 7200
max_cost_usd = 50.0
input_location = "aws:us-east-1"
tuning = "auto"
tuning_pinned = ["spark.sql.autoBroadcastJoinThreshold"]

[assets.edges.diagnostics]
fail_on = ["spark_spill"]
disable = ["spark_driver_time"]
thresholds = { skew_ratio = 20 }
baseline_runs = 20

[planner]
candidates = ["big", "cluster", "serverless"]
objective = "cost"
confidence = 0.9
explore_runs = 1
platform_retries = 1
retry_backoff_s = 10
user_error_retries = 0

[pricing]
discounts = { ec2 = 0.18 }

[[pricing.prices]]
service = "self_hosted"
item = "core"
price = 0.035
unit = "core-hour"
"""
VALID: dict[str, Any] = tomllib.loads(VALID_TOML)

#: an address in the config: dict keys and list indices
Path_ = tuple[str | int, ...]


def _addresses(value: Any, here: Path_ = ()) -> Iterator[Path_]:
    """Every value in the config, containers included (not the root)."""
    if here:
        yield here
    if isinstance(value, dict | list):
        for key, child in value.items() if isinstance(value, dict) else enumerate(value):
            yield from _addresses(child, (*here, key))


ADDRESSES = sorted(_addresses(VALID), key=str)
#: where a key is a model's field (not a free mapping such as params or spark_conf)
MODEL_LEVELS: list[Path_] = [
    (),
    ("planner",),
    ("pricing",),
    ("pricing", "prices", 0),
    ("assets", "edges"),
    ("assets", "edges", "diagnostics"),
    *(("profiles", name) for name in VALID["profiles"]),
]
_MODELS: list[type[BaseModel]] = [
    AssetSettings,
    PlannerSettings,
    PricingSettings,
    PriceOverride,
    DiagnosticsSettings,
]
FIELDS = (
    {field for model in _MODELS for field in model.model_fields}
    | {
        field
        for name in platform_names()
        for field in get_platform_class(name).profile_model.model_fields
    }
    | set(VALID)
)


def dotted(path: Path_) -> str:
    """How an error names the field: its keys joined by dots, up to the last key (list indices
    are spelt `.0` by pydantic and `[0]` by the reference checks: both start with this)."""
    keys = list(path)
    while keys and isinstance(keys[-1], int):
        keys.pop()
    return ".".join(str(k) for k in keys)


def at(config: dict[str, Any], path: Path_) -> Any:
    for key in path:
        config = config[key]  # type: ignore[index]
    return config


BAD_NUMBERS = st.sampled_from(
    [-1, 0, -0.5, math.nan, math.inf, -math.inf, 10**30, -(10**30), 1e308, 2**63, 0.1]
)
BAD_TEXT = st.sampled_from(
    [
        "",
        " ",
        "lots",
        "12 parsecs",
        "-1g",
        "1e400g",
        "9" * 400,
        "x" * 10_000,
        "ünïcødé ☃",
        "\x00",
        "local[-1]",
        "spark://",
        "arn:aws:iam::1:role/",
        "auto",
        "true",
        "nan",
        "inf",
    ]
) | st.text(max_size=20)
BAD_VALUES: st.SearchStrategy[Any] = st.one_of(
    st.none(),
    st.booleans(),
    BAD_NUMBERS,
    st.integers(),
    st.floats(),
    BAD_TEXT,
    st.lists(st.one_of(st.integers(), BAD_TEXT, st.none()), max_size=3),
    st.dictionaries(BAD_TEXT, st.one_of(st.integers(), BAD_TEXT, st.none()), max_size=3),
)


def assert_names(exc: ConfigError, what: str, path: Path_) -> None:
    message = str(exc)
    assert message.strip(), "an empty ConfigError"
    table, _, key = what.rpartition(".")
    if what in message or f"[{table}] {key}" in message:  # dotted, or as TOML spells it
        return
    # a profile's platform decides its fields: a changed one fails on the fields it now lacks
    if len(path) == 3 and path[0] == "profiles" and path[2] == "platform":
        assert dotted(path[:2]) in message, message
        return
    # a rule between fields (autoscale's max_workers >= min_workers) names their table
    if len(path) > 2 and f"{dotted(path[:-1])}: Value error" in message:
        return
    # a profile broken or gone makes the fields that named it fail instead
    assert path[0] == "profiles" and "unknown platform or profile" in message, (what, message)


def check(config: dict[str, Any], what: str, path: Path_, must_fail: bool = False) -> None:
    try:
        parse_config(config, None)
    except ConfigError as exc:
        assert_names(exc, what, path)
    else:
        assert not must_fail, f"{what}: accepted"


@given(path=st.sampled_from(ADDRESSES), value=BAD_VALUES)
def test_a_field_of_the_wrong_kind_or_size_is_named(path: Path_, value: Any) -> None:
    config = deepcopy(VALID)
    at(config, path[:-1])[path[-1]] = value
    # no field takes NaN or infinity: a NaN limit never applies, an infinite wait overflows
    check(
        config, dotted(path), path, must_fail=isinstance(value, float) and not math.isfinite(value)
    )


@given(path=st.sampled_from(ADDRESSES))
def test_a_missing_field_is_named(path: Path_) -> None:
    config = deepcopy(VALID)
    del at(config, path[:-1])[path[-1]]
    check(config, dotted(path), path)


@given(
    level=st.sampled_from(MODEL_LEVELS),
    key=st.one_of(BAD_TEXT, st.text(min_size=1)).filter(lambda k: k not in FIELDS),
    value=BAD_VALUES,
)
def test_an_unknown_key_is_named(level: Path_, key: str, value: Any) -> None:
    config = deepcopy(VALID)
    at(config, level)[key] = value
    with pytest.raises(ConfigError) as err:
        parse_config(config, None)
    assert key in str(err.value)


def test_the_valid_config_is_valid() -> None:
    """The base of every mutation above parses: what they break is what fails."""
    config = parse_config(VALID, None)
    assert set(config.profiles) == set(VALID["profiles"])


#: garbage and almost-TOML: arbitrary bytes, the valid file cut short or with a byte changed
FILE_BYTES = st.one_of(
    st.binary(max_size=200),
    st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.integers(0, len(VALID_TOML)).map(lambda n: VALID_TOML.encode()[:n]),
    st.sampled_from(
        [b"a = " + b"[" * 5000, b"a = " + b"{b = " * 5000, b"\xef\xbb\xbfplatform = 'x'"]
    ),
    st.tuples(st.integers(0, len(VALID_TOML) - 1), st.binary(min_size=1, max_size=2)).map(
        lambda cut: VALID_TOML.encode()[: cut[0]] + cut[1] + VALID_TOML.encode()[cut[0] + 1 :]
    ),
)


@given(data=FILE_BYTES)
def test_any_file_loads_or_fails_naming_the_file(
    tmp_path_factory: pytest.TempPathFactory, data: bytes
) -> None:
    # the session's folder: hypothesis runs every example in one call of a test, so a
    # function-scoped tmp_path would be shared by the examples anyway
    toml_file = tmp_path_factory.getbasetemp() / "fuzz-paasport.toml"
    toml_file.write_bytes(data)
    try:
        load_config(toml_file)
    except ConfigError as exc:
        assert str(toml_file) in str(exc)


def test_a_command_on_a_bad_config_exits_2_naming_the_field(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = VALID_TOML.replace("timeout_s = 3600", 'timeout_s = "lots"')
    (tmp_path / "paasport.toml").write_text(bad)
    monkeypatch.setenv("PAASPORT_CONFIG", str(tmp_path / "paasport.toml"))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / ".dagster"))
    result = CliRunner().invoke(app, ["plan", "edges"])
    out = " ".join(result.output.split())  # rich wraps long lines
    assert result.exit_code == 2, out
    assert "invalid configuration" in out and "assets.edges.timeout_s" in out
    assert "Traceback" not in out and isinstance(result.exception, SystemExit)
    assert not (tmp_path / ".dagster").exists()  # nothing was started, not even the instance
