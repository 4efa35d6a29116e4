"""`connect`: a Spark Connect endpoint (`sc://host:port`), as Databricks Connect and serverless
notebooks work. The job script runs here as a plain Python process under Dagster Pipes (temp
files); its SparkSession is a Connect client of the remote server, which runs the Spark work.

A token, when the endpoint needs one, comes from the environment variable the profile names and
reaches the child only as SPARK_CONNECT_AUTHENTICATE_TOKEN (PySpark's own variable), so the URL
stays token-free and no log, error message, metadata or profile can show it.
"""

from __future__ import annotations

import os
import sys
from typing import Any, ClassVar, Literal

# the `connect` extra (PySpark's Connect client): importing this module fails early without it
import grpc  # noqa: F401
import grpc_status  # noqa: F401
import zstandard  # noqa: F401
from pydantic import Field, field_validator

from paasport.job.defaults import CONNECT_UI_VAR
from paasport.platforms.base import Capabilities, LaunchOutcome, LaunchRequest, ProfileBase
from paasport.platforms.checks import Checks, reachable
from paasport.platforms.selfhosted.spark_submit import SparkSubmitPlatform, reported_metadata

#: sc://host:port[/;param=value;...]; names like x-databricks-cluster-id travel as gRPC headers.
#: A token belongs in `token_env`, not in the URL.
CONNECT_URL = r"^sc://[^/:;]+(:\d+)?(/(;[A-Za-z0-9_.-]+=[^;]*)*)?$"
#: PySpark's Connect client reads the token from here when the URL has none
TOKEN_VAR = "SPARK_CONNECT_AUTHENTICATE_TOKEN"


class ConnectProfile(ProfileBase):
    platform: Literal["connect"] = "connect"
    url: str = Field(pattern=CONNECT_URL, description="sc://host:port of the Connect server")
    token_env: str | None = Field(
        None, pattern=r"^[A-Z_][A-Z0-9_]*$", description="env var holding the access token"
    )
    ui_url: str | None = Field(
        None,
        pattern=r"^https?://[^/\s]+/?$",
        description="the server's Spark UI (http://host:4040): each job reads its own session's "
        "Spark metrics there; without it a run has no Spark numbers",
    )

    @field_validator("url")
    @classmethod
    def _no_secret_in_url(cls, url: str) -> str:
        if ";token=" in url.lower():
            raise ValueError("holds a token: put it in an env var and name that in `token_env`")
        return url


class ConnectPlatform(SparkSubmitPlatform[ConnectProfile]):
    name: ClassVar[str] = "connect"
    capabilities: ClassVar[Capabilities] = Capabilities(
        existing_cluster=True, pipes_transport="temp files (the client runs here)"
    )
    profile_model: ClassVar[type[ProfileBase]] = ConnectProfile

    def command(self, request: LaunchRequest) -> list[str]:
        return [sys.executable, str(request.job.script)]

    def extra_env(self) -> dict[str, str]:
        env = {"SPARK_REMOTE": self.profile.url}
        if self.profile.ui_url:
            env[CONNECT_UI_VAR] = self.profile.ui_url.rstrip("/")
        if self.profile.token_env:
            token = os.environ.get(self.profile.token_env)
            if not token:
                raise ValueError(
                    f"profile '{self.profile_name}': token_env names "
                    f"{self.profile.token_env}, which is not set"
                )
            # appending ";token=" to the URL would break URLs that already carry params
            env[TOKEN_VAR] = token
        return env

    def doctor_checks(self) -> Checks:
        url = self.profile.url
        host_port = url.removeprefix("sc://").split("/")[0].split(";")[0]
        yield (
            f"endpoint {host_port} reachable",
            reachable(host_port, 15002),
            host_port,
            "start the Spark Connect server, or fix `url` in the profile",
        )

    def launch(self, context: Any, request: LaunchRequest) -> LaunchOutcome:
        # no spark-submit to carry --conf: the job sets them on its Connect session
        outcome = super().launch(context, request.conf_set_by_job())
        # what only the server knows; the job asked it and reported it through Pipes
        job_meta = reported_metadata(outcome.results)
        if session_id := job_meta.get("spark_connect_session_id"):
            outcome.facts.run_ids["connect_session_id"] = str(session_id)
        if version := job_meta.get("spark_version"):
            outcome.facts.extra["spark_version"] = str(version)
        return outcome

    def facts_extra(self) -> dict[str, Any]:
        return {"url": self.profile.url}  # without the token
