"""Link extraction from Common Crawl WAT and WARC files, robust to corrupt input.

Both modes yield the same :class:`Page` (url, domain, title, links) for the same HTML page:
WAT mode reads the links webarchive-commons already extracted into the JSON metadata records,
WARC mode parses the HTML of ``response`` records with resiliparse. Links are the elements of
:data:`LINK_ELEMENTS` (``<a href>``, ``<img src>``, ...). Their order differs: WARC mode keeps
document order, WAT mode gives ``Head.Link``, then ``Head.Scripts``, then ``Links`` (as the WAT
lists them), so compare the links of the two modes as multisets.

Corrupt input never raises: records come from :func:`webgraph.records.iter_records`, which
counts and skips corrupt gzip members and truncated records.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from typing import Any, Literal, NamedTuple

import orjson
from fastwarc.warc import WarcRecord, WarcRecordType

from webgraph.records import ExtractStats, iter_records, read_block
from webgraph.urls import (
    _SCHEME,
    _authority_cache,
    _Base,
    _parse_base,
    _resolve,
    _target,
    url_domain,
)
from webgraph.wat_fast import decode_page

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

_HTML_METADATA = b'"HTML-Metadata"'
_LINK_SELECTOR = ", ".join(f"{tag}[{attr}]" for tag, attr in LINK_ELEMENTS)
_LINK_ATTR = dict(LINK_ELEMENTS)


class Link(NamedTuple):
    """One hyperlink. A NamedTuple because WAT mode makes one per link: building a tuple costs
    a third of what a frozen dataclass's ``__init__`` does."""

    target_url: str
    target_domain: str | None
    anchor_text: str
    #: lowercase element name: a, area, img, link, script, form or iframe
    kind: str


class Page(NamedTuple):
    """One HTML page and its links, as four parallel columns: WAT pages carry 50-80 links,
    and columns cost four list appends per link where a :class:`Link` costs an object. A
    NamedTuple, built once per page, because a frozen dataclass's ``__init__`` costs 6x."""

    url: str
    domain: str | None
    title: str | None
    snippet: str | None
    targets: list[str]
    target_domains: list[str | None]
    anchors: list[str]
    kinds: list[str]

    @classmethod
    def of(
        cls, url: str, domain: str | None, title: str | None, snippet: str | None, links: list[Link]
    ) -> Page:
        columns = [list(column) for column in zip(*links, strict=True)] or [[], [], [], []]
        return cls(url, domain, title, snippet, *columns)

    @property
    def links(self) -> list[Link]:
        """The links as tuples (built on each call: read the columns where speed matters)."""
        return list(map(Link, self.targets, self.target_domains, self.anchors, self.kinds))


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


def _wat_links(groups: tuple[Any, ...], base: _Base) -> list[Link]:
    """Links of the WAT ``Head.Link``, ``Head.Scripts`` and ``Links`` lists.

    The hot loop of WAT mode: absolute ``http(s)://`` URLs and root-relative paths, by far the
    most common hrefs, are handled inline; everything else goes through ``_resolve``.
    """
    links: list[Link] = []
    append = links.append
    make_link = tuple.__new__  # skips NamedTuple's Python-level __new__ wrapper
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
            append(make_link(link_class, (target, domain, anchor, kind)))
    return links


def _wat_page(body: bytes) -> Page | None:
    """The page of a WAT JSON body: the fast path, else (odd types, invalid JSON) the careful
    one, :func:`_careful_wat_page`, which gives the same page where both apply."""
    page = decode_page(body, _kinds, _kind, Page, _collapse)
    return page if page is not None else _careful_wat_page(body)


def _careful_wat_page(body: bytes) -> Page | None:
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
    return Page.of(url, url_domain(url), _collapse(head.get("Title")), None, links)


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
        stats.links += len(page.targets)
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
    title = _collapse(tree.title)
    return Page.of(url, url_domain(url), title, text[:SNIPPET_CHARS] or None, links)


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
        stats.links += len(page.targets)
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
