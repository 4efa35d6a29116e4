"""What a tiny asset costs through paasport against a bare spark-submit of the same work.

    python bench/launch.py [--pairs 3] [--json]

Each round runs, in alternating order, the same tiny work (1,000 rows written as Parquet) three
ways, each a fresh process as a user would start it:

- ``bare``: ``spark-submit bench/jobs/tiny_bare.py`` (no Dagster);
- ``pipes``: ``dagster asset materialize`` of a plain Dagster asset that runs the same work
  through Dagster's own PipesSubprocessClient (no paasport, Dagster's default executor);
- ``paasport``: ``dagster asset materialize`` of a ``spark_asset`` on the local platform, in
  definitions with paasport's ``single_step_in_process_executor``;
- ``bare+archive``: ``bare`` with the class archive paasport's local platform maps into its
  driver JVM (``class_archive = true``), to show paasport's own overhead against an equally
  started JVM.

It prints each wall time, the median ratio of paasport and pipes to bare, and, for the paasport
runs, where the time went (medians), from the Dagster event log's timestamps and the job's own
timings (``spark_session_start_s``, ``spark_metrics_s``, ``job_time_s``). One warm-up round
runs first and is not counted (the first JVM start reads the jars from disk).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import dagster as dg
from dagster._core.events import DagsterEventType
from dagster._core.instance.ref import InstanceRef

from paasport.platforms.selfhosted.class_archive import fast_start_opts
from paasport.platforms.selfhosted.spark_submit import LOG4J_CONFIG, build_env, spark_home

JOBS = Path(__file__).resolve().parent / "jobs"
#: the local platform's defaults, given to every variant so all three run the same Spark
LOG4J = f"-Dlog4j2.configurationFile=file:{LOG4J_CONFIG}"
SUBMIT_ARGS = ["--master", "local[*]", "--driver-memory", "2g", "--driver-java-options", LOG4J]

DEFINITIONS = """
import dagster as dg
from dagster._core.events import DagsterEventType
from dagster._core.instance.ref import InstanceRef
from paasport.dagster import PaasportResource, spark_asset
from paasport.dagster.executor import single_step_in_process_executor

tiny = spark_asset(name="tiny", job={job!r}, params={{"output": {out!r} + "/paasport"}},
                   diagnostics=True)


@dg.asset
def tiny_pipes(context: dg.AssetExecutionContext, pipes: dg.PipesSubprocessClient):
    command = [{submit!r}, *{args!r}, {script!r}, {out!r} + "/pipes"]
    return pipes.run(command=command, context=context, env={env!r}).get_materialize_result()


