"""WARC and WAT encoding for :mod:`webgraph.sample`: records, digests, gzip members, WAT JSON.

Stdlib and orjson only, and nothing from the pipeline: the sample must not share code with what
it checks. Records are WARC/1.0, one gzip member each, with ``sha1:`` + base32 digests as in
Common Crawl. Gzip members carry a fixed header (mtime 0, OS 255) so that the output does not
depend on the platform's zlib.
"""

from __future__ import annotations

import base64
import hashlib
import random
import struct
import uuid
import zlib
from dataclasses import dataclass
from typing import Any, BinaryIO

import orjson

__all__ = [
    "HttpMessage",
    "Record",
    "WarcWriter",
    "damage_member",
    "gzip_member",
    "make_record",
    "new_record_id",
    "sha1_digest",
    "wat_json",
]

_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
_GZIP_MAGIC = b"\x1f\x8b\x08"
JsonDict = dict[str, Any]


def sha1_digest(data: bytes) -> str:
    """``sha1:`` + base32, the digest format of Common Crawl WARC files."""
    return "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode("ascii")


def gzip_member(data: bytes, level: int = 6) -> bytes:
    """One complete gzip member (RFC 1952) with a platform-independent header."""
    compressor = zlib.compressobj(level, zlib.DEFLATED, -15, 9)
    deflated = compressor.compress(data) + compressor.flush()
    trailer = struct.pack("<II", zlib.crc32(data), len(data) & 0xFFFFFFFF)
    return _GZIP_HEADER + deflated + trailer


def _inflates(member: bytes) -> bool:
    try:
        d = zlib.decompressobj(31)
        d.decompress(member)
        return d.eof and not d.unused_data
    except zlib.error:
        return False


