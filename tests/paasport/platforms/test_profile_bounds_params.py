"""Polling and backoff fields of every remote profile have sane bounds, and errors name them."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from paasport.platforms.aws.emr import EmrProfile
from paasport.platforms.aws.emr_serverless import EmrServerlessProfile
from paasport.platforms.databricks.classic import DatabricksClassicProfile
from paasport.platforms.gcp.dataproc import DataprocProfile
from paasport.platforms.remote import RemoteProfile

ROLE = "arn:aws:iam::123456789012:role/r"
#: each profile class with the fields it cannot do without
PROFILES: dict[str, tuple[type[RemoteProfile], dict[str, Any]]] = {
    "emr": (EmrProfile, {"bucket": "my-bucket"}),
    "emr_serverless": (
        EmrServerlessProfile,
        {"bucket": "my-bucket", "application_id": "app1", "execution_role_arn": ROLE},
    ),
    "databricks": (DatabricksClassicProfile, {}),
    "dataproc": (DataprocProfile, {"project": "my-project", "bucket": "my-bucket"}),
}
#: (profile, field, a value past its bound)
TOO_BIG = [
    *[(name, f, 3601.0) for name in PROFILES for f in ("poll_s", "poll_max_s", "pipes_poll_s")],
    ("emr", "retry_backoff_s", 86401.0),
    ("databricks", "retry_backoff_s", 86401.0),
    ("dataproc", "retry_backoff_s", 86401.0),
    ("dataproc", "api_retry_s", 86401.0),
]


def make(name: str, **fields: Any) -> RemoteProfile:
    cls, required = PROFILES[name]
    return cls(**required, **fields)


@pytest.mark.parametrize(("name", "field", "value"), TOO_BIG)
def test_polls_and_backoffs_have_an_upper_bound_named_in_the_error(
    name: str, field: str, value: float
) -> None:
    extra = {"poll_max_s": value} if field == "poll_s" else {}  # keep poll_max_s >= poll_s
    with pytest.raises(ValidationError, match=field) as caught:
        make(name, **{field: value, **extra})
    assert "less than or equal" in str(caught.value)


@pytest.mark.parametrize("name", PROFILES)
def test_the_longest_poll_and_backoff_are_accepted(name: str) -> None:
    profile = make(name, poll_s=3600, poll_max_s=3600, pipes_poll_s=3600)
    assert profile.poll_max_s == 3600
    if "retry_backoff_s" in type(profile).model_fields:
        assert make(name, retry_backoff_s=86400).model_dump()["retry_backoff_s"] == 86400


@pytest.mark.parametrize("name", PROFILES)
def test_poll_max_below_poll_is_refused_naming_both_fields(name: str) -> None:
    with pytest.raises(ValidationError) as caught:
        make(name, poll_s=30, poll_max_s=10)
    message = str(caught.value)
    assert "poll_max_s (10) must be at least poll_s (30)" in message


NOT_POSITIVE = [("poll_s", 0), ("poll_max_s", -1), ("pipes_poll_s", 0)]


@pytest.mark.parametrize(("field", "value"), NOT_POSITIVE)
def test_polls_must_be_positive(field: str, value: float) -> None:
    with pytest.raises(ValidationError, match=field):
        make("emr", **{field: value})


def test_no_default_caps_a_run_under_two_hours() -> None:
    """Dagster's waits give up early (boto waiters ~30 min, the Databricks SDK's 20 min); ours
    have no limit unless asked, and the platforms' own run timeouts are far above two hours."""
    from paasport.platforms.aws.glue import GlueProfile

    for name in PROFILES:
        assert make(name).timeout_s is None, name
    serverless = make("emr_serverless").model_dump()
    assert serverless["execution_timeout_minutes"] >= 120
    glue = GlueProfile(bucket="my-bucket", role_arn=ROLE)
    assert glue.timeout_minutes >= 120 and glue.timeout_s is None
