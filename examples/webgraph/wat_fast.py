# cython: language_level=3, boundscheck=False, wraparound=False
"""The fast path of WAT mode: typed decoding, per-href caches and a compiled link loop.

Real pages carry 50-80 links each, so per-link work decides WAT throughput. This path decodes
only the fields extraction reads (:mod:`webgraph.wat_schema`), resolves each distinct absolute
href once per process and writes a page's links as four columns (no object per link):

* :data:`_absolute` maps a raw href whose result cannot depend on the page (it has a scheme
  after stripping) to ``(target, domain)``, computed once by the careful ``_target``;
* root-relative, fragment, query and plain relative hrefs that need no normalisation are the
  base's origin, URL or directory plus the href;
* an anchor text that is already collapsed (no run of whitespace, none at the ends) is kept
  as it is; others are collapsed once and cached in :data:`_anchors`.

``make setup`` compiles this module with Cython (pure Python mode: the same source runs
interpreted where the extension is missing, e.g. shipped as plain files to a cluster); where
compiled, the character tests run as C loops over the string instead of ``str`` methods.
:data:`COMPILED` says which is running. Tests run both on the same inputs.

Anything the fast path does not cover goes through the careful code of :mod:`webgraph.extract`
(``_target`` per link, ``_careful_wat_page`` per page): a document whose fields do not have the
types the structs declare (a number where a URL belongs, an entry without ``path``) fails
validation and is decoded again by orjson, so the result is the careful path's. Both decoders
reject the same malformed JSON except that msgspec does not check the UTF-8 of values it
skips, which is checked here, and accepts numbers that overflow a double in fields it skips
(orjson rejects the whole document); WAT writers emit no such numbers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import cython
import msgspec

from webgraph.urls import (
    _MAX_CACHE,
    _SCHEME,
    _authority_cache,
    _Base,
    _parse_base,
    _resolve_dots,
    _target,
    url_domain,
)
from webgraph.wat_schema import Entry, Head, decoder

if TYPE_CHECKING:
    from webgraph.extract import Page

__all__ = ["COMPILED", "decode_page"]

#: True where Cython compiled this module (``make setup`` does), False where it is interpreted
COMPILED: bool = cython.compiled

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
    begin = _http_begin(href)
    # what _target does, but an http(s) href's domain by the authority cache where it can
    result = (href, _http_domain(href, begin)) if begin else _target(href, base)
    # a printable href with a scheme comes back unchanged from _resolve, whatever the base
    if href.isprintable() and _SCHEME.match(href):
        if len(_absolute) >= _MAX_CACHE:
            _absolute.clear()
        _absolute[raw] = result
    return result


#: what :func:`_printable` finds in an href
_NOT_PLAIN: cython.int = 0  # empty, a control character or a trailing space: the careful way
_PLAIN: cython.int = 1  # printable, no trailing space, no dot segment
_DOTS: cython.int = 2  # the same, but with "/." somewhere


@cython.cfunc
@cython.inline
def _printable(href: str) -> cython.int:
    """Whether an href can be resolved by concatenation (:data:`_PLAIN`), by concatenation
    after dot-segment removal (:data:`_DOTS`), or only the careful way (:data:`_NOT_PLAIN`)."""
    if not cython.compiled:
        if not href or href[-1] == " " or not href.isprintable():
            return _NOT_PLAIN
        return _DOTS if "/." in href else _PLAIN
    ch: cython.Py_UCS4
    prev: cython.Py_UCS4 = "\x00"
    ascii_only: cython.bint = True
    dots: cython.bint = False
    if len(href) == 0:
        return _NOT_PLAIN
    for ch in href:
        if ch < " " or ch == "\x7f":
            return _NOT_PLAIN
        if ch > "~":
            ascii_only = False
        elif ch == "." and prev == "/":
            dots = True
        prev = ch
    if prev == " " or not (ascii_only or href.isprintable()):
        return _NOT_PLAIN
    return _DOTS if dots else _PLAIN


@cython.cfunc
@cython.inline
def _http_begin(href: str) -> cython.Py_ssize_t:
    """Where the authority of an ``http://`` or ``https://`` href begins, else 0."""
    if not cython.compiled:
        return 7 if href.startswith("http://") else 8 if href.startswith("https://") else 0
    n: cython.Py_ssize_t = len(href)
    if n < 7 or href[0] != "h" or href[1] != "t" or href[2] != "t" or href[3] != "p":
        return 0
    if href[4] == ":" and href[5] == "/" and href[6] == "/":
        return 7
    if n > 7 and href[4] == "s" and href[5] == ":" and href[6] == "/" and href[7] == "/":
        return 8
    return 0


@cython.cfunc
@cython.inline
def _find_slash(href: str, start: cython.Py_ssize_t) -> cython.Py_ssize_t:
    """``href.find("/", start)``, as a C loop where compiled."""
    if not cython.compiled:
        return href.find("/", start)
    i: cython.Py_ssize_t
    for i in range(start, len(href)):
        if href[i] == "/":
            return i
    return -1


