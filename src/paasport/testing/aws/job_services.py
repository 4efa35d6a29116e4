"""Services that run one job per API call: EMR Serverless, EMR on EKS, Glue.

They share one life: queued -> running -> succeeded / failed, or cancelled through the API.
Each subclass says where moto keeps its records, how states are named, and how the submitted
job becomes spark-submit arguments.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any, ClassVar

from paasport.testing.aws.services import (
    Driver,
    EmrDriver,
    Node,
    Tracked,
    failure_text,
    now_dt,
    plain,
    submit_params,
    upload_logs,
)


class JobRunDriver(Driver):
    queued: ClassVar[str]
    running_state: ClassVar[str]
    succeeded: ClassVar[str]
    failed: ClassVar[str]
    #: states the API sets when a cancellation was asked for, and the state it ends in
    cancelling: ClassVar[set[str]]
    cancelled: ClassVar[str]

    def __init__(self, node: Node, backend: Any) -> None:
        super().__init__(node)
        self.backend = backend

    def records(self) -> Iterator[Any]:
        raise NotImplementedError

    def key(self, record: Any) -> str:
        raise NotImplementedError

    def get_state(self, record: Any) -> str:
        return str(record.state)

    def set_state(self, record: Any, state: str) -> None:
        record.state = state

    def submission(self, record: Any) -> tuple[list[str], dict[str, str]]:
        raise NotImplementedError

    def finish(self, record: Any, t: Tracked, ok: bool, message: str) -> None:
        """Write back timings, billed usage, the failure message and logs."""

    def tick(self) -> None:
        for record in list(self.records()):
            key = self.key(record)
            t = self.track(key)
            if t.done:
                continue
            state = self.get_state(record)
            if not hasattr(record, "_paasport_seen"):
                record._paasport_seen = True
                # a run cancelled before the first tick saw it stays cancelled (was requeued)
                if state not in self.cancelling and state != self.cancelled:
                    self.set_state(record, self.queued)
                    continue
            if state in self.cancelling or state == self.cancelled:
                self.cancel(key, t, "cancelled by request")
                self.set_state(record, self.cancelled)
                self.finish(record, t, False, "cancelled by request")
                continue
            if t.run is None:
                if time.time() - t.first_seen < self.node.start_delay():
                    continue
                args, env = self.submission(record)
                if self.launch(key, t, args, env):
                    self.set_state(record, self.running_state)
                    record._paasport_started = time.time()
                continue
            if not t.run.done:
                continue
            self.release(t)
            t.done = True
            ok = t.run.outcome.exit_code == 0 and not t.run.outcome.killed
            self.set_state(record, self.succeeded if ok else self.failed)
            self.finish(record, t, ok, "" if ok else failure_text(t.run))
            self.node.log_event(event="job_ended", service=self.service, key=key, ok=ok)


def _args_list(arguments: Any) -> list[str]:
    return [str(a) for a in (arguments or [])]


class EmrServerlessDriver(JobRunDriver):
    service = "emr_serverless"
    backends = "moto.emrserverless.models:emrserverless_backends"
    queued, running_state, succeeded, failed = "PENDING", "RUNNING", "SUCCESS", "FAILED"
    cancelling, cancelled = {"CANCELLING"}, "CANCELLED"

    @staticmethod
    def profile_fields(emulator: Any) -> dict[str, Any]:
        return {"application_id": emulator.application_id, "execution_role_arn": emulator.role_arn}

    def records(self) -> Iterator[Any]:
        for runs in list(self.backend.job_runs.values()):
            yield from runs

    def key(self, record: Any) -> str:
        return f"{record.application_id}:{record.id}"

    def submission(self, record: Any) -> tuple[list[str], dict[str, str]]:
        driver = plain(record.job_driver or {}).get("sparkSubmit", {})
        args, env = submit_params(driver.get("sparkSubmitParameters"))
        return ["spark-submit", *args, driver["entryPoint"], *_args_list(
            driver.get("entryPointArguments"))], env  # fmt: skip

    def finish(self, record: Any, t: Tracked, ok: bool, message: str) -> None:
        seconds = time.time() - getattr(record, "_paasport_started", time.time())
        seconds += self.node.faults.current().run_extra_s  # a long run in seconds of test time
        record.total_execution_duration_seconds = round(seconds)
        record.updated_at = now_dt()
        record.state_details = message
        # billed like the service: every worker's vCPU and memory for the run, 1-minute minimum
        hours = max(seconds, 60.0) / 3600
        workers = 2  # the driver and one executor, 4 vCPU / 16 GB each (the service defaults)
        record.billed_resource_utilization = {
            "vCPUHour": round(4 * workers * hours, 6),
            "memoryGBHour": round(16 * workers * hours, 6),
            "storageGBHour": round(20 * workers * hours, 6),
        }
        monitoring = plain(record.configuration_overrides or {}).get("monitoringConfiguration", {})
        log_uri = monitoring.get("s3MonitoringConfiguration", {}).get("logUri")
        if log_uri and t.run is not None:
            prefix = (
                f"{log_uri.rstrip('/')}/applications/{record.application_id}/jobs/{record.id}/"
                "SPARK_DRIVER/"
            )
            upload_logs(self.node.s3, prefix, t.run.outcome, ["stdout.gz", "stderr.gz"])


class EmrEksDriver(JobRunDriver):
    service = "emr_eks"
    backends = "moto.emrcontainers.models:emrcontainers_backends"
    queued, running_state, succeeded, failed = "SUBMITTED", "RUNNING", "COMPLETED", "FAILED"
    cancelling, cancelled = {"CANCEL_PENDING"}, "CANCELLED"

    @staticmethod
    def profile_fields(emulator: Any) -> dict[str, Any]:
        return {
            "virtual_cluster_id": emulator.virtual_cluster_id,
            "execution_role_arn": emulator.role_arn,
        }

    def records(self) -> Iterator[Any]:
        yield from list(self.backend.job_runs.values())

    def key(self, record: Any) -> str:
        return f"{record.virtual_cluster_id}:{record.id}"

    def submission(self, record: Any) -> tuple[list[str], dict[str, str]]:
        driver = plain(record.job_driver or {}).get("sparkSubmitJobDriver", {})
        args, env = submit_params(driver.get("sparkSubmitParameters"))
        overrides = plain(record.configuration_overrides or {})
        for conf in overrides.get("applicationConfiguration", []):
            if conf.get("classification") == "spark-env":
                for inner in conf.get("configurations", []):
                    if inner.get("classification") == "export":
                        env.update({k: str(v) for k, v in inner.get("properties", {}).items()})
            if conf.get("classification") == "spark-defaults":
                for key, value in conf.get("properties", {}).items():
                    args += ["--conf", f"{key}={value}"]
        return ["spark-submit", *args, driver["entryPoint"], *_args_list(
            driver.get("entryPointArguments"))], env  # fmt: skip

    def finish(self, record: Any, t: Tracked, ok: bool, message: str) -> None:
        record.finished_at = now_dt()
        if not ok:
            record.failure_reason = "USER_ERROR"
            record.state_details = message
        monitoring = plain(record.configuration_overrides or {}).get("monitoringConfiguration", {})
        log_uri = monitoring.get("s3MonitoringConfiguration", {}).get("logUri")
        if log_uri and t.run is not None:
            prefix = f"{log_uri.rstrip('/')}/{record.virtual_cluster_id}/jobs/{record.id}/driver/"
            upload_logs(self.node.s3, prefix, t.run.outcome, ["stdout.gz", "stderr.gz"])


#: DPUs per worker by Glue worker type
GLUE_DPU = {"G.025X": 0.25, "G.1X": 1.0, "G.2X": 2.0, "G.4X": 4.0, "G.8X": 8.0, "Standard": 1.0}


class GlueDriver(JobRunDriver):
    service = "glue"
    backends = "moto.glue.models:glue_backends"
    queued, running_state, succeeded, failed = "STARTING", "RUNNING", "SUCCEEDED", "FAILED"
    cancelling, cancelled = {"STOPPING"}, "STOPPED"

    @staticmethod
    def profile_fields(emulator: Any) -> dict[str, Any]:
        return {"role_arn": emulator.role_arn}

    def records(self) -> Iterator[Any]:
        for job in list(self.backend.jobs.values()):
            for run in list(job.job_runs):
                run._paasport_job = job
                yield run

    def key(self, record: Any) -> str:
        return f"{record.job_name}:{record.job_run_id}"

    def get_state(self, record: Any) -> str:
        return str(record._status)

    def set_state(self, record: Any, state: str) -> None:
        record._status = state
        record.modified_on = now_dt()

    def submission(self, record: Any) -> tuple[list[str], dict[str, str]]:
        job = record._paasport_job
        script = plain(job.command)["ScriptLocation"]
        args: list[str] = ["spark-submit"]
        script_args: list[str] = []
        for key, value in plain(record.arguments or {}).items():
            if key == "--extra-py-files":
                args += ["--py-files", value]
            elif key == "--conf":  # Glue joins several settings into one argument
                for setting in str(value).split(" --conf "):
                    args += ["--conf", setting]
            else:
                script_args += [key, value]
        return [*args, script, *script_args], {}

    def finish(self, record: Any, t: Tracked, ok: bool, message: str) -> None:
        started = getattr(record, "_paasport_started", None)
        seconds = time.time() - started if started else 0.0
        seconds += self.node.faults.current().run_extra_s  # a long run in seconds of test time
        record.completed_on = now_dt()
        workers = record.number_of_workers or 2
        dpu = GLUE_DPU.get(record.worker_type or "G.1X", 1.0)
        # Glue 2.0+ bills per second with a 1-minute minimum
        record._paasport_extra = {
            "ExecutionTime": round(seconds),
            "DPUSeconds": round(max(seconds, 60.0) * workers * dpu, 3),
            "ErrorMessage": message or None,
        }


#: every AWS service the emulator runs jobs for, one per paasport platform
DRIVERS: dict[str, type[Driver]] = {
    d.service: d for d in (EmrDriver, EmrServerlessDriver, EmrEksDriver, GlueDriver)
}
