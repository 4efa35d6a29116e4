"""The job side ships to clusters: it must import without Dagster, and run as a plain script."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

JOB = Path(__file__).parents[1] / "fixtures" / "count_job.py"


def test_job_side_imports_only_pipes_and_pyspark() -> None:
    code = (
        "import sys, paasport.job; "
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('dagster', 'pydantic', 'typer', 'rich', 'webgraph')); "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.spark
def test_job_runs_as_a_plain_script(tmp_path: Path) -> None:
    from paasport.java import java_env

    out = tmp_path / "counts"
    env = {**os.environ, **java_env(), "SPARK_LOCAL_IP": "127.0.0.1"}
    env.pop("DAGSTER_PIPES_CONTEXT", None)
    result = subprocess.run(
        [
            sys.executable,
            str(JOB),
            "--param",
            f"output={out}",
            "--param",
            "n=49",
            "--partition",
            "day=2026-01-01",
            "--conf",
            "spark.sql.shuffle.partitions=3",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "output_rows: 7" in result.stdout
    assert "spark_app_id: local-" in result.stdout
    assert "partition: 2026-01-01" in result.stdout
    assert "check has_rows: passed" in result.stdout
    assert sum(r["count"] for r in pq.read_table(out).to_pylist()) == 49
