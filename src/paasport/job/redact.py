"""Secrets out of what a run records: one rule for every Spark setting paasport reports.

Runs on the cluster: standard library only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

#: What Spark writes in place of a secret (its own marker, so a reader recognises it).
REDACTED = "*********(redacted)"

#: Names whose values are secrets: Spark's default `spark.redaction.regex`
#: (`(?i)secret|password|token|access[.]?key`) plus credentials, private and account keys
#: (GCS service accounts, Azure storage) and Azure SAS tokens.
SECRET_NAME = re.compile(
    r"(?i)secret|password|passwd|token|access[.]?key|credential|private[._-]?key|account[.]?key"
    r"|(^|[._-])sas([._-]|$)|signature"
)

#: `scheme://user:password@host`: the password part.
_USERINFO = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]*):(?P<secret>[^/\s@]+)@")

#: `name=value` inside a value (URL query, JDBC options, JVM flags `-Dname=value`), where the
#: name says secret: `?token=...`, `;password=...`, `&sig=...`, `-Dfs.s3a.secret.key=...`.
_ASSIGNMENT = re.compile(r"(?P<name>[A-Za-z0-9_.-]+)=(?P<value>[^&;\s]+)")
_SECRET_PARAM = re.compile(r"(?i)^(sig|key|apikey|api[_-]key|auth|x-amz-signature)$")


def redact_value(key: str, value: str) -> str:
    """`value` as it may be recorded: all of it when `key` names a secret, else with the secret
    parts of URLs and `name=value` pairs inside it replaced."""
    if SECRET_NAME.search(key):
        return REDACTED
    value = _USERINFO.sub(lambda m: f"{m['head']}:{REDACTED}@", value)

    def assignment(m: re.Match[str]) -> str:
        name = m["name"]
        if SECRET_NAME.search(name) or _SECRET_PARAM.match(name):
            return f"{name}={REDACTED}"
        return m[0]

    return _ASSIGNMENT.sub(assignment, value)


def redact_conf(conf: Mapping[str, str]) -> dict[str, str]:
    """Settings as they may be recorded: keys kept, secret values replaced by REDACTED."""
    return {key: redact_value(key, str(value)) for key, value in conf.items()}
