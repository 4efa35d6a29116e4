"""The emulator process: the Dataproc REST API plus an agent that really runs the jobs.

    python -m paasport.testing.gcp.server --port P --workdir DIR --bucket B --project X

It reaches GCS through STORAGE_EMULATOR_HOST, logs every request to DIR/requests.jsonl, creates
one running cluster (`--cluster`) that profiles can name, writes `ready` into DIR when it
serves, and runs until SIGTERM, then kills every job it started.
"""

from __future__ import annotations

import argparse
import json
import os
import threading
from pathlib import Path

from paasport.testing.processes import tick_until_signalled


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workdir", type=Path, required=True)
    parser.add_argument("--project", required=True)
    parser.add_argument("--region", required=True)
    parser.add_argument("--bucket", required=True)
    parser.add_argument("--cluster", required=True, help="a cluster that exists from the start")
    parser.add_argument("--slots", type=int, default=3, help="jobs that run at once")
    args = parser.parse_args()

    from google.auth.credentials import AnonymousCredentials
    from google.cloud import dataproc_v1 as dp
    from google.cloud import storage

    from paasport.testing.faults import FaultBook
    from paasport.testing.gcp.dataproc_api import Backend, serve
    from paasport.testing.gcp.storage import gcs_fetcher
    from paasport.testing.isolation import RequestLog

    # the emulator's GCS, anonymously and explicitly (its environment holds nothing else)
    gcs = storage.Client(
        project=args.project,
        credentials=AnonymousCredentials(),
        client_options={"api_endpoint": os.environ["STORAGE_EMULATOR_HOST"]},
    )
    events = args.workdir / "events.jsonl"
    backend = Backend(
        workdir=args.workdir,
        faults=FaultBook(args.workdir / "faults.json", events),
        gcs=gcs,
        base_env=dict(os.environ),
        fetcher=gcs_fetcher(gcs),
        slots=threading.Semaphore(args.slots),
        default_bucket=args.bucket,
    )
    existing = dp.Cluster(
        cluster_name=args.cluster,
        config=dp.ClusterConfig(
            master_config=dp.InstanceGroupConfig(num_instances=1, machine_type_uri="n2-standard-4"),
            worker_config=dp.InstanceGroupConfig(num_instances=2, machine_type_uri="n2-standard-4"),
        ),
    )
    backend.create_cluster(args.project, args.region, json.loads(dp.Cluster.to_json(existing)), "")
    backend.clusters[(args.project, args.region, args.cluster)].created = 0.0
    backend.tick()  # CREATING -> RUNNING: it exists before anyone asks
    requests = RequestLog(args.workdir / "requests.jsonl", "GCP emulator (Dataproc)")
    server = serve(backend, args.port, requests)

    def tick() -> None:
        try:
            backend.tick()
        except Exception as exc:  # one bad record must not stop the emulator
            backend.log_event(event="agent_error", error=repr(exc))

    tick_until_signalled(args.workdir, tick)
    backend.stop_all()
    server.shutdown()


if __name__ == "__main__":
    main()
