"""What the GCP platforms share: clients, GCS artifacts, Pipes over GCS, labels, retries.

Credentials come only from Google's Application Default Credentials (the environment, gcloud,
the VM's service account); a profile holds names, never a secret. The one exception is an
emulator: a plain-http endpoint on this machine gets anonymous credentials.
"""

from __future__ import annotations

import json
import random
import re
import string
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

# the `gcp` extra: importing the platform fails early, naming the extra, when it is missing
import dagster_gcp.pipes
from google.api_core import exceptions as gexc
from google.api_core.client_info import ClientInfo
from google.api_core.retry import Retry, if_exception_type
from google.cloud import storage
from google.cloud.storage.retry import DEFAULT_RETRY
from pydantic import Field, field_validator

from paasport.platforms.base import LaunchRequest
from paasport.platforms.remote import (
    MAX_BACKOFF_S,
    CapacityError,
    NamesStoreInContext,
    RemoteProfile,
    RemoteRunError,
    cost_tags,
)

#: GCS bucket names: 3-63 characters of lowercase letters, digits, -, _ and . (no dots here:
#: dotted names are domain-verified buckets, which paasport does not need)
GCS_BUCKET = r"^[a-z0-9][a-z0-9_\-]{1,61}[a-z0-9]$"
#: project ids: 6-30 characters, a lowercase letter first, no trailing hyphen
PROJECT_ID = r"^[a-z][a-z0-9\-]{4,28}[a-z0-9]$"
REGION = r"^[a-z]+-[a-z]+\d+$"
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


class GcpProfile(RemoteProfile):
    project: str = Field(pattern=PROJECT_ID, description="the GCP project that runs and pays")
    region: str = Field("us-central1", pattern=REGION)
    bucket: str = Field(pattern=GCS_BUCKET, description="artifacts and Pipes messages go here")
    labels: dict[str, str] = Field(default_factory=dict, description="GCP labels (cost)")
    #: how long throttled or unavailable API calls are retried (with backoff) before failing
    api_retry_s: float = Field(300.0, gt=0, le=MAX_BACKOFF_S)

    def location(self) -> str | None:
        return f"gcp:{self.region}"

    @field_validator("labels")
    @classmethod
    def _labels(cls, value: dict[str, str]) -> dict[str, str]:
        bad = [k for k in value if not label_key(k)]
        if bad:
            raise ValueError(f"label keys need a letter or digit: {bad}")
        return value

    @field_validator("tags")
    @classmethod
    def _no_tags(cls, value: dict[str, str]) -> dict[str, str]:
        if value:
            raise ValueError("GCP calls them labels; set `labels` instead")
        return value


def endpoint_is_local(endpoint: str) -> bool:
    return urlparse(endpoint).hostname in LOOPBACK


def check_endpoint(endpoint: str | None) -> str | None:
    """An API endpoint: https (or host[:port]) anywhere, plain http only on this machine."""
    if endpoint is None:
        return None
    if endpoint.startswith("http://") and not endpoint_is_local(endpoint):
        raise ValueError(
            f"a plain-http endpoint is allowed only on this machine (an emulator); got {endpoint!r}"
        )
    return endpoint


def credentials_for(endpoint: str) -> Any:
    """Anonymous for a local plain-http emulator; None means Application Default Credentials."""
    if endpoint.startswith("http://") and endpoint_is_local(endpoint):
        from google.auth.credentials import AnonymousCredentials

        return AnonymousCredentials()
    return None


def api_retry(total_s: float) -> Retry:
    """Retry throttling (429), unavailability and transient server errors with backoff.

    Passed to every Dataproc call (google-api-core's default retries neither 429 nor, on
    most methods, 500). Retried creates and submits carry a request id, so one that was
    carried out before its answer was lost is not carried out twice."""
    return Retry(
        predicate=if_exception_type(
            gexc.TooManyRequests,
            gexc.ServiceUnavailable,
            gexc.InternalServerError,
            gexc.BadGateway,
            gexc.GatewayTimeout,
        ),
        initial=1.0,
        maximum=30.0,
        multiplier=2.0,
        timeout=total_s,
    )


#: in the User-Agent of paasport's GCS calls: who is calling, in audit logs and for the
#: emulator, which injects storage faults into paasport's own calls only
USER_AGENT = "paasport/1"


def gcs_client(profile: GcpProfile) -> storage.Client:
    # STORAGE_EMULATOR_HOST, when set, points this client at an emulator (anonymously).
    # Its reads, exists() and conditional writes retry 429 and 5xx with the library's
    # DEFAULT_RETRY; paasport's writes are all conditional (see GcsStore, GcsContextInjector)
    return storage.Client(project=profile.project, client_info=ClientInfo(user_agent=USER_AGENT))


def split_gs(uri: str) -> tuple[str, str]:
    bucket, _, key = uri.removeprefix("gs://").partition("/")
    return bucket, key


