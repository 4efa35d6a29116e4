"""The emulator process: moto's control plane plus drivers that really run the jobs.

    python -m paasport.testing.aws.server --port P --workdir DIR

It reads its S3 endpoint and credentials from the environment (AWS_ENDPOINT_URL_S3 ...), which
its starter made of the emulator's values only, writes every request it gets to
DIR/requests.jsonl, writes `ready` into DIR when it serves, and runs until SIGTERM, then kills
every job it started.
"""

from __future__ import annotations

import argparse
import importlib
import os
import threading
from pathlib import Path

from paasport.testing.processes import tick_until_signalled

REGIONS = ("us-east-1", "eu-west-1", "us-west-2")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workdir", type=Path, required=True)
    parser.add_argument("--slots", type=int, default=3, help="jobs that run at once")
    args = parser.parse_args()

    import boto3
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from moto.server import ThreadedMotoServer
    from werkzeug.serving import make_server

    from paasport.testing.aws import moto_patches
    from paasport.testing.aws.call_faults import ControlPlaneFaults
    from paasport.testing.aws.job_services import DRIVERS
    from paasport.testing.aws.services import ACCOUNT, Driver, Node
    from paasport.testing.faults import FaultBook
    from paasport.testing.isolation import RecordingWsgi, RequestLog

    requests = RequestLog(args.workdir / "requests.jsonl", "AWS emulator (moto)")

    class RecordingMotoServer(ThreadedMotoServer):
        def _server_entry(self) -> None:
            moto_app = DomainDispatcherApplication(create_backend_app)
            app = RecordingWsgi(ControlPlaneFaults(moto_app, faults), requests)
            self._server = make_server(
                self._ip_address, self._port, app, True, request_handler=MotoRequestHandler
            )
            self._server_ready_event.set()
            self._server.serve_forever()

    faults = FaultBook(args.workdir / "faults.json", args.workdir / "events.jsonl")
    moto_patches.apply_all(faults)
    server = RecordingMotoServer(ip_address="127.0.0.1", port=args.port, verbose=False)
    server.start()

    base_env = {k: v for k, v in os.environ.items() if k != "AWS_ENDPOINT_URL"}
    # the emulator's credentials and S3 endpoint, explicitly (the environment holds only those)
    s3 = boto3.session.Session(
        aws_access_key_id=os.environ["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=os.environ["AWS_SECRET_ACCESS_KEY"],
        region_name=os.environ["AWS_DEFAULT_REGION"],
    ).client("s3", endpoint_url=os.environ["AWS_ENDPOINT_URL_S3"])
    node = Node(
        s3=s3,
        workdir=args.workdir,
        faults=faults,
        base_env=base_env,
        slots=threading.Semaphore(args.slots),
        events=args.workdir / "events.jsonl",
    )
    drivers: list[Driver] = []
    for region in REGIONS:
        for kind in DRIVERS.values():
            module, _, name = kind.backends.partition(":")
            backends = getattr(importlib.import_module(module), name)
            drivers.append(kind(node, backends[ACCOUNT][region]))  # type: ignore[call-arg]

    def tick() -> None:
        for driver in drivers:
            try:
                driver.tick()
            except Exception as exc:  # one bad record must not stop the emulator
                node.log_event(event="driver_error", service=driver.service, error=repr(exc))

    tick_until_signalled(args.workdir, tick)
    for driver in drivers:
        for key, t in list(driver.running()):
            driver.cancel(key, t, "emulator stopped")
    server.stop()


if __name__ == "__main__":
    main()