@cython.cfunc
@cython.inline
def _http_domain(href: str, begin: cython.Py_ssize_t) -> str | None:
    """``url_domain`` of an ``http(s)://`` href whose authority starts at ``begin``, by the
    authority cache without a regex where it can."""
    slash = _find_slash(href, begin)
    # the cache only holds authorities proper, so a slice that runs into a query
    # ("https://host?q") misses and takes the careful way
    domain = _authority_cache.get(href[begin:] if slash < 0 else href[begin:slash], _MISS)
    return url_domain(href) if domain is _MISS else domain


@cython.cfunc
@cython.inline
def _collapsed(text: str) -> cython.bint:
    """True where ``" ".join(text.split()) == text`` is sure without splitting (ASCII text)."""
    if not cython.compiled:
        return False  # interpreted, the cache below is as fast as scanning
    ch: cython.Py_UCS4
    prev: cython.Py_UCS4 = " "
    for ch in text:
        if ch == " ":
            if prev == " ":
                return False  # a leading space or a run of two
        elif ch > "~" or ("\t" <= ch <= "\r") or ("\x1c" <= ch <= "\x1f"):
            return False  # other whitespace, or non-ASCII (which may be whitespace)
        prev = ch
    return prev != " " or len(text) == 0


@cython.cfunc
def _anchor(text: str | None) -> str:
    if text is None:
        return ""
    if _collapsed(text):
        return text
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
    groups: tuple[list[Entry] | None, ...],
    base: _Base,
    kinds: dict[str, str | None],
    kind_of: Callable[[object], str | None],
    columns: tuple[list[str], list[str | None], list[str], list[str]],
) -> None:
    """Append a page's links to ``columns`` (targets, domains, anchors, kinds): the links
    ``extract._wat_links`` gives for the same entries, in the same order."""
    targets: list[str] = columns[0]
    domains: list[str | None] = columns[1]
    anchors: list[str] = columns[2]
    out_kinds: list[str] = columns[3]
    absolute: dict[str, tuple[str, str | None]] = _absolute
    authorities: dict[str, str | None] = _authority_cache
    miss: Any = _MISS
    fast: cython.bint = not base.slow
    origin: str = base.origin
    directory: str = base.directory
    base_domain = base.domain
    scheme: str = base.scheme + ":"
    no_fragment: str = base.no_fragment
    no_query: str = base.no_query
    href: str
    target: str
    first: cython.Py_UCS4
    begin: cython.Py_ssize_t
    slash: cython.Py_ssize_t
    resolved: cython.bint
    plain: cython.int
    entries: list[Entry]
    hit: tuple[str, str | None] | None
    for group in groups:
        if group is None:
            continue
        entries = group
        for entry in entries:
            kind = kinds.get(entry.path, miss)
            if kind is miss:
                kind = kind_of(entry.path)
            if kind is None:
                continue
            href = entry.url
            begin = _http_begin(href)
            if begin and not href[len(href) - 1].isspace():  # strip() would change nothing
                target = href
                domain = _http_domain(href, begin)
            else:
                plain = _printable(href) if fast else _NOT_PLAIN
                resolved = plain != _NOT_PLAIN
                if resolved:  # relative: the base's domain, resolved against the base
                    domain = base_domain
                    first = href[0]
                    if first == "/":
                        if len(href) == 1 or href[1] != "/":
                            target = origin + href if plain == _PLAIN else _resolve_dots(href, base)
                        elif plain == _PLAIN:  # protocol-relative: the base's scheme
                            target = scheme + href
                            slash = _find_slash(href, 2)
                            domain = authorities.get(href[2:slash] if slash > 0 else href[2:], miss)
                            if domain is miss:  # also when the slice runs into "?" or "#"
                                domain = url_domain(target)
                        else:
                            resolved = False
                    elif first == "#":
                        target = no_fragment + href
                    elif first == "?":
                        target = no_query + href
                    elif first != " " and ":" not in href:  # no scheme
                        if plain == _PLAIN and first != ".":
                            target = directory + href
                        else:
                            target = _resolve_dots(href, base)
                    else:
                        resolved = False
                if not resolved:
                    hit = absolute.get(href)
                    if hit is None:
                        hit = _slow_target(href, base)
                        if hit is None:
                            continue
                    target = hit[0]
                    domain = hit[1]
            targets.append(target)
            domains.append(domain)
            anchors.append(_anchor(entry.text) if kind == "a" else "")
            out_kinds.append(kind)


def decode_page(
    body: bytes,
    kinds: dict[str, str | None],
    kind_of: Callable[[object], str | None],
    page_class: type[Page],
    collapse: Callable[[object], str | None],
) -> Page | None:
    """The page of a WAT JSON body, or None where the careful path must decide."""
    if not body.isascii():
        try:
            body.decode("utf-8")  # msgspec skips unread values without checking them
        except UnicodeDecodeError:
            return None
    try:
        doc = decoder.decode(body)
    except (msgspec.DecodeError, msgspec.ValidationError, UnicodeDecodeError):
        return None
    url = doc.Envelope.headers.uri
    meta = doc.Envelope.payload.http.html
    head = meta.head
    if head is None:
        head = Head()
    base = _parse_base(url, head.Base)
    columns: tuple[list[str], list[str | None], list[str], list[str]] = ([], [], [], [])
    _links((head.Link, head.Scripts, meta.links), base, kinds, kind_of, columns)
    return page_class(url, url_domain(url), collapse(head.Title), None, *columns)
