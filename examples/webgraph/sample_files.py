"""Writing one WARC file and its WAT for :mod:`webgraph.sample`, with optional corruption.

Per capture the WARC gets ``request``, ``response`` and ``metadata`` records (after one
``warcinfo``); the WAT gets its own ``warcinfo``, then one ``metadata`` record (JSON) per WARC
record, in the same order. Injected records (see :meth:`PairWriter.write`) are extra pages of
seed firms that must never reach the expected output.
"""

from __future__ import annotations

import random
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import format_datetime
from typing import Any

from webgraph.sample_html import Page, html_metadata
from webgraph.sample_warc import (
    HttpMessage,
    Record,
    WarcWriter,
    damage_member,
    gzip_member,
    make_record,
    new_record_id,
    wat_json,
)

__all__ = ["HTML_TYPE", "Capture", "FileStats", "PairWriter", "png"]

HTML_TYPE = "text/html; charset=utf-8"
_REQUEST_HEADERS = (
    ("User-Agent", "CCBot/2.0 (https://commoncrawl.org/faq/)"),
    ("Accept", "text/html,*/*;q=0.8"),
    ("Accept-Language", "en-US,en;q=0.5"),
    ("Accept-Encoding", "br,gzip"),
    ("Connection", "Keep-Alive"),
)
_COOKIES = (("Set-Cookie", "session=abc; Path=/"), ("Set-Cookie", "lang=en; Path=/"))
_CLD2 = '{"reliable":true,"languages":[{"code":"en","name":"ENGLISH"}]}'
_WARCINFO = (
    ("publisher", "Common Crawl"),
    ("description", "Synthetic sample of a wide web crawl (paasport webgraph example)"),
    ("operator", "Common Crawl Admin (info@commoncrawl.org)"),
    ("software", "Apache Nutch 1.21 (modified, https://github.com/commoncrawl/nutch/)"),
    ("format", "WARC File Format 1.0"),
    ("conformsTo", "https://iipc.github.io/warc-specifications/specifications/warc-format/"),
)
#: bytes of the block a truncated WARC record loses (its page ends in a longer paragraph)
TRUNCATED_BYTES = 1200


