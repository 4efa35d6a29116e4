"""The fast path of WAT mode: typed msgspec decoding and per-href caches.

Real pages carry 50-80 links each, so per-link Python work decides WAT throughput. This path
decodes only the fields extraction reads (msgspec skips the rest of the JSON without building
objects) and resolves each distinct absolute href once per process:

* :data:`_absolute` maps a raw href whose result cannot depend on the page (it has a scheme
  after stripping) to ``(target, domain)``, computed once by the careful ``_target``;
* root-relative hrefs that need no normalisation are the base's origin plus the href;
* :data:`_anchors` maps a raw anchor text to its collapsed form.

Anything the fast path does not cover goes through the careful code of :mod:`webgraph.extract`
(``_target`` per link, ``_wat_page`` per page): a document whose fields do not have the types
the structs declare (a number where a URL belongs, an entry without ``path``) fails validation
and is decoded again by orjson, so the result is the careful path's. Both decoders reject the
same malformed JSON except that msgspec does not check the UTF-8 of values it skips, which is
checked here, and accepts numbers that overflow a double in fields it skips (orjson rejects
the whole document); WAT writers emit no such numbers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import msgspec

from webgraph.urls import (
    _MAX_CACHE,
    _SCHEME,
    _authority_cache,
    _Base,
    _parse_base,
    _target,
    url_domain,
)

if TYPE_CHECKING:
    from webgraph.extract import Link, Page

__all__ = ["decode_page"]


class _Entry(msgspec.Struct, gc=False):
    """One entry of ``Head.Link``, ``Head.Scripts`` or ``Links`` (other keys are skipped)."""

    path: str
    url: str
    text: str | None = None


class _Head(msgspec.Struct, gc=False):
    Title: str | None = None
    Base: str | None = None
    Link: list[_Entry] | None = None
    Scripts: list[_Entry] | None = None


class _HtmlMeta(msgspec.Struct, gc=False, rename={"head": "Head", "links": "Links"}):
    head: _Head | None = None
    links: list[_Entry] | None = None


class _HttpMeta(msgspec.Struct, gc=False, rename={"html": "HTML-Metadata"}):
    html: _HtmlMeta


class _Payload(msgspec.Struct, gc=False, rename={"http": "HTTP-Response-Metadata"}):
    http: _HttpMeta


class _WarcHeaders(msgspec.Struct, gc=False, rename={"uri": "WARC-Target-URI"}):
    uri: str


class _Envelope(
    msgspec.Struct,
    gc=False,
    rename={"headers": "WARC-Header-Metadata", "payload": "Payload-Metadata"},
):
    headers: _WarcHeaders
    payload: _Payload


class _Doc(msgspec.Struct, gc=False):
    Envelope: _Envelope


_decoder = msgspec.json.Decoder(_Doc)
_absolute: dict[str, tuple[str, str | None]] = {}
_anchors: dict[str, str] = {}
_MISS: Any = object()
_ANCHOR_MAX = 200  # longer texts are rare and seldom repeat: collapse them, do not cache them


def clear_caches() -> None:
    _absolute.clear()
    _anchors.clear()


def _slow_target(raw: str, base: _Base) -> tuple[str, str | None] | None:
    """``_target`` of a raw href (None if empty), cached when it cannot depend on the base."""
    href = raw.strip()
    if not href:
        return None
    if href.startswith(("http://", "https://")):
        # what _target does, but the domain by the authority cache (no regex) where it can
        begin = 8 if href[4] == "s" else 7
        slash = href.find("/", begin)
        domain = _authority_cache.get(href[begin:] if slash < 0 else href[begin:slash], _MISS)
        result = (href, url_domain(href) if domain is _MISS else domain)
    else:
        result = _target(href, base)
    # a printable href with a scheme comes back unchanged from _resolve, whatever the base
    if href.isprintable() and _SCHEME.match(href):
        if len(_absolute) >= _MAX_CACHE:
            _absolute.clear()
        _absolute[raw] = result
    return result


def _anchor(text: str | None) -> str:
    if text is None:
        return ""
    try:
        return _anchors[text]
    except KeyError:
        pass
    collapsed = " ".join(text.split())
    if len(text) <= _ANCHOR_MAX:
        if len(_anchors) >= _MAX_CACHE:
            _anchors.clear()
        _anchors[text] = collapsed
    return collapsed


def _links(
    groups: tuple[list[_Entry] | None, ...],
    base: _Base,
    kinds: dict[str, str | None],
    kind_of: Callable[[object], str | None],
    link_class: type[Link],
) -> list[Link]:
    """The links of a page: the same list as ``extract._wat_links`` on the same entries."""
    links: list[Link] = []
    append = links.append
    make_link = tuple.__new__
    absolute = _absolute
    anchors = _anchors
    authorities = _authority_cache
    fast = not base.slow
    origin, directory, base_domain = base.origin, base.directory, base.domain
    scheme = base.scheme + ":"
    no_fragment, no_query = base.no_fragment, base.no_query
    for group in groups:
        if group is None:
            continue
        for entry in group:
            try:
                kind = kinds[entry.path]
            except KeyError:
                kind = kind_of(entry.path)
            if kind is None:
                continue
            href = entry.url
            hit = absolute.get(href)
            if hit is not None:
                target, domain = hit
            elif fast and href and href[-1] != " " and "/." not in href and href.isprintable():
                # printable and no trailing space: strip() would change nothing at the end
                domain = base_domain
                first = href[0]
                if first == "/":
                    if href[1:2] != "/":
                        target = origin + href
                    else:  # protocol-relative: the base's scheme, the href's authority
                        target = scheme + href
                        slash = href.find("/", 2)
                        domain = authorities.get(href[2:slash] if slash > 0 else href[2:], _MISS)
                        if domain is _MISS:  # also when the slice runs into "?" or "#"
                            domain = url_domain(target)
                elif first == "#":
                    target = no_fragment + href
                elif first == "?":
                    target = no_query + href
                elif first not in "./ " and ":" not in href:  # no scheme, no dot segment
                    target = directory + href
                else:
                    hit = _slow_target(href, base)
                    if hit is None:
                        continue
                    target, domain = hit
            else:
                hit = _slow_target(href, base)
                if hit is None:
                    continue
                target, domain = hit
            if kind == "a":
                text = entry.text
                anchor = "" if text is None else anchors.get(text) or _anchor(text)
            else:
                anchor = ""
            append(make_link(link_class, (target, domain, anchor, kind)))
    return links


def decode_page(
    body: bytes,
    kinds: dict[str, str | None],
    kind_of: Callable[[object], str | None],
    page_class: type[Page],
    link_class: type[Link],
    collapse: Callable[[object], str | None],
) -> Page | None:
    """The page of a WAT JSON body, or None where the careful path must decide."""
    if not body.isascii():
        try:
            body.decode("utf-8")  # msgspec skips unread values without checking them
        except UnicodeDecodeError:
            return None
    try:
        doc = _decoder.decode(body)
    except (msgspec.DecodeError, msgspec.ValidationError, UnicodeDecodeError):
        return None
    url = doc.Envelope.headers.uri
    meta = doc.Envelope.payload.http.html
    head = meta.head
    if head is None:
        head = _Head()
    base = _parse_base(url, head.Base)
    links = _links((head.Link, head.Scripts, meta.links), base, kinds, kind_of, link_class)
    return page_class(url, url_domain(url), collapse(head.Title), None, links)