@dataclass(frozen=True)
class GcsStore:
    """packaging's ArtifactStore on a GCS bucket."""

    client: Any  # google.cloud.storage.Client
    bucket: str

    def has(self, key: str) -> bool:
        return bool(self.client.bucket(self.bucket).blob(key).exists())

    def put(self, local: Path, key: str) -> None:
        # if_generation_match=0: never overwrite; a concurrent upload of the same content wins
        with suppress(gexc.PreconditionFailed):
            self.client.bucket(self.bucket).blob(key).upload_from_filename(
                str(local), if_generation_match=0
            )

    def uri(self, key: str) -> str:
        return f"gs://{self.bucket}/{key}"


_LABEL_BAD = re.compile(r"[^a-z0-9_\-]")


def label_key(key: str) -> str:
    """A GCP label key: lowercase letters, digits, _ and -, a letter first, at most 63."""
    out = _LABEL_BAD.sub("-", key.lower()).strip("-_")
    if out and not out[0].isalpha():
        out = f"k-{out}"
    return out[:63]


def label_value(value: str) -> str:
    return _LABEL_BAD.sub("-", str(value).lower())[:63]


def sanitize_labels(labels: Mapping[str, str]) -> dict[str, str]:
    """Labels that GCP accepts (at most 64; later keys win when two clean to the same key)."""
    out: dict[str, str] = {}
    for key, value in labels.items():
        clean = label_key(key)
        if clean:
            out[clean] = label_value(value)
    return dict(list(out.items())[:64])


def cost_labels(profile: GcpProfile, request: LaunchRequest, code_version: str) -> dict[str, str]:
    """The AWS cost tags (same keys) as GCP labels: `paasport:asset` -> `paasport-asset`."""
    return sanitize_labels({**cost_tags(profile, request, code_version), **profile.labels})


class RetriedGcsContextInjector(dagster_gcp.pipes.PipesGCSContextInjector):
    """Dagster's GCS context injector writes the context unconditionally, which
    google-cloud-storage never retries (a write is not idempotent): one 503 failed the launch.
    The key is new (random), so `if_generation_match=0` makes the write conditional, and the
    library retries it on 429 and 5xx; the delete after the run is retried too."""

    @contextmanager
    def inject_context(self, context: Any) -> Iterator[dict[str, Any]]:
        key_prefix = (self.key_prefix or "") + "".join(random.choices(string.ascii_letters, k=30))
        key = f"{key_prefix}/context.json"
        blob = self.client.bucket(self.bucket).blob(key)
        blob.upload_from_string(json.dumps(context), if_generation_match=0)
        yield {"bucket": self.bucket, "key": key}
        with suppress(gexc.NotFound):
            blob.delete(retry=DEFAULT_RETRY)


class GcsContextInjector(NamesStoreInContext, RetriedGcsContextInjector):
    store = "gcs"


class GcsMessageReader(dagster_gcp.pipes.PipesGCSMessageReader):
    """Dagster's GCS message reader: messages under `<prefix>/pipes/`, the store named."""

    def __init__(self, *, prefix: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.prefix = prefix.strip("/")

    @contextmanager
    def get_params(self) -> Iterator[dict[str, Any]]:
        with super().get_params() as params:
            yield {
                **params,
                "key_prefix": f"{self.prefix}/pipes/{params['key_prefix']}",
                "store": "gcs",
            }


def pipes_io(profile: GcpProfile, gcs: Any) -> tuple[GcsContextInjector, GcsMessageReader]:
    prefix = profile.prefix.strip("/")
    injector = GcsContextInjector(bucket=profile.bucket, client=gcs, key_prefix=f"{prefix}/pipes/")
    reader = GcsMessageReader(
        prefix=prefix, bucket=profile.bucket, client=gcs, interval=profile.pipes_poll_s
    )
    return injector, reader


#: words of GCP's answers that mean "no capacity or quota for this now"
_CAPACITY = (
    "zone_resource_pool_exhausted",
    "does not have enough resources",
    "stockout",
    "insufficient '",
    "quota exceeded for quota metric 'cpus",
    "resource pool exhausted",
)


def classify_failure(message: str) -> type[RemoteRunError]:
    text = message.lower()
    if any(word in text for word in _CAPACITY):
        return CapacityError
    return RemoteRunError


def tail_of_blobs(gcs: Any, uri: str | None, lines: int = 30) -> str:
    """The last lines of the objects under `uri` (a prefix), read in name order; best effort."""
    if not uri:
        return ""
    bucket, prefix = split_gs(uri)
    try:
        blobs = sorted(gcs.list_blobs(bucket, prefix=prefix), key=lambda b: b.name)
        text = "".join(b.download_as_bytes()[-65536:].decode(errors="replace") for b in blobs[-2:])
    except gexc.GoogleAPIError:
        return ""
    return "\n".join(text.strip().splitlines()[-lines:])
