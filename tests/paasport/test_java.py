from __future__ import annotations

from pathlib import Path

import pytest

from paasport import java


def test_finds_a_supported_java_on_this_machine() -> None:
    found = java.find_java()
    assert found.major in java.SUPPORTED_MAJORS
    assert (found.home / "bin" / "java").exists()
    assert java.java_env()["JAVA_HOME"] == str(found.home)


def test_skips_an_unusable_java_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("JAVA_HOME", str(tmp_path))
    assert java.find_java().source != "JAVA_HOME"


def test_no_java_gives_an_actionable_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(java, "_candidates", lambda: [(tmp_path, "JAVA_HOME")])
    with pytest.raises(java.JavaNotFoundError, match=r"Java 17 or 21 .*no java.*make setup"):
        java.find_java()