defs = dg.Definitions(
    assets=[tiny, tiny_pipes],
    resources={{"paasport": PaasportResource(config_path={toml!r}),
                "pipes": dg.PipesSubprocessClient()}},
    executor={executor},
)
"""


def project(root: Path, env: dict[str, str]) -> None:
    """A project with both assets, its paasport.toml and a Dagster home: definitions_paasport.py
    runs its one-step runs in process (paasport's executor), definitions_pipes.py has Dagster's
    default executor (a process per step), as a plain Dagster project would."""
    toml = root / "paasport.toml"
    toml.write_text('platform = "local"\n')
    home = root / ".dagster"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    for name, executor in (("paasport", "single_step_in_process_executor"), ("pipes", "None")):
        (root / f"definitions_{name}.py").write_text(DEFINITIONS.format(
            job=str(JOBS / "tiny_job.py"), out=str(root / "out"), toml=str(toml),
            submit=str(spark_home() / "bin" / "spark-submit"), args=SUBMIT_ARGS,
            script=str(JOBS / "tiny_pipes.py"), env=env, executor=executor,
        ))  # fmt: skip


def timed(cmd: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float]:
    """Run `cmd` to the end; its start (epoch seconds) and wall time. Fails loudly."""
    start, clock = time.time(), time.perf_counter()
    done = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True)
    wall = time.perf_counter() - clock
    if done.returncode != 0:
        sys.exit(f"{' '.join(cmd[:4])} ... failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return start, wall


MARKS = (DagsterEventType.RUN_START, DagsterEventType.STEP_START, DagsterEventType.STEP_SUCCESS)


def phases(instance: dg.DagsterInstance, started: float, wall: float) -> dict[str, float]:
    """Where the latest run's time went, from its event timestamps and the job's timings."""
    run = instance.get_runs(limit=1)[0]
    marks: dict[str, float] = {}
    meta: dict[str, Any] = {}
    for entry in instance.all_logs(run.run_id):
        event = entry.dagster_event
        kind = event.event_type if event else None
        message = entry.user_message or ""
        if kind in MARKS:
            marks.setdefault(kind.name, entry.timestamp)
        elif event is None and message.startswith("launching "):
            marks.setdefault("launch", entry.timestamp)
        elif event is None and "opened dagster pipes" in message:
            marks.setdefault("pipes", entry.timestamp)
        elif event is not None and kind == DagsterEventType.ASSET_MATERIALIZATION:
            materialization = event.event_specific_data.materialization  # type: ignore[union-attr]
            meta = {k: getattr(v, "value", v) for k, v in materialization.metadata.items()}
    job_end = marks["pipes"] + float(meta["job_time_s"])
    session = float(meta["spark_session_start_s"])
    metrics = float(meta.get("spark_metrics_s", 0.0))
    return {
        "dagster start, definitions, run creation": marks["RUN_START"] - started,
        "run start to step start (executor)": marks["STEP_START"] - marks["RUN_START"],
        "step start to launch (resource, config, history)": marks["launch"] - marks["STEP_START"],
        "spark-submit to Pipes open (JVM, driver Python)": marks["pipes"] - marks["launch"],
        "SparkSession start": session,
        "the job's work": float(meta["job_time_s"]) - session - metrics,
        "Spark metrics collection": metrics,
        "job end to step success (stop, checks, costs)": marks["STEP_SUCCESS"] - job_end,
        "step success to process exit": started + wall - marks["STEP_SUCCESS"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=3, help="counted rounds (default 3)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    env = build_env({k: v for k, v in os.environ.items() if k.startswith("JAVA")})
    with tempfile.TemporaryDirectory(prefix="paasport-launch-") as tmp:
        root = Path(tmp)
        project(root, env)
        run_env = {**os.environ, **env, "DAGSTER_HOME": str(root / ".dagster")}
        dagster = str(Path(sys.executable).with_name("dagster"))
        commands = {
            "bare": [str(spark_home() / "bin" / "spark-submit"), *SUBMIT_ARGS,
                     str(JOBS / "tiny_bare.py"), str(root / "out" / "bare")],
            "pipes": [dagster, "asset", "materialize", "-f", str(root / "definitions_pipes.py"),
                      "--select", "tiny_pipes"],
            "paasport": [dagster, "asset", "materialize", "-f",
                         str(root / "definitions_paasport.py"), "--select", "tiny"],
            "bare+archive": [str(spark_home() / "bin" / "spark-submit"), *SUBMIT_ARGS,
                             str(JOBS / "tiny_bare.py"), str(root / "out" / "bare-archive")],
        }  # fmt: skip
        archive = fast_start_opts(os.environ.get("SPARK_SUBMIT_OPTS", ""))
        envs = {name: run_env for name in commands}
        envs["bare+archive"] = {**run_env, "SPARK_SUBMIT_OPTS": archive}
        instance = dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(root / ".dagster")))
        walls: dict[str, list[float]] = {name: [] for name in commands}
        breakdowns: list[dict[str, float]] = []
        for round_no in range(args.pairs + 1):
            order = list(commands) if round_no % 2 else list(reversed(commands))
            for name in order:
                started, wall = timed(commands[name], envs[name], root)
                if round_no == 0:
                    continue  # the warm-up round
                walls[name].append(wall)
                if name == "paasport":
                    breakdowns.append(phases(instance, started, wall))
                if not args.json:
                    print(f"round {round_no} {name}: {wall:.2f} s", flush=True)
    bare = statistics.median(walls["bare"])
    result = {
        "pairs": args.pairs,
        "wall_s": {k: [round(w, 3) for w in v] for k, v in walls.items()},
        "median_s": {k: round(statistics.median(v), 3) for k, v in walls.items()},
        "paasport_over_bare": round(statistics.median(walls["paasport"]) / bare, 3),
        "pipes_over_bare": round(statistics.median(walls["pipes"]) / bare, 3),
        "paasport_over_bare_archive": round(
            statistics.median(walls["paasport"]) / statistics.median(walls["bare+archive"]), 3
        ),
        "paasport_breakdown_s": {
            k: round(statistics.median(b[k] for b in breakdowns), 3) for k in breakdowns[0]
        },
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    median = result["median_s"]
    print(f"median wall: bare {median['bare']:.2f} s, pipes {median['pipes']:.2f} s "
          f"({result['pipes_over_bare']:.2f}x), paasport {median['paasport']:.2f} s "
          f"({result['paasport_over_bare']:.2f}x); bare+archive {median['bare+archive']:.2f} s, "
          f"paasport over it {result['paasport_over_bare_archive']:.2f}x")  # fmt: skip
    print("paasport, where the time went (median s):")
    for phase, seconds in result["paasport_breakdown_s"].items():
        print(f"  {seconds:6.2f}  {phase}")


if __name__ == "__main__":
    main()
