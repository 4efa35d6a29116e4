"""Link extraction from Common Crawl WAT and WARC files, robust to corrupt input.

Both modes yield the same :class:`Page` (url, domain, title, links) for the same HTML page:
WAT mode reads the links webarchive-commons already extracted into the JSON metadata records,
WARC mode parses the HTML of ``response`` records with resiliparse. Links are the elements of
:data:`LINK_ELEMENTS` (``<a href>``, ``<img src>``, ...). Their order differs: WARC mode keeps
document order, WAT mode gives ``Head.Link``, then ``Head.Scripts``, then ``Links`` (as the WAT
lists them), so compare the links of the two modes as multisets.

Corrupt input never raises. FastWARC stops at the first gzip member it cannot decompress and at
the first WARC header it cannot parse; :func:`iter_records` then finds the next gzip member and
restarts there:

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
from collections.abc import Collection, Iterator
from dataclasses import dataclass, fields
from typing import Any, BinaryIO, Literal

import orjson
from fastwarc.warc import ArchiveIterator, WarcRecord, WarcRecordType

from webgraph.urls import _SCHEME, _authority_cache, _Base, _parse_base, _resolve, url_domain

__all__ = [
    "HTML_CONTENT_TYPES",
    "LINK_ELEMENTS",
    "SNIPPET_CHARS",
    "ExtractStats",
    "Link",
    "Page",
    "extract",
    "extract_warc",
    "extract_wat",
    "iter_records",
    "read_block",
]

#: the (element, attribute) pairs WARC mode turns into links, as WAT paths ``TAG@/attr`` name them
LINK_ELEMENTS: tuple[tuple[str, str], ...] = (
    ("a", "href"),
    ("area", "href"),
    ("img", "src"),
    ("link", "href"),
    ("script", "src"),
    ("form", "action"),
    ("iframe", "src"),
)
HTML_CONTENT_TYPES = frozenset({"text/html", "application/xhtml+xml"})
SNIPPET_CHARS = 300

_GZIP_MAGIC = b"\x1f\x8b\x08"
_WARC_MAGIC = b"WARC/1."
_SWALLOWED_RECORD = b"\r\n\r\nWARC/1."
_CHUNK = 1 << 16
_HTML_METADATA = b'"HTML-Metadata"'
_LINK_SELECTOR = ", ".join(f"{tag}[{attr}]" for tag, attr in LINK_ELEMENTS)
_LINK_ATTR = dict(LINK_ELEMENTS)


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


@dataclass(frozen=True, slots=True)
class Link:
    target_url: str
    target_domain: str | None
    anchor_text: str
    #: lowercase element name: a, area, img, link, script, form or iframe
    kind: str


class _LinkSlots:
    """The slot layout of :class:`Link` without its frozen ``__setattr__``.

    A frozen dataclass sets each field through ``object.__setattr__``: about 460 ns for a Link.
    The WAT hot loop creates an instance of this class, fills the slots and switches its
    ``__class__`` to Link (about 150 ns). WAT mode makes one Link per hyperlink, so this saves
    a tenth of the whole extraction time. The result is an ordinary, immutable Link.
    """

    __slots__ = ("anchor_text", "kind", "target_domain", "target_url")
    anchor_text: str
    kind: str
    target_domain: str | None
    target_url: str


def _fast_links_work() -> bool:
    try:
        link: Any = object.__new__(_LinkSlots)
        link.target_url, link.target_domain, link.anchor_text, link.kind = "u", None, "", "a"
        link.__class__ = Link
        return bool(link == Link("u", None, "", "a"))
    except TypeError:  # the slot layouts differ: Link has changed
        return False


_FAST_LINKS = _fast_links_work()


@dataclass(frozen=True, slots=True)
class Page:
    url: str
    domain: str | None
    title: str | None
    snippet: str | None
    links: list[Link]


# --- robust record iteration ------------------------------------------------------------------


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


# --- WAT ----------------------------------------------------------------------------------------

#: WAT ``path`` -> link kind, for the paths of :data:`LINK_ELEMENTS` (as WAT spells them)
_kinds: dict[str, str | None] = {f"{tag.upper()}@/{attr}": tag for tag, attr in LINK_ELEMENTS}
_LINK_PATHS = frozenset(LINK_ELEMENTS)


def _kind(path: object) -> str | None:
    """``A@/href`` -> ``a``; None for other paths.

    Besides the elements WARC mode reads, webarchive-commons records ``STYLE/#text`` (CSS
    urls), global attributes such as ``A@/data-href`` or ``DIV@/background``, ``IMG@/longdesc``,
    ``EMBED@/src``, ``INPUT@/src``, onclick URLs and more. They are skipped so that both modes
    emit the same links; to take every ``TAG@/attr`` entry, return the tag part for any path.
    """
    if type(path) is not str:
        return None
    try:
        return _kinds[path]
    except KeyError:
        pass
    tag, sep, attr = path.partition("@/")
    kind = tag.lower() if sep and (tag.lower(), attr.lower()) in _LINK_PATHS else None
    if len(_kinds) < 4096:
        _kinds[path] = kind
    return kind


def _collapse(text: object) -> str | None:
    if type(text) is not str:
        return None
    return " ".join(text.split()) or None


def _target(href: str, base: _Base) -> tuple[str, str | None]:
    """Absolute URL and registered domain of a stripped, non-empty href.

    The reference for the inlined copy in :func:`_wat_links`: links without their own scheme or
    authority share the base's domain, so only absolute URLs need a domain lookup.
    """
    if href.startswith(("http://", "https://")):
        return href, url_domain(href)
    target = _resolve(href, base)
    # control characters are dropped while resolving ("h\nttp://x", "/\t/x"): look them up
    if not base.slow and href.isprintable():
        first = href[0]
        if href[1:2] != "/" if first == "/" else (first in "#?" or not _SCHEME.match(href)):
            return target, base.domain
    return target, url_domain(target)


def _wat_links(groups: tuple[Any, ...], base: _Base) -> list[Link]:
    """Links of the WAT ``Head.Link``, ``Head.Scripts`` and ``Links`` lists.

    The hot loop of WAT mode: absolute ``http(s)://`` URLs and root-relative paths, by far the
    most common hrefs, are handled inline; everything else goes through ``_resolve``.
    """
    links: list[Link] = []
    append = links.append
    fast_links = _FAST_LINKS
    new = object.__new__
    slots: Any = _LinkSlots
    link_class = Link
    kinds = _kinds
    authority_domains = _authority_cache
    fast = not base.slow
    origin = base.origin
    base_domain = base.domain
    for group in groups:
        if type(group) is not list:
            continue
        for entry in group:
            try:
                href = entry["url"]
                kind = kinds[entry["path"]]
            except KeyError:
                if type(entry) is not dict or type(entry.get("url")) is not str:
                    continue
                kind = _kind(entry.get("path"))
            except TypeError:  # not a dict, or an unhashable path
                continue
            if kind is None or type(href) is not str:
                continue
            href = href.strip()
            if not href:
                continue
            if href.startswith(("http://", "https://")):
                target = href
                begin = 8 if href[4] == "s" else 7
                slash = href.find("/", begin)
                # the cache only holds authorities proper, so a slice that runs into a query
                # ("https://host?q") misses and takes the careful path
                try:
                    domain = authority_domains[href[begin:] if slash < 0 else href[begin:slash]]
                except KeyError:
                    domain = url_domain(href)
            elif (
                fast
                and href[0] == "/"
                and href[1:2] != "/"
                and "/." not in href
                and href.isprintable()
            ):
                target = origin + href
                domain = base_domain
            else:
                target = _resolve(href, base)
                if (
                    fast
                    and href[0] != "/"
                    and href.isprintable()
                    and (href[0] in "#?" or not _SCHEME.match(href))
                ):
                    domain = base_domain  # same authority as the base
                else:
                    domain = url_domain(target)
            if kind == "a":
                text = entry.get("text")
                anchor = " ".join(text.split()) if type(text) is str else ""
            else:
                anchor = ""
            if fast_links:
                link = new(slots)
                link.target_url = target
                link.target_domain = domain
                link.anchor_text = anchor
                link.kind = kind
                link.__class__ = link_class
                append(link)
            else:
                append(Link(target, domain, anchor, kind))
    return links


def _wat_page(body: bytes) -> Page | None:
    try:
        doc = orjson.loads(body)
        envelope = doc["Envelope"]
        url = envelope["WARC-Header-Metadata"]["WARC-Target-URI"]
        meta = envelope["Payload-Metadata"]["HTTP-Response-Metadata"]["HTML-Metadata"]
    except (orjson.JSONDecodeError, KeyError, TypeError):
        return None
    if type(url) is not str or type(meta) is not dict:
        return None
    head = meta.get("Head")
    if type(head) is not dict:
        head = {}
    base_href = head.get("Base")
    base = _parse_base(url, base_href if type(base_href) is str else None)
    links = _wat_links((head.get("Link"), head.get("Scripts"), meta.get("Links")), base)
    return Page(url, url_domain(url), _collapse(head.get("Title")), None, links)


def _seed_page(record: WarcRecord, seeds: Collection[str] | None) -> bool:
    if seeds is None:
        return True
    uri = record.headers.get("WARC-Target-URI")
    return uri is not None and url_domain(uri) in seeds


def _seed_set(seed_domains: Collection[str] | None) -> Collection[str] | None:
    if seed_domains is None or isinstance(seed_domains, (set, frozenset)):
        return seed_domains
    return frozenset(seed_domains)


def extract_wat(
    path: str, stats: ExtractStats, seed_domains: Collection[str] | None = None
) -> Iterator[Page]:
    """Pages with their links from the ``metadata`` records of a WAT file.

    With ``seed_domains``, only pages whose registered domain is a seed are parsed.
    """
    seeds = _seed_set(seed_domains)
    for record in iter_records(path, stats, WarcRecordType.metadata):
        if seeds is not None and not _seed_page(record, seeds):
            continue
        body = read_block(record, stats)
        if body is None or _HTML_METADATA not in body:
            continue
        page = _wat_page(body)
        if page is None:
            continue
        stats.pages += 1
        stats.links += len(page.links)
        yield page


# --- WARC ---------------------------------------------------------------------------------------


def _decode(body: bytes, charset: str | None) -> str:
    if charset:
        try:
            return body.decode(charset, "replace")
        except LookupError:
            pass
    return body.decode("utf-8", "replace")


def _html_page(url: str, html: str) -> Page:
    from resiliparse.extract.html2text import extract_plain_text
    from resiliparse.parse.html import HTMLTree

    tree = HTMLTree.parse(html)
    document = tree.document
    base_href = None
    links: list[Link] = []
    if document is not None:
        base_el = document.query_selector("base[href]")
        if base_el is not None:
            base_href = base_el.getattr("href")
        base = _parse_base(url, base_href)
        found = document.query_selector_all(_LINK_SELECTOR)
        # slice, do not iterate: resiliparse 2.0 materialises the whole list for every item
        # an iterator takes, so iterating is quadratic in the number of links
        for el in found[0 : len(found)]:
            kind = (el.tag or "").lower()
            attr = _LINK_ATTR.get(kind)
            if attr is None:
                continue
            href = (el.getattr(attr) or "").strip()
            if not href:
                continue
            target, domain = _target(href, base)
            anchor = " ".join((el.text or "").split()) if kind == "a" else ""
            links.append(Link(target, domain, anchor, kind))
    text = " ".join(extract_plain_text(tree).split())
    return Page(url, url_domain(url), _collapse(tree.title), text[:SNIPPET_CHARS] or None, links)


def extract_warc(
    path: str, stats: ExtractStats, seed_domains: Collection[str] | None = None
) -> Iterator[Page]:
    """Pages with their links from the HTML ``response`` records of a WARC file."""
    seeds = _seed_set(seed_domains)
    for record in iter_records(path, stats, WarcRecordType.response):
        url = record.headers.get("WARC-Target-URI")
        if not url or (seeds is not None and url_domain(url) not in seeds):
            continue
        body = read_block(record, stats, http=True)
        if body is None:
            continue
        content_type = (record.http_content_type or "").lower()
        if content_type not in HTML_CONTENT_TYPES:
            continue
        page = _html_page(url, _decode(body, record.http_charset))
        stats.pages += 1
        stats.links += len(page.links)
        yield page


def extract(
    path: str,
    mode: Literal["wat", "warc"],
    stats: ExtractStats,
    seed_domains: Collection[str] | None = None,
) -> Iterator[Page]:
    """Pages of one WAT or WARC file (see :func:`extract_wat`, :func:`extract_warc`)."""
    if mode == "wat":
        return extract_wat(path, stats, seed_domains)
    if mode == "warc":
        return extract_warc(path, stats, seed_domains)
    raise ValueError(f"mode must be 'wat' or 'warc', got {mode!r}")
