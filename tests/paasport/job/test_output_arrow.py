"""The atomic output swap without a JVM (the Spark Connect route), driven by a stand-in for
Spark's writer so each failure point can be hit: no Spark needed, so every case runs fast."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from paasport.job import output
from paasport.job.output import OutputError, _arrow_target, _replace_with_arrow_fs


def local(uri: str) -> Path:
    return Path(uri.removeprefix("file://"))


class FakeFrame:
    """What `_replace_with_arrow_fs` uses of a DataFrame: write.mode().parquet(), and the rows
    the write counted (`get` of its observation). `fail_after` raises once one file is written."""

    def __init__(self, rows: int, fail_after: bool = False) -> None:
        self.table = pa.table({"k": list(range(rows))})
        self.fail_after = fail_after
        self.write = self
        self.written: list[str] = []
        self.get: dict[str, int] = {}

    def mode(self, mode: str) -> FakeFrame:
        assert mode == "error"  # Spark must refuse to write into an existing folder
        return self

    def parquet(self, uri: str) -> FakeFrame:
        assert not self.written  # one write, no read-back
        path = local(uri)
        path.mkdir(parents=True)  # raises if it exists, like mode("error")
        pq.write_table(self.table, path / "part-0.parquet")
        self.written.append(uri)
        if self.fail_after:
            raise RuntimeError("executor lost halfway through the write")
        self.get["rows"] = self.table.num_rows  # what Spark's observation reports once written
        return self


@pytest.fixture(autouse=True)
def _observed_by_the_fake(monkeypatch: pytest.MonkeyPatch) -> None:
    # the frame is its own observation: F.count needs a SparkContext this test does not start
    monkeypatch.setattr(output, "_counted", lambda df, token: (df, df))


class FailingMove:
    """A filesystem whose move fails when its source contains `fail_on`."""

    def __init__(self, inner: Any, fail_on: str) -> None:
        self.inner = inner
        self.fail_on = fail_on

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def move(self, src: str, dst: str) -> None:
        if self.fail_on in src:
            raise OSError(f"injected: cannot move {src}")
        self.inner.move(src, dst)


def old_output(tmp_path: Path) -> Path:
    target = tmp_path / "out"
    target.mkdir()
    pq.write_table(pa.table({"k": [1, 2, 3]}), target / "old.parquet")
    return target


def contents(tmp_path: Path) -> list[str]:
    return sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*"))


def test_replaces_the_old_output_and_leaves_nothing_else(tmp_path: Path) -> None:
    target = old_output(tmp_path)
    frame = FakeFrame(5)
    assert _replace_with_arrow_fs(frame, target.as_uri(), "run1") == 5  # type: ignore[arg-type]
    assert contents(tmp_path) == ["out", "out/part-0.parquet"]
    # Spark wrote a hidden sibling of the target, named after the run
    assert local(frame.written[0]).name.startswith("_staging-out-run1-")
    assert local(frame.written[0]).parent == tmp_path


def test_first_write_to_a_new_folder_with_a_plain_relative_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert _replace_with_arrow_fs(FakeFrame(2), "new/out", "run1") == 2  # type: ignore[arg-type]
    # the server got an absolute path: its working directory is not the client's
    assert contents(tmp_path) == ["new", "new/out", "new/out/part-0.parquet"]


def test_a_failed_write_keeps_the_old_output(tmp_path: Path) -> None:
    target = old_output(tmp_path)
    before = contents(tmp_path)
    with pytest.raises(RuntimeError, match="executor lost"):
        _replace_with_arrow_fs(FakeFrame(5, fail_after=True), str(target), "run1")  # type: ignore[arg-type]
    assert contents(tmp_path) == before  # no staging folder left either
    assert pq.read_table(target).num_rows == 3


@pytest.mark.parametrize("fail_on", ["_staging-", "/out"])
def test_a_failed_rename_keeps_the_old_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fail_on: str
) -> None:
    """The new output cannot be moved in (the old one is put back), or the old one cannot be
    moved aside (nothing changed): either way the old data stays and nothing is left over."""
    target = old_output(tmp_path)
    before = contents(tmp_path)
    real = _arrow_target

    def failing(uri: str) -> tuple[Any, str, str]:
        fs, path, spark_uri = real(uri)
        return FailingMove(fs, fail_on if fail_on != "/out" else str(target)), path, spark_uri

    monkeypatch.setattr(output, "_arrow_target", failing)
    with pytest.raises(OutputError, match=r"could not move .*out"):
        _replace_with_arrow_fs(FakeFrame(5), str(target), "run1")  # type: ignore[arg-type]
    assert contents(tmp_path) == before
    assert pq.read_table(target).num_rows == 3


@pytest.mark.parametrize(
    ("uri", "why"),
    [
        ("s3://bucket/out?region=us-east-1", "S3FileSystem cannot rename a directory"),
        ("gs://bucket/out", "GcsFileSystem cannot rename a directory"),
        ("s3a://bucket/out", "no pyarrow filesystem for it"),
        ("dbfs:/mnt/out", "no pyarrow filesystem for it"),
    ],
)
def test_filesystems_without_directory_rename_are_refused_before_any_write(
    uri: str, why: str
) -> None:
    frame = FakeFrame(5)
    with pytest.raises(OutputError, match=why) as err:
        _replace_with_arrow_fs(frame, uri, "run1")  # type: ignore[arg-type]
    assert str(err.value).startswith(uri)  # the message names the output
    assert frame.written == []


def test_local_uris_are_taken_literally(tmp_path: Path) -> None:
    spaced = tmp_path / "a b" / "crawl=1"
    for uri in (str(spaced), f"file://{spaced}", f"file:{spaced}"):
        _, path, spark_uri = _arrow_target(uri)
        assert path == str(spaced)
        assert local(spark_uri) == spaced