def damage_member(member: bytes, rng: random.Random) -> bytes:
    """The member with 16 bytes in the middle of its deflate stream inverted.

    The result keeps its gzip header and length, fails to decompress with ``zlib.error`` and
    holds no other gzip magic (so a reader resyncing past it cannot land inside it). Raises
    ValueError if no damage position works (the caller then varies the content).
    """
    body = len(member) - len(_GZIP_HEADER) - 8
    if body < 64:
        raise ValueError("member too small to damage")
    for _ in range(16):
        at = len(_GZIP_HEADER) + rng.randrange(body // 3, 2 * body // 3)
        damaged = bytearray(member)
        for i in range(at, at + 16):
            damaged[i] ^= 0xFF
        out = bytes(damaged)
        if not _inflates(out) and out.find(_GZIP_MAGIC, 1) < 0:
            return out
    raise ValueError("could not damage the member")


def new_record_id(rng: random.Random) -> str:
    return f"<urn:uuid:{uuid.UUID(int=rng.getrandbits(128), version=4)}>"


@dataclass(frozen=True)
class HttpMessage:
    """An HTTP/1.1 request or response: start line, headers in order, body."""

    start_line: str
    headers: tuple[tuple[str, str], ...]
    body: bytes

    def header_bytes(self) -> bytes:
        lines = [self.start_line, *(f"{k}: {v}" for k, v in self.headers)]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8")

    def block(self) -> bytes:
        return self.header_bytes() + self.body

    def headers_json(self) -> JsonDict:
        """Headers as the WAT gives them: repeated names become lists (CC-MAIN-2024-51 on)."""
        out: JsonDict = {}
        for name, value in self.headers:
            if name not in out:
                out[name] = value
            elif isinstance(out[name], list):
                out[name].append(value)
            else:
                out[name] = [out[name], value]
        return out


@dataclass(frozen=True)
class Record:
    """One WARC record: ordered headers (including Content-Length and digests) and its block."""

    headers: tuple[tuple[str, str], ...]
    block: bytes

    @property
    def record_id(self) -> str:
        return self.header("WARC-Record-ID")

    @property
    def warc_type(self) -> str:
        return self.header("WARC-Type")

    def header(self, name: str) -> str:
        for key, value in self.headers:
            if key == name:
                return value
        raise KeyError(name)

    def header_bytes(self) -> bytes:
        lines = ["WARC/1.0", *(f"{k}: {v}" for k, v in self.headers)]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8")

    def to_bytes(self) -> bytes:
        return self.header_bytes() + self.block + b"\r\n\r\n"

    def truncated_bytes(self, keep: int) -> bytes:
        """The record as an interrupted download leaves it: ``keep`` bytes of its block."""
        if not 0 <= keep < len(self.block):
            raise ValueError("keep must cut the block short")
        return self.header_bytes() + self.block[:keep]


def make_record(
    warc_type: str,
    date: str,
    record_id: str,
    block: bytes,
    content_type: str | None,
    extra: list[tuple[str, str]],
    payload: bytes | None = None,
) -> Record:
    """Headers in Common Crawl's order, Content-Length and digests computed from the block."""
    headers = [("WARC-Type", warc_type), ("WARC-Date", date), ("WARC-Record-ID", record_id)]
    headers.append(("Content-Length", str(len(block))))
    if content_type is not None:
        headers.append(("Content-Type", content_type))
    headers.extend(extra)
    if payload is not None:
        headers.append(("WARC-Payload-Digest", sha1_digest(payload)))
    headers.append(("WARC-Block-Digest", sha1_digest(block)))
    return Record(tuple(headers), block)


class WarcWriter:
    """Appends gzip members to a file and remembers where each one starts."""

    def __init__(self, fh: BinaryIO) -> None:
        self.fh = fh
        self.offset = 0
        self.records = 0

    def write_member(self, member: bytes) -> tuple[int, int]:
        """Write one member; returns its (offset, length)."""
        at = self.offset
        self.fh.write(member)
        self.offset += len(member)
        return at, len(member)

    def write(self, record: Record) -> tuple[int, int, bytes]:
        """Write a complete record as one member; returns (offset, length, uncompressed)."""
        data = record.to_bytes()
        at, length = self.write_member(gzip_member(data))
        self.records += 1
        return at, length, data


# --- WAT JSON ------------------------------------------------------------------------------------


def _fields(block: bytes) -> list[tuple[str, str]]:
    out = []
    for line in block.decode("utf-8").split("\r\n"):
        name, sep, value = line.partition(":")
        if sep:
            out.append((name.strip(), value.strip()))
    return out


def _payload_metadata(
    record: Record, http: HttpMessage | None, html_meta: JsonDict | None
) -> JsonDict:
    kind = record.warc_type
    if kind in ("warcinfo", "metadata"):
        key = "WARC-Info-Metadata" if kind == "warcinfo" else "WARC-Metadata-Metadata"
        pairs = _fields(record.block)
        value: JsonDict = (
            dict(pairs)
            if kind == "warcinfo"
            else {"Metadata-Records": [{"Name": k, "Value": v} for k, v in pairs]}
        )
        return {"Actual-Content-Type": "application/warc-fields", key: value}
    if http is None:
        raise ValueError(f"{kind} record needs its HTTP message")
    common: JsonDict = {
        "Headers-Length": str(len(http.header_bytes())),
        "Headers": http.headers_json(),
        "Entity-Length": str(len(http.body)),
        "Entity-Trailing-Slop-Length": "0",
    }
    first, _, rest = http.start_line.partition(" ")
    if kind == "request":
        path, _, protocol = rest.rpartition(" ")
        message = {"Method": first, "Path": path, "Version": protocol}
        meta = {"Request-Message": message, **common}
        return {
            "Actual-Content-Type": "application/http; msgtype=request",
            "HTTP-Request-Metadata": meta,
        }
    status, _, reason = rest.partition(" ")
    meta = {
        "Response-Message": {"Version": first, "Status": status, "Reason": reason},
        **common,
        "Entity-Digest": sha1_digest(http.body),
    }
    if html_meta is not None:
        meta["HTML-Metadata"] = html_meta
    return {
        "Actual-Content-Type": "application/http; msgtype=response",
        "HTTP-Response-Metadata": meta,
    }


def wat_json(
    record: Record,
    filename: str,
    offset: int,
    member_length: int,
    data: bytes,
    http: HttpMessage | None = None,
    html_meta: JsonDict | None = None,
) -> bytes:
    """The WAT JSON describing one WARC record written at ``offset`` as ``member_length`` bytes.

    ``data`` is the uncompressed record; ``html_meta`` goes into the HTTP response metadata.
    All values are strings, as in Common Crawl WAT files.
    """
    doc = {
        "Container": {
            "Filename": filename,
            "Compressed": "true",
            "Offset": str(offset),
            "Gzip-Metadata": {
                "Deflate-Length": str(member_length - len(_GZIP_HEADER) - 8),
                "Header-Length": str(len(_GZIP_HEADER)),
                "Footer-Length": "8",
                "Inflated-CRC": str(zlib.crc32(data)),
                "Inflated-Length": str(len(data)),
            },
        },
        "Envelope": {
            "Format": "WARC",
            "WARC-Header-Length": str(len(record.header_bytes())),
            "Actual-Content-Length": str(len(record.block)),
            "Block-Digest": record.header("WARC-Block-Digest"),
            "WARC-Header-Metadata": dict(record.headers),
            "Payload-Metadata": _payload_metadata(record, http, html_meta),
        },
    }
    return orjson.dumps(doc)
