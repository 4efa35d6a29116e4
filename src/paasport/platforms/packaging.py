"""Ship a job to a remote platform: the script and the project's wheel, content-addressed.

The wheel is built once per code version (a hash of the project's sources) and cached; each
artifact is uploaded under a key made of its own SHA-256, so concurrent runs of different
partitions share identical artifacts and never overwrite one another's.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

#: folders that are never part of the project's code
_SKIP_DIRS = {".venv", "venv", "data", "build", "dist", "node_modules", "__pycache__", "tests"}
_BUILD_LOCK = threading.Lock()


class PackagingError(RuntimeError):
    pass


@dataclass(frozen=True)
class Artifacts:
    script_uri: str
    wheel_uri: str | None
    code_version: str


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "paasport" / "wheels"


def _sources(root: Path) -> Iterator[Path]:
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS and not d.startswith("."))
        for name in sorted(files):
            if name.endswith((".py", ".toml", ".properties", ".cfg")):
                yield Path(folder) / name


def source_hash(root: Path) -> str:
    """The code version: a hash of every source file's path and bytes under `root`."""
    digest = hashlib.sha256()
    for path in _sources(root):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def build_wheel(root: Path) -> Path:
    """The project's wheel for its current sources, built once and cached."""
    version = source_hash(root)
    out = cache_dir() / version
    with _BUILD_LOCK:
        out.mkdir(parents=True, exist_ok=True)
        # other processes may build the same version at the same time
        with (out / ".lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            found = sorted(out.glob("*.whl"))
            if found:
                return found[0]
            tmp = out / f".build-{os.getpid()}"
            cmd = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                   "--quiet", "--disable-pip-version-check", "-w", str(tmp), str(root)]  # fmt: skip
            done = subprocess.run(cmd, capture_output=True, text=True)
            wheels = sorted(tmp.glob("*.whl"))
            if done.returncode != 0 or not wheels:
                raise PackagingError(
                    f"could not build the wheel of the project at {root} "
                    f"(is its build backend installed?):\n{done.stderr[-2000:]}"
                )
            final = out / wheels[0].name
            wheels[0].replace(final)
            return final


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class ArtifactStore(Protocol):
    """Where a platform's artifacts live (S3, DBFS, a volume, GCS): keys are relative paths."""

    def has(self, key: str) -> bool: ...

    def put(self, local: Path, key: str) -> None: ...

    def uri(self, key: str) -> str: ...


@dataclass(frozen=True)
class S3Store:
    s3: Any  # a boto3 S3 client
    bucket: str

    def has(self, key: str) -> bool:
        try:
            self.s3.head_object(Bucket=self.bucket, Key=key)
            return True
        except Exception as exc:
            if _status(exc) not in (404, 403):
                raise
            return False

    def put(self, local: Path, key: str) -> None:
        self.s3.upload_file(str(local), self.bucket, key)

    def uri(self, key: str) -> str:
        return f"s3://{self.bucket}/{key}"


def upload(store: ArtifactStore, local: Path, prefix: str) -> str:
    """Upload `local` under `<prefix>/artifacts/<sha256>/<name>` unless it is there already."""
    key = f"{prefix.strip('/')}/artifacts/{file_digest(local)[:24]}/{local.name}"
    if not store.has(key):
        store.put(local, key)
    return store.uri(key)


def _status(exc: Exception) -> int | None:
    response = getattr(exc, "response", None) or {}
    code = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return int(code) if code is not None else None


def package_job(
    store: ArtifactStore, script: Path, project_root: Path | None, prefix: str
) -> Artifacts:
    """Upload the job script and (when the project has a pyproject.toml) its wheel."""
    wheel_uri = None
    version = file_digest(script)[:16]
    if project_root is not None and (project_root / "pyproject.toml").is_file():
        wheel = build_wheel(project_root)
        wheel_uri = upload(store, wheel, prefix)
        version = wheel.parent.name
    return Artifacts(
        script_uri=upload(store, script, prefix), wheel_uri=wheel_uri, code_version=version
    )
