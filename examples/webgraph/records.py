"""Robust iteration over WARC/WAT records: corrupt input is counted and skipped, never raised.

FastWARC stops at the first gzip member it cannot decompress and at the first WARC header it
cannot parse; :func:`iter_records` then finds the next gzip member and restarts there:

* a record whose block digest does not match (or, without a digest, whose body is shorter than
  its ``Content-Length``) is skipped and counted in ``skipped_records``;
* a gzip member that cannot be decompressed is skipped and counted once in ``corrupt_members``;
* a truncated record that swallowed the start of the next member is skipped (its digest fails)
  and the next member is read again from its own start, so no good record is lost.
"""

from __future__ import annotations

import mmap
import os
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, fields
from typing import BinaryIO

from fastwarc.warc import ArchiveIterator, WarcRecord, WarcRecordType

__all__ = ["ExtractStats", "iter_records", "read_block"]

_GZIP_MAGIC = b"\x1f\x8b\x08"
_WARC_MAGIC = b"WARC/1."
_SWALLOWED_RECORD = b"\r\n\r\nWARC/1."
_CHUNK = 1 << 16


@dataclass
class ExtractStats:
    """Counters of one extraction (summed over files with :meth:`add`)."""

    files: int = 0
    #: WARC records read (all types)
    records: int = 0
    #: HTML pages emitted (after the seed filter)
    pages: int = 0
    #: links emitted
    links: int = 0
    #: truncated records / block digest mismatches / undecodable records
    skipped_records: int = 0
    #: gzip members that failed to decompress (iteration resynced past them)
    corrupt_members: int = 0

    def add(self, other: ExtractStats) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


# --- ------------------------------------------------------------------


class _Resync:
    """Finds gzip member boundaries in a file after FastWARC gave up on it."""

    def __init__(self, f: BinaryIO, size: int) -> None:
        self.f = f
        self.size = size
        self._mm: mmap.mmap | None = None

    def close(self) -> None:
        if self._mm is not None:
            self._mm.close()
            self._mm = None

    def member_end(self, pos: int) -> int | None:
        """End offset of the gzip member starting at ``pos``, None if it does not decompress."""
        f = self.f
        f.seek(pos)
        if f.read(3) != _GZIP_MAGIC:
            return None
        f.seek(pos)
        d = zlib.decompressobj(31)
        offset = pos
        try:
            while not d.eof:
                chunk = f.read(_CHUNK)
                if not chunk:
                    return None  # truncated member
                offset += len(chunk)
                d.decompress(chunk)
        except zlib.error:
            return None
        return offset - len(d.unused_data)

    def next_member(self, start: int) -> int | None:
        """Offset of the next plausible gzip member header at or after ``start``."""
        if start >= self.size:
            return None
        if self._mm is None:
            self._mm = mmap.mmap(self.f.fileno(), 0, access=mmap.ACCESS_READ)
        mm = self._mm
        pos = start
        while True:
            pos = mm.find(_GZIP_MAGIC, pos)
            if pos < 0:
                return None
            header = mm[pos : pos + 10]
            # reserved flag bits are zero, XFL is 0/2/4, OS is a defined code
            if (
                len(header) == 10
                and header[3] & 0xE0 == 0
                and header[8] in (0, 2, 4)
                and (header[9] <= 13 or header[9] == 255)
            ):
                return pos
            pos += 1

    def next_warc_header(self, start: int) -> int | None:
        """Uncompressed files: offset of the next ``WARC/1.`` line at or after ``start``."""
        if start >= self.size:
            return None
        if self._mm is None:
            self._mm = mmap.mmap(self.f.fileno(), 0, access=mmap.ACCESS_READ)
        pos = self._mm.find(_WARC_MAGIC, start)
        return None if pos < 0 else pos


def iter_records(
    path: str,
    stats: ExtractStats,
    record_types: WarcRecordType = WarcRecordType.any_type,
) -> Iterator[WarcRecord]:
    """Every readable WARC record of ``record_types`` in a (gzipped) WARC/WAT file.

    Never raises for corrupt input: after a decompression or parse error it resumes at the
    next gzip member (see the module docstring). Records are not verified here; call
    :func:`read_block` on each record you use. Counts ``files`` and ``records`` (all types).
    """
    stats.files += 1
    size = os.path.getsize(path)
    if size == 0:
        return
    wanted = int(record_types)
    with open(path, "rb") as f:
        gzipped = path.endswith(".gz") or f.read(2) == b"\x1f\x8b"
        resync = _Resync(f, size)
        pos: int | None = 0
        try:
            while pos is not None and pos < size:
                start = pos
                f.seek(start)
                last = -1
                records = ArchiveIterator(f, parse_http=False, fsspec_args=False)
                try:
                    for record in records:
                        last = record.stream_pos
                        stats.records += 1
                        if int(record.record_type) & wanted:
                            yield record
                except OSError:
                    pos = _after_error(resync, gzipped, start, last, stats)
                    continue
                pos = _after_end(resync, gzipped, start, last, stats)
        finally:
            resync.close()


def _after_error(
    resync: _Resync, gzipped: bool, start: int, last: int, stats: ExtractStats
) -> int | None:
    """Where to restart after FastWARC raised; ``last`` is the last record parsed (or -1)."""
    at = last if last >= 0 else start
    if not gzipped:
        if last < 0:
            stats.skipped_records += 1
        return resync.next_warc_header(at + 1)
    end = resync.member_end(at)
    if end is not None:
        if last < 0:
            stats.skipped_records += 1  # decompresses, but holds no readable record
        return end
    stats.corrupt_members += 1
    return resync.next_member(at + 1)


def _after_end(
    resync: _Resync, gzipped: bool, start: int, last: int, stats: ExtractStats
) -> int | None:
    """FastWARC ended quietly: make sure it really reached the end of the file.

    A truncated gzip member at the end ends iteration without an error, and a truncated record
    with a large Content-Length can swallow every member after it.
    """
    if not gzipped:
        return None
    at = last if last >= 0 else start
    end = resync.member_end(at)
    if end is None:
        stats.corrupt_members += 1
        return resync.next_member(at + 1)
    return end if end < resync.size else None


def read_block(record: WarcRecord, stats: ExtractStats, http: bool = False) -> bytes | None:
    """The verified body of a record, or None (counted in ``skipped_records`` if invalid).

    The block digest is checked when present. A record without one must be exactly as long as
    its ``Content-Length`` and must not contain the start of the next record (what a truncated
    record swallows). With ``http=True`` the HTTP headers are parsed and the payload returned.
    A read error (corrupt gzip member) returns None without counting: iteration fails right
    after and :func:`iter_records` counts the corrupt member.
    """
    try:
        if not record.verify_block_digest():
            # False for a mismatch and for a missing digest (the body is still readable)
            headers = record.headers
            if "WARC-Block-Digest" in headers:
                stats.skipped_records += 1
                return None
            record.freeze()
            declared = headers.get("Content-Length")
            if declared is None or not declared.isdigit() or int(declared) != record.content_length:
                stats.skipped_records += 1
                return None
            if http:
                record.parse_http()
            body = record.reader.read()
            if _SWALLOWED_RECORD in body:
                stats.skipped_records += 1
                return None
            return body
        if http:
            record.parse_http()
        return record.reader.read()
    except OSError:
        return None
