"""A JVM class-data archive (dynamic CDS) of Spark's classes, for the driver JVMs that
paasport starts with spark-submit on this machine (and for the test suite's launches).

Most of a short spark-submit's start is the driver JVM loading and verifying Spark's classes.
An archive of the classes a small job loads, dumped once, lets every later JVM map them
instead: a tiny job here went from about 21 s to 13 s of CPU (11.8 s to 6.8 s with the test
suite's C1-only JIT). The archive belongs to one JDK, one pyspark and one set of JVM options,
so its name hashes them; it lives in the virtualenv (`sys.prefix/paasport-cds`). A launch whose
classpath differs from the archive's (extra jars) runs without it, as it would have anyway.
It changes nothing Spark computes: the same classes, mapped instead of parsed.
"""

from __future__ import annotations

import fcntl
import functools
import hashlib
import importlib.util
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from paasport.java import java_env

#: the classes a typical test job loads: a session, a shuffle, a parquet write and read
_WARM_JOB = """
import sys
from pyspark.sql import SparkSession, functions as F
spark = SparkSession.builder.master("local[2]").getOrCreate()
out = sys.argv[1] + "/out"
spark.range(700).groupBy((F.col("id") % 7).alias("k")).count().write.parquet(out)
assert spark.read.parquet(out).count() == 7
spark.stop()
"""
#: an archive that does not fit a launch's classpath is skipped: no warning for that
QUIET = "-Xlog:cds=off -Xlog:cds+dynamic=off"


@functools.cache
def spark_home() -> Path:
    """The pip pyspark package's folder: found, not imported (importing pyspark costs the
    orchestrator about half a second, and it never uses it)."""
    spec = importlib.util.find_spec("pyspark")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("pyspark is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


@functools.cache  # the JVM and the jars do not change under a running process
def archive_path(jvm_opts: str) -> Path:
    java = Path(java_env()["JAVA_HOME"]).resolve() / "bin" / "java"
    home = spark_home()
    jars = sorted(p.name for p in (home / "jars").glob("*.jar"))
    key = "\n".join([str(java), str(java.stat().st_mtime_ns), str(home), *jars, jvm_opts])
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    return Path(sys.prefix) / "paasport-cds" / f"spark-{digest}.jsa"


def ensure_class_archive(jvm_opts: str) -> Path | None:
    """The archive for these JVM options, dumped by a small Spark job if missing (~30 s once).

    None when it cannot be made; launches then simply start without it."""
    path = archive_path(jvm_opts)
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    with (path.parent / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another process may be dumping the same archive
        if path.exists():
            return path
        print(f"dumping a JVM class archive for short Spark launches to {path} (once)",
              file=sys.stderr)  # fmt: skip
        tmp = path.with_name(f".{path.name}.{os.getpid()}")
        with tempfile.TemporaryDirectory(prefix="paasport-cds-") as work:
            script = Path(work) / "warm.py"
            script.write_text(_WARM_JOB)
            dump = {"SPARK_SUBMIT_OPTS": f"{jvm_opts} -XX:ArchiveClassesAtExit={tmp}"}
            env = {**os.environ, **java_env(), "SPARK_HOME": str(spark_home()),
                   "PYSPARK_PYTHON": sys.executable, "PYSPARK_DRIVER_PYTHON": sys.executable,
                   "SPARK_LOCAL_IP": "127.0.0.1", **dump}  # fmt: skip
            cmd = [str(spark_home() / "bin" / "spark-submit"), str(script), work]
            done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
        if done.returncode != 0 or not tmp.exists():
            tmp.unlink(missing_ok=True)
            print(f"no class archive (exit {done.returncode}): {done.stderr[-1500:]}",
                  file=sys.stderr)  # fmt: skip
            return None
        tmp.replace(path)  # whole or absent: a half-written archive is never used
    return path


def fast_start_opts(jvm_opts: str) -> str:
    """`jvm_opts` plus the class archive, when one can be had."""
    archive = ensure_class_archive(jvm_opts)
    return f"{jvm_opts} -XX:SharedArchiveFile={archive} {QUIET}".strip() if archive else jvm_opts


def submit_opts_with_archive(current: str | None) -> str:
    """SPARK_SUBMIT_OPTS for a spark-submit whose driver runs here: `current` (the user's, or
    the environment's) plus the archive for them. Left as it is when it names an archive of its
    own: what the user set is what runs. SPARK_SUBMIT_OPTS reaches the driver JVM in client
    and local mode without showing in the run's Spark settings (--driver-java-options would)."""
    opts = (current or "").strip()
    if "-XX:SharedArchiveFile" in opts or "-Xshare:off" in opts:
        return opts
    return fast_start_opts(opts)


if __name__ == "__main__":  # `make setup`: dump it once, before any pipeline's clock starts
    made = ensure_class_archive(os.environ.get("SPARK_SUBMIT_OPTS", "").strip())
    print(f"JVM class archive for short Spark launches: {made or 'none (launches start without)'}")
