"""One redaction rule for every Spark setting a run records."""

from __future__ import annotations

import pytest

from paasport.job.redact import REDACTED, redact_conf, redact_value


@pytest.mark.parametrize(
    "key",
    [
        # what Spark's default spark.redaction.regex catches
        "spark.hadoop.fs.s3a.secret.key",
        "spark.hadoop.fs.s3a.access.key",
        "spark.hadoop.fs.s3a.accesskey",
        "spark.hadoop.fs.s3a.session.token",
        "spark.ssl.keyStorePassword",
        "spark.authenticate.secret",
        "SPARK.DATABRICKS.TOKEN",
        # and what it does not
        "spark.hadoop.fs.gs.auth.service.account.private.key",
        "spark.hadoop.google.cloud.auth.service.account.private_key_id",
        "spark.hadoop.fs.azure.account.key.acct.dfs.core.windows.net",
        "spark.hadoop.fs.azure.sas.container.acct.blob.core.windows.net",
        "spark.hadoop.fs.s3a.aws.credentials.provider.secret",
        "spark.hadoop.aws.credential",
    ],
)
def test_a_secret_key_hides_the_whole_value(key: str) -> None:
    assert redact_value(key, "PLANTED-SECRET-123") == REDACTED


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("spark.sql.shuffle.partitions", "37"),
        ("spark.master", "spark://127.0.0.1:7077"),
        ("spark.submit.pyFiles", "s3://bucket/paasport/artifacts/ab12/project.whl"),
        ("spark.sql.files.maxPartitionBytes", "64m"),
        ("spark.eventLog.dir", "hdfs://namenode:8020/logs?replication=2"),
        ("spark.hadoop.fs.s3a.endpoint", "http://127.0.0.1:8333"),
    ],
)
def test_ordinary_settings_stay_as_they_are(key: str, value: str) -> None:
    assert redact_value(key, value) == value


def test_passwords_in_urls_and_secret_parameters_are_hidden() -> None:
    cases = {
        "jdbc:postgresql://etl:PLANTED@db:5432/x": f"jdbc:postgresql://etl:{REDACTED}@db:5432/x",
        "https://host/p?token=PLANTED&part=3": f"https://host/p?token={REDACTED}&part=3",
        "https://acct.blob.core.windows.net/c?sv=2020&sig=PLANTED": (
            f"https://acct.blob.core.windows.net/c?sv=2020&sig={REDACTED}"
        ),
        "jdbc:sqlserver://db;user=etl;password=PLANTED;encrypt=true": (
            f"jdbc:sqlserver://db;user=etl;password={REDACTED};encrypt=true"
        ),
        "https://s3/o?X-Amz-Credential=AKIAPLANTED&X-Amz-Signature=PLANTED&X-Amz-Expires=60": (
            f"https://s3/o?X-Amz-Credential={REDACTED}&X-Amz-Signature={REDACTED}&X-Amz-Expires=60"
        ),
        "-Dlog4j2.configurationFile=file:/x -Dfs.s3a.secret.key=PLANTED -Xss4m": (
            f"-Dlog4j2.configurationFile=file:/x -Dfs.s3a.secret.key={REDACTED} -Xss4m"
        ),
        "sc://host:15002/;token=PLANTED": f"sc://host:15002/;token={REDACTED}",
        "https://maps.example/api?key=PLANTED": f"https://maps.example/api?key={REDACTED}",
    }
    for value, expected in cases.items():
        got = redact_value("spark.some.url", value)
        assert got == expected, value
        assert "PLANTED" not in got


def test_redact_conf_keeps_every_key() -> None:
    conf = {"spark.hadoop.fs.s3a.secret.key": "PLANTED", "spark.sql.shuffle.partitions": "37"}
    assert redact_conf(conf) == {
        "spark.hadoop.fs.s3a.secret.key": REDACTED,
        "spark.sql.shuffle.partitions": "37",
    }


def test_the_job_side_module_needs_only_the_standard_library() -> None:
    import ast
    import sys
    from pathlib import Path

    import paasport.job.redact as module

    imported = set()
    for node in ast.walk(ast.parse(Path(module.__file__).read_text())):
        if isinstance(node, ast.Import):
            imported |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
    assert imported <= set(sys.stdlib_module_names) | {"__future__"}, imported