def png(rng: random.Random) -> bytes:
    """A valid 1x1 PNG of a random colour."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    pixel = b"\x00" + bytes(rng.randrange(256) for _ in range(3))
    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    idat = zlib.compress(pixel, 9)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


@dataclass
class Capture:
    """One fetched URL: an HTML page (with its plan), an image or a redirect."""

    url: str
    status: int
    content_type: str | None
    body: bytes = b""
    page: Page | None = None
    location: str | None = None


def _no_injections() -> dict[str, int]:
    return {"corrupt_gzip_members": 0, "truncated_records": 0}


@dataclass
class FileStats:
    """What one file holds, for the manifest."""

    path: str
    #: complete, readable records
    records: int = 0
    html_pages: int = 0
    injected: dict[str, int] = field(default_factory=_no_injections)
    #: where the injected members are: corrupt_member, truncated_record
    details: dict[str, Any] = field(default_factory=dict)

    def as_dict(self, crawl: str, fmt: str) -> dict[str, Any]:
        return {
            "crawl": crawl,
            "format": fmt,
            "path": self.path,
            "records": self.records,
            "html_pages": self.html_pages,
            "injected": self.injected,
            **self.details,
        }


class PairWriter:
    """Writes a WARC and, record by record, the WAT describing it."""

    def __init__(self, rng: random.Random, crawl: str, name: str, start: datetime) -> None:
        self.rng = rng
        self.crawl = crawl
        self.warc_name = f"{name}.warc.gz"
        self.wat_name = f"{name}.warc.wat.gz"
        self.time = start
        self.ips: dict[str, str] = {}
        self.warc_stats = FileStats(f"input/{crawl}/warc/{self.warc_name}")
        self.wat_stats = FileStats(f"input/{crawl}/wat/{self.wat_name}")
        self.warcinfo_id = ""

    def tick(self) -> str:
        self.time += timedelta(seconds=self.rng.randint(0, 3))
        return self.time.strftime("%Y-%m-%dT%H:%M:%SZ")

    def _warcinfo(self, filename: str, fields: list[tuple[str, str]]) -> Record:
        block = "".join(f"{k}: {v}\r\n" for k, v in fields).encode()
        rid = new_record_id(self.rng)
        extra = [("WARC-Filename", filename)]
        return make_record("warcinfo", self.tick(), rid, block, "application/warc-fields", extra)

    def describe(
        self,
        rec: Record,
        at: int,
        length: int,
        data: bytes,
        http: HttpMessage | None = None,
        page: Page | None = None,
    ) -> Record:
        """The WAT metadata record of ``rec``, written to the WARC at ``at`` (``length`` bytes).

        ``page`` is the plan of a response's HTML: its links go into ``HTML-Metadata``.
        """
        html_meta = html_metadata(page) if page is not None else None
        body = wat_json(rec, self.warc_name, at, length, data, http, html_meta)
        target = dict(rec.headers).get("WARC-Target-URI", self.warc_name)
        extra = [("WARC-Target-URI", target), ("WARC-Refers-To", rec.record_id)]
        rid = new_record_id(self.rng)
        return make_record(
            "metadata", rec.header("WARC-Date"), rid, body, "application/json", extra
        )

    def capture_records(self, cap: Capture) -> Iterator[tuple[Record, HttpMessage | None]]:
        """request, response and metadata records of one capture (with their HTTP message)."""
        rng = self.rng
        _, _, host, rest = cap.url.split("/", 3)
        ip = self.ips.setdefault(host, f"203.0.{rng.randint(0, 255)}.{rng.randint(1, 254)}")
        date = self.tick()
        req_id, resp_id, meta_id = (new_record_id(rng) for _ in range(3))
        request = HttpMessage(f"GET /{rest} HTTP/1.1", (("Host", host), *_REQUEST_HEADERS), b"")
        headers = [("Date", format_datetime(self.time, usegmt=True)), ("Server", "nginx")]
        if cap.content_type is not None:
            headers.append(("Content-Type", cap.content_type))
        headers.append(("Content-Length", str(len(cap.body))))
        if cap.location is not None:
            headers.append(("Location", cap.location))
        if cap.page is not None and rng.random() < 0.3:
            headers.extend(_COOKIES)  # a repeated header: a list in the WAT
        reason = "OK" if cap.status == 200 else "Moved Permanently"
        response = HttpMessage(f"HTTP/1.1 {cap.status} {reason}", tuple(headers), cap.body)
        info = ("WARC-Warcinfo-ID", self.warcinfo_id)
        target = ("WARC-Target-URI", cap.url)
        ip_address = ("WARC-IP-Address", ip)
        concurrent = ("WARC-Concurrent-To", resp_id)
        yield (
            make_record(
                "request",
                date,
                req_id,
                request.block(),
                "application/http; msgtype=request",
                [info, concurrent, ip_address, target],
            ),
            request,
        )
        yield (
            make_record(
                "response",
                date,
                resp_id,
                response.block(),
                "application/http; msgtype=response",
                [info, ip_address, target],
                payload=cap.body,
            ),
            response,
        )
        fields = f"fetchTimeMs: {rng.randint(20, 900)}\r\n"
        if cap.page is not None:
            fields += f"charset-detected: UTF-8\r\nlanguages-cld2: {_CLD2}\r\n"
        block = fields.encode()
        extra = [info, concurrent, target]
        yield make_record("metadata", date, meta_id, block, "application/warc-fields", extra), None

    def write(
        self,
        warc: WarcWriter,
        wat: WarcWriter,
        captures: list[Capture],
        injections: tuple[Capture, Capture] | None,
    ) -> None:
        """Both files. ``injections``: a page for the corrupt member (written in the middle)
        and one for the truncated record (written last), or None for clean files."""
        wat_fields = [
            ("Software-Info", "paasport-sample/0.1"),
            ("format", "WARC File Format 1.0"),
            ("description", f"WAT metadata of {self.warc_name}"),
            ("isPartOf", self.crawl),
        ]
        wat.write(self._warcinfo(self.wat_name, wat_fields))
        warcinfo = self._warcinfo(self.warc_name, [("isPartOf", self.crawl), *_WARCINFO])
        self.warcinfo_id = warcinfo.record_id
        at, length, data = warc.write(warcinfo)
        wat.write(self.describe(warcinfo, at, length, data))
        middle = len(captures) // 2
        for i, cap in enumerate(captures):
            if injections is not None and i == middle:
                self._inject_corrupt(warc, wat, injections[0])
            for rec, http in self.capture_records(cap):
                at, length, data = warc.write(rec)
                page = cap.page if rec.warc_type == "response" else None
                wat.write(self.describe(rec, at, length, data, http, page))
            self.warc_stats.html_pages += cap.page is not None
        if injections is not None:
            self._inject_truncated(warc, wat, injections[1])
        self.warc_stats.records = warc.records
        self.wat_stats.records = wat.records
        self.wat_stats.html_pages = self.warc_stats.html_pages

    def _response(self, cap: Capture) -> tuple[Record, HttpMessage]:
        rec, http = list(self.capture_records(cap))[1]
        assert http is not None
        return rec, http

    def _inject_corrupt(self, warc: WarcWriter, wat: WarcWriter, cap: Capture) -> None:
        """A response member (and its WAT member) whose deflate stream is damaged."""
        rec, http = self._response(cap)
        data = rec.to_bytes()
        at, length = warc.write_member(damage_member(gzip_member(data), self.rng))
        desc = self.describe(rec, at, length, data, http, cap.page)
        wat_member = damage_member(gzip_member(desc.to_bytes()), self.rng)
        wat_at, wat_length = wat.write_member(wat_member)
        for stats, offset, size, rid in (
            (self.warc_stats, at, length, rec.record_id),
            (self.wat_stats, wat_at, wat_length, desc.record_id),
        ):
            stats.injected["corrupt_gzip_members"] += 1
            stats.details["corrupt_member"] = {
                "offset": offset,
                "length": size,
                "record_id": rid,
                "url": cap.url,
            }

    def _inject_truncated(self, warc: WarcWriter, wat: WarcWriter, cap: Capture) -> None:
        """The last record of both files, cut short of its Content-Length."""
        rec, http = self._response(cap)
        keep = len(rec.block) - TRUNCATED_BYTES
        at, length = warc.write_member(gzip_member(rec.truncated_bytes(keep)))
        desc = self.describe(rec, at, length, rec.to_bytes(), http, cap.page)
        wat_keep = len(desc.block) * 2 // 3
        wat_at, wat_length = wat.write_member(gzip_member(desc.truncated_bytes(wat_keep)))
        for stats, offset, size, r, kept in (
            (self.warc_stats, at, length, rec, keep),
            (self.wat_stats, wat_at, wat_length, desc, wat_keep),
        ):
            stats.injected["truncated_records"] += 1
            stats.details["truncated_record"] = {
                "offset": offset,
                "length": size,
                "record_id": r.record_id,
                "url": cap.url,
                "content_length": len(r.block),
                "stored_block_bytes": kept,
            }
