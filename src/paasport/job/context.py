"""The job's side of a run: Pipes session, SparkSession, parameters, metadata, checks, metrics."""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from dagster_pipes import PipesContext, open_dagster_pipes
from pyspark.sql import DataFrame, SparkSession

from paasport.job.defaults import CONNECT_UI_VAR
from paasport.job.metrics import collect_metrics, warm_up_rest
from paasport.job.output import replace_parquet
from paasport.job.params import JobParams, parse_cli
from paasport.job.pipes_io import context_loader, message_writer, params_loader
from paasport.job.session import (
    app_id,
    build_session,
    connect_facts,
    connect_job_tag,
    effective_conf,
    is_connect,
)

_METADATA_TYPES = {bool: "bool", int: "int", float: "float", str: "text"}


def pipes_metadata(values: Mapping[str, Any]) -> dict[str, Any]:
    """Typed Pipes metadata: numbers stay numbers (chartable), structures become JSON."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        if value is None:
            out[key] = {"raw_value": None, "type": "null"}
        elif type(value) in _METADATA_TYPES:
            out[key] = {"raw_value": value, "type": _METADATA_TYPES[type(value)]}
        else:
            out[key] = {"raw_value": value, "type": "json"}
    return out


class JobContext:
    """What a job function receives."""

    def __init__(
        self, spark: SparkSession, params: JobParams, pipes: PipesContext | None = None
    ) -> None:
        self.spark = spark
        self.params = params
        self.pipes = pipes
        self.metadata: dict[str, Any] = {}
        self.checks: list[dict[str, Any]] = []
        self.log: logging.Logger = pipes.log if pipes else logging.getLogger("paasport.job")

    def add_metadata(self, values: Mapping[str, Any] | None = None, **kwargs: Any) -> None:
        self.metadata.update(values or {})
        self.metadata.update(kwargs)

    def report_check(
        self,
        name: str,
        passed: bool,
        *,
        severity: str = "WARN",
        metadata: Mapping[str, Any] | None = None,
    ) -> None:
        self.checks.append(
            {"name": name, "passed": passed, "severity": severity, "metadata": dict(metadata or {})}
        )

    def write_parquet(self, df: DataFrame, uri: str) -> int:
        """Replace the dataset at `uri` atomically; records its row count as output rows."""
        rows = replace_parquet(df, uri, run_token=self.params.run_id[:12])
        self.metadata["output_rows"] = int(self.metadata.get("output_rows", 0)) + rows
        self.metadata.setdefault("output_uri", uri)
        return rows


def _finish(ctx: JobContext, started: float) -> dict[str, Any]:
    collecting = time.monotonic()
    if is_connect(ctx.spark) and not os.environ.get(CONNECT_UI_VAR):
        # the driver's UI is on the server, out of the client's reach: no Spark numbers at all,
        # since zeros would read as measurements (0 output rows, 0 s of Spark time)
        meta: dict[str, Any] = {**connect_facts(ctx.spark)}
        meta["spark_metrics"] = "unavailable under Spark Connect"
    else:
        if is_connect(ctx.spark):  # a shared server: only this session's jobs
            app = app_id(ctx.spark)
            ui, tag = os.environ[CONNECT_UI_VAR], connect_job_tag(ctx.spark)
            meta = {**collect_metrics(ui, app, job_tag=tag).as_metadata(),
                    **connect_facts(ctx.spark)}  # fmt: skip
        else:
            sc = ctx.spark.sparkContext
            meta = collect_metrics(sc.uiWebUrl, sc.applicationId).as_metadata()
        meta["spark_metrics_s"] = round(time.monotonic() - collecting, 3)
        meta.setdefault("input_bytes", meta["spark_input_bytes"])
        meta.setdefault("output_rows", meta["spark_output_records"])
    meta["job_time_s"] = round(time.monotonic() - started, 3)
    meta["platform"] = ctx.params.platform
    # the settings Spark really ran with (secrets redacted), to compare runs and tune from
    try:
        meta["spark_conf"] = effective_conf(ctx.spark, ctx.params.spark_conf)
    except Exception as exc:  # a record of the settings must never fail the run
        where = " under Spark Connect" if is_connect(ctx.spark) else ""
        meta["spark_conf"] = f"unavailable{where}: {type(exc).__name__}: {str(exc)[:200]}"
    meta.update(ctx.metadata)  # what the job said wins over what Spark measured
    if "output_rows" in meta:
        meta["dagster/row_count"] = int(meta["output_rows"])
    return meta


def run_job(
    main: Callable[[JobContext], None],
    argv: Sequence[str] | None = None,
    app_name: str | None = None,
) -> None:
    """Run `main` under Dagster Pipes when launched by paasport, else as a plain script."""
    loader = params_loader()
    if loader is not None:
        with open_dagster_pipes(
            params_loader=loader,
            context_loader=context_loader(loader),
            message_writer=message_writer(loader),
        ) as pipes:
            params = JobParams.from_extras(pipes.extras)
            _run(main, params, pipes, app_name)
    else:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
        params = parse_cli(argv if argv is not None else sys.argv[1:])
        _run(main, params, None, app_name)


def _run(
    main: Callable[[JobContext], None],
    params: JobParams,
    pipes: PipesContext | None,
    app_name: str | None,
) -> None:
    started = time.monotonic()
    name = app_name or f"paasport-{params.asset or 'job'}"
    if params.partition_key:
        name = f"{name}[{params.partition_key}]"
    spark = build_session(params.platform, name, params.spark_conf)
    session_start_s = time.monotonic() - started
    if not is_connect(spark):
        # the driver's REST API starts on its first request (~2 s): start it now, in the
        # background, so the metrics read at the end do not wait for it
        warm_up_rest(spark.sparkContext.uiWebUrl, spark.sparkContext.applicationId)
    ctx = JobContext(spark, params, pipes)
    ctx.log.info(f"Spark application {app_id(spark)} started")
    try:
        main(ctx)
        meta = _finish(ctx, started)
        # what of job_time_s was start-up (spark_driver_time tells it from driver work)
        meta["spark_session_start_s"] = round(session_start_s, 3)
        if pipes is not None:
            for check in ctx.checks:
                pipes.report_asset_check(
                    check_name=check["name"],
                    passed=check["passed"],
                    severity=check["severity"],
                    metadata=pipes_metadata(check["metadata"]),
                )
            pipes.report_asset_materialization(metadata=pipes_metadata(meta))
        else:
            _print_summary(meta, ctx.checks)
    finally:
        spark.stop()


def _print_summary(meta: Mapping[str, Any], checks: Sequence[Mapping[str, Any]]) -> None:
    for key, value in meta.items():
        if key != "spark_stage_metrics":
            print(f"{key}: {value}")
    for check in checks:
        print(f"check {check['name']}: {'passed' if check['passed'] else 'FAILED'}")
