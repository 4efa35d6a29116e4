"""Where the webgraph pipeline reads and writes: the Common Crawl layout and our outputs.

Input:  <input>/<crawl-id>/warc/*.warc.gz and/or <input>/<crawl-id>/wat/*.warc.wat.gz
Seeds:  <seeds>/<stem>.csv with header firm_id,name,url
Output: <output>/<asset>/crawl=<id>/seeds=<stem>/ (Parquet)
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

Mode = Literal["wat", "warc"]
MODES: tuple[Mode, ...] = ("wat", "warc")
PATTERNS: dict[str, str] = {"wat": "wat/*.warc.wat.gz", "warc": "warc/*.warc.gz"}
ASSETS = ("nodes", "edges", "graph", "graph_aggr")


class LayoutError(ValueError):
    pass


def local_path(uri: str) -> Path:
    """`file:///x` or `/x` -> Path; other schemes are not readable by this example yet."""
    if uri.startswith("file://"):
        return Path(uri[len("file://") :])
    if "://" in uri:
        raise LayoutError(f"{uri}: only local paths and file:// URIs are supported")
    return Path(uri)


def check_mode(mode: str) -> Mode:
    if mode not in MODES:
        raise LayoutError(f"mode must be one of {', '.join(MODES)}, got '{mode}'")
    return mode  # narrowed by the membership test above


def crawl_ids(input_dir: str | Path) -> list[str]:
    root = local_path(str(input_dir))
    if not root.is_dir():
        return []
    return sorted(
        p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))
    )


def seed_stems(seeds: str | Path) -> list[str]:
    """A seeds directory holds several lists; a single CSV file is one list."""
    path = local_path(str(seeds))
    if path.is_file():
        return [path.stem]
    if not path.is_dir():
        return []
    return sorted(p.stem for p in path.glob("*.csv"))


def seeds_csv(seeds: str | Path, stem: str) -> Path:
    path = local_path(str(seeds))
    csv = path if path.is_file() else path / f"{stem}.csv"
    if not csv.is_file() or csv.stem != stem:
        raise LayoutError(f"seed list '{stem}': {csv} does not exist")
    return csv


def input_files(input_dir: str | Path, crawl: str, mode: Mode, sample: bool = False) -> list[Path]:
    folder = local_path(str(input_dir)) / crawl
    files = sorted(folder.glob(PATTERNS[mode]))
    if not files:
        raise LayoutError(
            f"no {mode.upper()} files for crawl '{crawl}' in {folder}/{PATTERNS[mode]}"
        )
    return files[:1] if sample else files


def file_uri(path: Path) -> str:
    """`file://` + absolute path, unquoted: Hadoop's Path quotes it itself, and `=` in
    partition folder names must stay `=` (Path.as_uri would write `%3D`)."""
    return f"file://{path.resolve()}"


def output_uri(output_dir: str | Path, asset: str, crawl: str, stem: str) -> str:
    root = local_path(str(output_dir))
    return file_uri(root / asset / f"crawl={crawl}" / f"seeds={stem}")
