"""Small additions to moto so the emulated services answer like the real ones.

Applied only inside the emulator process. Each patch names the gap it fills.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from moto.core.exceptions import JsonRESTError

from paasport.testing.faults import FaultBook


def patch_glue() -> None:
    from moto.glue.models import FakeJobRun
    from moto.glue.responses import GlueResponse
    from moto.moto_api import state_manager

    # job runs move only when the emulator moves them (moto would jump to SUCCEEDED)
    state_manager.set_transition(
        model_name="glue::job_run", transition={"progression": "manual", "times": 10**9}
    )
    as_dict = FakeJobRun.as_dict

    def as_dict_with_usage(self: Any) -> dict[str, Any]:
        # moto reports a fixed ExecutionTime and no DPUSeconds / ErrorMessage
        out: dict[str, Any] = as_dict(self)
        extra = getattr(self, "_paasport_extra", {"ExecutionTime": 0})
        out.update({k: v for k, v in extra.items() if v is not None})
        out["CompletedOn"] = self.completed_on
        return out

    FakeJobRun.as_dict = as_dict_with_usage  # type: ignore[method-assign]

    def batch_stop_job_run(self: Any) -> str:
        # missing from moto; the Dagster Glue client calls it on cancellation
        import json

        name = self._get_param("JobName")
        run_ids = self._get_param("JobRunIds") or []
        ok = []
        for run_id in run_ids:
            run = self.glue_backend.get_job_run(name, run_id)
            if run._status in ("STARTING", "RUNNING", "WAITING"):
                run._status = "STOPPING"
            ok.append({"JobName": name, "JobRunId": run_id})
        return json.dumps({"SuccessfulSubmissions": ok, "Errors": []})

    GlueResponse.batch_stop_job_run = batch_stop_job_run  # type: ignore[attr-defined]

    from moto.glue.exceptions import AlreadyExistsException
    from moto.glue.models import GlueBackend

    create_job = GlueBackend.create_job
    creating = threading.Lock()

    def create_job_once(self: Any, name: str, *args: Any, **kwargs: Any) -> None:
        # moto replaces an existing job (and loses its runs); Glue answers AlreadyExists, which
        # paasport handles when partitions create the same job at once
        with creating:
            if name in self.jobs:
                raise AlreadyExistsException("Job")
            create_job(self, name, *args, **kwargs)

    GlueBackend.create_job = create_job_once  # type: ignore[method-assign]


def patch_emr_instances() -> None:
    """Remember requested instances (moto ignores fleets) for NormalizedInstanceHours."""
    from moto.emr.responses import ElasticMapReduceResponse

    original = ElasticMapReduceResponse.run_job_flow
    lock = threading.Lock()

    def run_job_flow(self: Any) -> Any:
        instances = self._get_param("Instances") or {}
        counts: dict[str, int] = {}
        for fleet in instances.get("InstanceFleets", []) or []:
            configs = fleet.get("InstanceTypeConfigs", []) or [{}]
            units = int(fleet.get("TargetOnDemandCapacity", 0)) + int(
                fleet.get("TargetSpotCapacity", 0)
            )
            itype = configs[0].get("InstanceType", "m5.xlarge")
            counts[itype] = counts.get(itype, 0) + units
        for group in instances.get("InstanceGroups", []) or []:
            itype = group.get("InstanceType", "m5.xlarge")
            counts[itype] = counts.get(itype, 0) + int(group.get("InstanceCount", 1))
        with lock:
            before = set(self.backend.clusters)
            result = original(self)
            for cluster_id in set(self.backend.clusters) - before:
                cluster = self.backend.clusters[cluster_id]
                cluster._paasport_instances = counts
                # a new cluster is STARTING (moto would say WAITING and run the first step)
                cluster.state = "STARTING"
                cluster.ready_datetime = None
                for step in cluster.steps:
                    step.state = "PENDING"
                    step.start_date_time = None
        return result

    ElasticMapReduceResponse.run_job_flow = run_job_flow  # type: ignore[method-assign]


#: (API handler class path, action names) answered with ThrottlingException while faults say
#: so. The handlers, not the backends: moto's RunJobFlow calls the backend's describe_cluster
#: after it created the cluster, so a throttle there made boto3 retry a call that had already
#: started a cluster (two orphan clusters ran the job). AWS throttles before doing anything.
_THROTTLED = [
    ("moto.emr.responses:ElasticMapReduceResponse", ["describe_cluster", "list_steps"]),
    ("moto.emrserverless.responses:EMRServerlessResponse", ["get_job_run"]),
    ("moto.emrcontainers.responses:EMRContainersResponse", ["describe_job_run"]),
    ("moto.glue.responses:GlueResponse", ["get_job_run"]),
]


def patch_throttling(faults: FaultBook) -> None:
    import importlib

    for target, methods in _THROTTLED:
        module_name, _, class_name = target.partition(":")
        cls = getattr(importlib.import_module(module_name), class_name)
        for name in methods:
            setattr(cls, name, _throttled(getattr(cls, name), faults))


def _throttled(method: Callable[..., Any], faults: FaultBook) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if faults.take("throttles"):
            raise JsonRESTError("ThrottlingException", "Rate exceeded")
        return method(*args, **kwargs)

    return wrapper


def patch_initial_states() -> None:
    """New job runs start queued (moto answers SUCCESS / RUNNING straight away)."""
    from moto.emrcontainers.models import EMRContainersBackend
    from moto.emrserverless.models import EMRServerlessBackend

    for cls, state in ((EMRServerlessBackend, "SUBMITTED"), (EMRContainersBackend, "PENDING")):
        original = cls.start_job_run

        def start_job_run(
            self: Any, *args: Any, _o: Any = original, _s: str = state, **kw: Any
        ) -> Any:
            run = _o(self, *args, **kw)
            run.state = _s
            return run

        cls.start_job_run = start_job_run  # type: ignore[method-assign]


def patch_client_tokens(faults: FaultBook) -> None:
    """EMR Serverless's StartJobRun honours its clientToken, as AWS does (moto stores it and
    starts another run): the same token again gets the run it started. botocore fills the
    token in once per call and sends it again with every retry, so a submission carried out
    whose answer was lost (`lost_answers`: an HTTP 500 after the run exists) is retried safely.
    """
    from moto.emrserverless.models import EMRServerlessBackend
    from moto.emrserverless.responses import EMRServerlessResponse

    start = EMRServerlessBackend.start_job_run
    lock = threading.Lock()

    def start_once(self: Any, application_id: str, client_token: str, **kw: Any) -> Any:
        with lock:
            for run in self.job_runs.get(application_id, []):
                if client_token and run.client_token == client_token:
                    return run
            return start(self, application_id=application_id, client_token=client_token, **kw)

    EMRServerlessBackend.start_job_run = start_once  # type: ignore[assignment]
    answer = EMRServerlessResponse.start_job_run

    def start_job_run(self: Any) -> Any:
        result = answer(self)
        if faults.take("lost_answers"):
            error = JsonRESTError("InternalServerException", "Internal server error.")
            error.code = 500
            raise error
        return result

    EMRServerlessResponse.start_job_run = start_job_run  # type: ignore[method-assign]


def apply_all(faults: FaultBook) -> None:
    patch_initial_states()
    patch_client_tokens(faults)
    patch_glue()
    patch_emr_instances()
    patch_throttling(faults)
