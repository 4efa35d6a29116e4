"""Recognisable fake secrets, planted where a user's would be, and a scan of everything a run
wrote for any of them: bytes, so SQLite pages, logs, Parquet, HTML and PNG text chunks count."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import pytest

#: each is unique enough that finding it anywhere means it leaked from where it was planted
PLANTED = {
    "AWS_SESSION_TOKEN": "planted-aws-session-token-9c41e7",
    "DATABRICKS_TOKEN_USER": "dapi-planted-databricks-token-03b2",
    "PAASPORT_WEBHOOK_URL": "http://127.0.0.1:9/services/T0PLANT/B0PLANT/planted-hook-token-77aa",
}
#: the private key of a fake GCP service-account key file
PLANTED_PRIVATE_KEY = "planted-gcp-private-key-4f6d5e"
#: a Spark setting whose name says secret: Spark gets it, every record shows it redacted
PLANTED_CONF = {"spark.paasport.planted.secret": "planted-spark-conf-secret-1e8b"}
#: names of variables whose values are secrets (the emulators' own credentials among them)
_SECRET_NAMES = ("SECRET", "TOKEN", "PASSWORD", "PRIVATE")


@contextmanager
def planted_secrets(folder: Path) -> Iterator[set[str]]:
    """Plant the fake secrets in this process's environment (and a service-account key file in
    `folder`) for the block; yields the secret strings."""
    folder.mkdir(parents=True, exist_ok=True)
    key_file = folder / "service-account.json"
    pem = f"-----BEGIN PRIVATE KEY-----\n{PLANTED_PRIVATE_KEY}\n-----END PRIVATE KEY-----\n"
    key = {"type": "service_account", "project_id": "planted", "private_key_id": "planted",
           "client_email": "planted@planted.iam", "private_key": pem}  # fmt: skip
    key_file.write_text(json.dumps(key))
    with pytest.MonkeyPatch.context() as env:
        for name, value in PLANTED.items():
            env.setenv(name, value)
        env.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(key_file))
        yield {*PLANTED.values(), PLANTED_PRIVATE_KEY, *PLANTED_CONF.values()}


def environment_secrets(env: Mapping[str, str] = os.environ) -> set[str]:
    """Values of variables whose names say secret, as set now (an emulator's credentials while it
    runs, the planted ones): what must never be written."""
    return {v for k, v in env.items() if len(v) >= 8 and any(w in k.upper() for w in _SECRET_NAMES)}


def leaks(roots: Iterable[Path], secrets: Iterable[str]) -> list[tuple[str, str]]:
    """(file, secret) for every file under `roots` holding one of `secrets`; the secret is
    shown by its first 12 characters only."""
    wanted = [s.encode() for s in secrets if s]
    found = []
    for root in roots:
        files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        for path in files:
            data = path.read_bytes()
            found += [(str(path), s[:12].decode()) for s in wanted if s in data]
    return found
