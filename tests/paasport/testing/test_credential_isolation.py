"""The emulators work whatever cloud credentials the environment holds, and never receive them.

Each emulator starts under a hostile environment: fake AWS keys, a session token and a profile
with its own ~/.aws files, a Databricks host, token and ~/.databrickscfg, a GCP service-account
file and gcloud default credentials. One tiny asset runs through it; none of the user's values
may appear in what the emulator received or kept, the Dagster instance, the output or the
console, and the user's variables are back once it stops.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import dagster as dg
import pyarrow.parquet as pq
import pytest
import typer

from paasport.dagster import PaasportResource, spark_asset
from paasport.platforms import REGISTRY
from paasport.testing import EmulatorError, emulate, refusal, refusals_named
from paasport.testing.isolation import read_request_log
from support.results import error_text

JOB = Path(__file__).parents[1] / "fixtures" / "count_job.py"

#: recognisable values of the user's: none may reach an emulator or show anywhere
SECRETS = {
    "aws key": "AKIAFAKEUSERKEY123",
    "aws secret": "fakeUserSecretKey0123",
    "aws session token": "FAKEUSERSESSIONTOKEN0123",
    "aws profile": "some-user-profile",
    "aws profile key": "AKIAFAKEPROFILEKEY77",
    "aws profile secret": "fakeProfileSecret0123",
    "aws config secret": "fakeUserConfigSecret0123",
    "databricks host": "user-workspace.example",
    "databricks token": "dapiFAKEUSERTOKEN",
    "databricks config token": "dapiFAKECFGTOKEN",
    "gcp private key": "FAKEUSERPRIVATEKEY0123",
    "gcp key file": "user-service-account.json",
    "gcloud adc": "FAKEUSERADCREFRESHTOKEN",
}


def hostile_home(home: Path) -> dict[str, str]:
    """Cloud config files of a user who works with AWS, Databricks and GCP; their variables."""
    aws = home / ".aws"
    aws.mkdir(parents=True)
    (aws / "config").write_text(
        f"[default]\nregion = eu-west-1\ncredential_process = echo {SECRETS['aws config secret']}\n"
        f"[profile {SECRETS['aws profile']}]\nregion = eu-west-1\n"
    )
    (aws / "credentials").write_text(
        f"[{SECRETS['aws profile']}]\naws_access_key_id = {SECRETS['aws profile key']}\n"
        f"aws_secret_access_key = {SECRETS['aws profile secret']}\n"
    )
    (home / ".databrickscfg").write_text(
        f"[DEFAULT]\nhost = https://{SECRETS['databricks host']}\n"
        f"token = {SECRETS['databricks config token']}\n"
    )
    gcloud = home / ".config" / "gcloud"
    gcloud.mkdir(parents=True)
    (gcloud / "application_default_credentials.json").write_text(json.dumps({
        "type": "authorized_user", "client_id": "user-client", "client_secret": "user-secret",
        "refresh_token": SECRETS["gcloud adc"],
    }))  # fmt: skip
    key_file = home / SECRETS["gcp key file"]
    key_file.write_text(json.dumps({
        "type": "service_account", "project_id": "user-project", "client_email": "me@user.example",
        "private_key_id": "1", "token_uri": "https://oauth2.googleapis.com/token",
        "private_key": f"-----BEGIN PRIVATE KEY-----\n{SECRETS['gcp private key']}\n"
                       "-----END PRIVATE KEY-----\n",
    }))  # fmt: skip
    return {
        "HOME": str(home),
        "AWS_ACCESS_KEY_ID": SECRETS["aws key"],
        "AWS_SECRET_ACCESS_KEY": SECRETS["aws secret"],
        "AWS_SESSION_TOKEN": SECRETS["aws session token"],
        "AWS_PROFILE": SECRETS["aws profile"],
        "AWS_CONFIG_FILE": str(aws / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(aws / "credentials"),
        "DATABRICKS_HOST": f"https://{SECRETS['databricks host']}",
        "DATABRICKS_TOKEN": SECRETS["databricks token"],
        "DATABRICKS_CONFIG_FILE": str(home / ".databrickscfg"),
        "GOOGLE_APPLICATION_CREDENTIALS": str(key_file),
        "CLOUDSDK_CONFIG": str(gcloud),
    }


def leaks(text: str) -> list[str]:
    return [name for name, value in SECRETS.items() if value in text]


def files_text(root: Path) -> str:
    """Every file under `root`, as text: logs, stored objects, job output."""
    parts = []
    for path in sorted(root.rglob("*")):
        if path.is_file():
            parts.append(path.read_bytes().decode("utf-8", errors="replace"))
    return "\n".join(parts)


def instance_text(instance: dg.DagsterInstance, run_id: str) -> str:
    """Everything the Dagster instance holds of the run: the run itself and every event."""
    run = instance.get_run_by_id(run_id)
    assert run is not None
    entries = [dg.serialize_value(e) for e in instance.all_logs(run_id)]
    return "\n".join([dg.serialize_value(run), *entries])


#: platform per family: the cheapest launch of each emulator
PLATFORMS = {"AwsEmulator": "emr_serverless", "DatabricksEmulator": "databricks_serverless",
             "GcpEmulator": "dataproc"}  # fmt: skip


def _aws() -> Any:
    from paasport.testing.aws import AwsEmulator

    return AwsEmulator(slots=1)


def _databricks() -> Any:
    from paasport.testing.databricks import DatabricksEmulator

    return DatabricksEmulator(slots=1)


def _gcp() -> Any:
    from paasport.testing.gcp import GcpEmulator

    return GcpEmulator(slots=1)


STARTERS: dict[str, Callable[[], Any]] = {
    "AwsEmulator": _aws,
    "DatabricksEmulator": _databricks,
    "GcpEmulator": _gcp,
}


@pytest.fixture
def hostile_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    env = hostile_home(tmp_path / "home")
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    yield env


@pytest.mark.spark
@pytest.mark.parametrize("emulator", list(STARTERS))
def test_an_asset_runs_through_the_emulator_and_no_user_credential_reaches_it(
    emulator: str,
    hostile_env: dict[str, str],
    tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    out = tmp_path / "out"
    asset = spark_asset(name="counts", job=JOB, params={"output": str(out), "n": "700"},
                        checks=["has_rows"])  # fmt: skip
    instance = dg.DagsterInstance.ephemeral()
    with STARTERS[emulator]() as running:
        profile = running.profile(PLATFORMS[emulator])
        result = dg.materialize(
            [asset],
            instance=instance,
            resources={"paasport": PaasportResource(extra_profiles={"cloud": profile})},
            run_config={"ops": {"counts": {"config": {"platform": "cloud"}}}},
            raise_on_error=False,
        )
        assert result.success, error_text(result, "counts")
        requests = [r for log in running.request_logs() for r in read_request_log(log)]
        kept = files_text(running.workdir)  # request and server logs, objects, job output
    assert sum(r["count"] for r in pq.read_table(out).to_pylist()) == 700

    # the logs hold what the servers received, headers included: the emulator's own token
    assert requests and all(r["headers"] for r in requests)
    auth = [v for r in requests for k, v in r["headers"] if k.lower() == "authorization"]
    if emulator != "GcpEmulator":  # Google's clients reach an emulator anonymously
        assert auth and all("paasport-emulator" in a for a in auth), auth[:3]
    assert leaks(json.dumps(requests)) == []
    assert leaks(kept) == []
    assert leaks(instance_text(instance, result.run_id)) == []
    assert leaks(files_text(out)) == []
    console = capfd.readouterr()
    assert leaks(console.out + console.err + caplog.text) == []

    # stopped: the user's variables are back, the emulator's gone
    assert {k: os.environ.get(k) for k in hostile_env} == hostile_env
    for added in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "DATABRICKS_AUTH_TYPE",
                  "STORAGE_EMULATOR_HOST", "NO_GCE_CHECK"):  # fmt: skip
        assert added not in os.environ


def test_an_emulator_that_cannot_start_says_which_and_why_without_the_credential(
    hostile_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken() -> AbstractContextManager[dict[str, Any]]:
        raise FileNotFoundError(f"weed is missing (and the key was {SECRETS['aws secret']})")

    entry = dataclasses.replace(REGISTRY["emr_serverless"], emulator=lambda platform: broken())
    monkeypatch.setitem(REGISTRY, "emr_serverless", entry)
    with pytest.raises(EmulatorError) as caught, emulate("emr_serverless"):
        pass
    message = str(caught.value)
    assert message.startswith("the AWS (emr_serverless) emulator could not start: ")
    assert "weed is missing" in message and leaks(message) == []


def test_the_cli_names_the_emulator_that_refused_a_client_in_one_line(
    hostile_env: dict[str, str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from botocore.exceptions import ClientError

    from webgraph import cli

    def refused(*args: Any, **kwargs: Any) -> Any:
        error = {
            "Error": {
                "Code": "InvalidAccessKeyId",
                "Message": "The access key ID you "
                f"provided ({SECRETS['aws key']}) does not exist in our records.",
            }
        }
        try:
            raise ClientError(error, "CreateBucket")
        except ClientError as exc:
            raise RuntimeError("the step failed") from exc

    class Up:
        def __enter__(self) -> dict[str, Any]:
            return {"platform": "emr_serverless"}

        def __exit__(self, *exc: object) -> None:
            return None

    entry = dataclasses.replace(REGISTRY["emr_serverless"], emulator=lambda platform: Up())
    monkeypatch.setitem(REGISTRY, "emr_serverless", entry)
    monkeypatch.setattr(cli, "_run_with_progress", refused)
    with pytest.raises(typer.Exit) as caught:
        cli._run_emulated(None, "emr_serverless", None)  # type: ignore[arg-type]
    assert caught.value.exit_code == 1
    shown = capsys.readouterr().out
    assert "the emr_serverless emulator refused a client: ClientError" in shown
    assert "InvalidAccessKeyId" in shown and "Traceback" not in shown
    assert leaks(shown) == []


def test_refusal_finds_the_cause_and_ignores_other_failures() -> None:
    class Unauthenticated(Exception):
        pass

    try:
        try:
            raise Unauthenticated("401 invalid token")
        except Unauthenticated as exc:
            raise RuntimeError("the run failed") from exc
    except RuntimeError as outer:
        assert refusal(outer) == "Unauthenticated: 401 invalid token"
    assert refusal(ValueError("no such bucket")) is None
    with pytest.raises(ValueError), refusals_named("the x emulator"):
        raise ValueError("not a refusal: passes unchanged")
