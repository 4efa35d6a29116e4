"""`paasport doctor` against the AWS emulator: what exists passes; what is missing says why."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from paasport.cli.main import app
from paasport.config import load_config
from paasport.doctor import run_checks
from paasport.testing.aws import BUCKET, AwsEmulator

runner = CliRunner()


@pytest.fixture(scope="module")
def aws() -> Iterator[AwsEmulator]:
    with AwsEmulator() as running:
        yield running


def write_config(tmp_path: Path, aws: AwsEmulator) -> Path:
    role = "arn:aws:iam::123456789012:role"
    path = tmp_path / "paasport.toml"
    path.write_text(
        f"""
[profiles.emr-ok]
platform = "emr"
bucket = "{BUCKET}"
[profiles.serverless-ok]
platform = "emr_serverless"
bucket = "{BUCKET}"
application_id = "{aws.application_id}"
execution_role_arn = "{role}/paasport-emulated-job-role"
[profiles.glue-broken]
platform = "glue"
bucket = "no-such-bucket"
role_arn = "{role}/missing-role"
[profiles.eks-broken]
platform = "emr_eks"
bucket = "{BUCKET}"
virtual_cluster_id = "doesnotexist0"
execution_role_arn = "{role}/paasport-emulated-job-role"
"""
    )
    return path


def test_existing_resources_pass_and_missing_ones_say_how_to_fix(
    tmp_path: Path, aws: AwsEmulator
) -> None:
    checks = run_checks(load_config(write_config(tmp_path, aws)))
    by = {(c.profile, c.what): c for c in checks}
    for profile in ("emr-ok", "serverless-ok"):
        mine = [c for c in checks if c.profile == profile]
        assert mine and all(c.ok for c in mine), [(c.what, c.detail) for c in mine if not c.ok]
    assert by[("serverless-ok", f"EMR Serverless application {aws.application_id}")].ok
    bucket = by[("glue-broken", "bucket s3://no-such-bucket")]
    assert not bucket.ok and "aws s3 mb s3://no-such-bucket" in bucket.fix
    role = by[("glue-broken", "IAM role missing-role")]
    assert not role.ok and "NoSuchEntity" in role.detail
    cluster = by[("eks-broken", "EMR on EKS virtual cluster doesnotexist0")]
    assert not cluster.ok and "virtual_cluster_id" in cluster.fix
    # the dummy credentials are never printed, only where they came from
    assert by[("emr-ok", "AWS credentials")].detail == "from env"
    assert not any("paasport-emulator-secret" in c.detail for c in checks)


def test_cli_exits_non_zero_and_lists_fixes(
    tmp_path: Path, aws: AwsEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAASPORT_CONFIG", str(write_config(tmp_path, aws)))
    result = runner.invoke(app, ["doctor"], env={"COLUMNS": "200"})
    assert result.exit_code == 1
    assert "FAIL" in result.output and "fix:" in result.output
    assert "paasport-emulator-secret" not in result.output


def test_no_credentials_is_a_plain_failure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    config = tmp_path / "paasport.toml"
    config.write_text('[profiles.cloud]\nplatform = "glue"\nbucket = "b-1"\n'
                      'role_arn = "arn:aws:iam::123456789012:role/r"\n')  # fmt: skip
    checks = run_checks(load_config(config))
    creds = next(c for c in checks if c.what == "AWS credentials")
    assert not creds.ok and "AWS_PROFILE" in creds.fix
    assert [c.what for c in checks if c.profile == "cloud"] == ["optional extra", "AWS credentials"]
