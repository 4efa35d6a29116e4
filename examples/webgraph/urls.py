"""URL and domain normalization for the webgraph example.

Everything here is called per link inside Spark Python workers, so the common cases are plain
string operations, results that depend only on a host are cached, and the public suffix list is
loaded lazily, once per process, from the snapshot bundled with tldextract (never the network).

Domains are lowercase Unicode (``xn--`` labels decoded) and registered domains are eTLD+1 under
the ICANN section of the public suffix list: ``www.shop.example.co.uk`` -> ``example.co.uk``.
"""

from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING
from urllib.parse import urljoin

if TYPE_CHECKING:
    from tldextract import TLDExtract

__all__ = [
    "clean_seed_url",
    "clear_caches",
    "host_to_unicode",
    "registered_domain",
    "resolve_link",
    "url_domain",
    "url_host",
]

#: schemes that never name a host, even when written as ``scheme://...``
NON_HOST_SCHEMES = frozenset({"mailto", "tel", "javascript", "data", "about", "blob", "urn"})
_MAX_CACHE = 1 << 18  # entries per cache; a full cache is simply cleared

# characters that can never appear in a host name (after IDNA decoding)
_BAD_HOST_CHARS = re.compile(r"[\s\x00-\x1f\x7f!\"#$%&'()*+,/:;<=>?@\[\\\]^`{|}~]")
# a scheme as urllib.parse.urlsplit recognises it: ASCII letter, then letters/digits/+-.
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")
# scheme:// or // followed by the authority
_AUTHORITY = re.compile(r"(?:[A-Za-z][A-Za-z0-9+.\-]*:)?//([^/?#\\]*)")

_extractor: TLDExtract | None = None
_domain_cache: dict[str, str | None] = {}
_authority_cache: dict[str, str | None] = {}


def clear_caches() -> None:
    """Forget every cached host, authority and base (the suffix list itself stays loaded)."""
    _domain_cache.clear()
    _authority_cache.clear()
    _base_cache.clear()
    from webgraph import wat_fast  # imports this module: import it late

    wat_fast.clear_caches()


def _tld_extractor() -> TLDExtract:
    """The offline public suffix list (ICANN section only), built on first use."""
    global _extractor
    if _extractor is None:
        import tldextract

        _extractor = tldextract.TLDExtract(
            cache_dir=None,
            suffix_list_urls=(),
            fallback_to_snapshot=True,
            include_psl_private_domains=False,
        )
    return _extractor


def _decode_label(label: str) -> str:
    if not label.startswith("xn--"):
        return label
    try:
        decoded = label[4:].encode("ascii").decode("punycode")
    except (UnicodeError, ValueError):
        return label
    if (
        not decoded
        or decoded.isascii()  # "xn--abc-": pure ASCII is no valid A-label
        or decoded.encode("punycode") != label[4:].encode("ascii")  # not canonical
        or not all(c == "-" or unicodedata.category(c)[0] in "LMN" for c in decoded)
    ):
        return label
    return decoded.lower()


def host_to_unicode(host: str) -> str:
    """Lowercase, without trailing dots, ``xn--`` labels decoded (invalid punycode kept)."""
    host = host.lower().rstrip(".")
    if "xn--" not in host:
        return host
    return ".".join([_decode_label(label) for label in host.split(".")])


def _is_ip(host: str) -> bool:
    """IPv6 or IPv4 (also non-canonical forms such as ``010.1``: no TLD is numeric)."""
    if ":" in host or host.startswith("["):
        return True  # a colon never appears in a valid host name
    return host.rsplit(".", 1)[-1].isdigit()


def _registered_domain(host: str) -> str | None:
    name = host_to_unicode(host.strip())
    if not name or name == "localhost" or _is_ip(name):
        return None
    if _BAD_HOST_CHARS.search(name) or "" in name.split("."):
        return None
    result = _tld_extractor().extract_str(name)
    if not result.suffix or not result.domain:
        return None
    return f"{result.domain}.{result.suffix}".lower()


def registered_domain(host: str) -> str | None:
    """eTLD+1 of a host (Unicode, lowercase), or None for IPs, localhost, unknown suffixes,
    a bare public suffix, an empty or malformed host. Cached per host."""
    try:
        return _domain_cache[host]
    except KeyError:
        pass
    domain = _registered_domain(host)
    if len(_domain_cache) >= _MAX_CACHE:
        _domain_cache.clear()
    _domain_cache[host] = domain
    return domain


def _authority_host(authority: str) -> str | None:
    """Host of a URL authority ``user:pass@host:port`` (Unicode, lowercase)."""
    at = authority.rfind("@")
    if at >= 0:
        authority = authority[at + 1 :]
    if authority.startswith("["):
        end = authority.find("]")
        host = authority[1:end] if end > 0 else authority[1:]
    else:
        colon = authority.find(":")
        host = authority if colon < 0 else authority[:colon]
    host = host_to_unicode(host.strip())
    return host or None


def url_host(url: str) -> str | None:
    """Host of an absolute (``scheme://``) or protocol-relative (``//host``) URL.

    Without userinfo and port, lowercase, Unicode. None for ``mailto:``, ``tel:``,
    ``javascript:``, ``data:``, relative URLs and empty strings.
    """
    url = url.strip()
    m = _AUTHORITY.match(url)
    if m is None:
        return None
    if url[0] != "/":
        scheme = url[: url.index(":")].lower()
        if scheme in NON_HOST_SCHEMES:
            return None
    return _authority_host(m.group(1))


def _authority_domain(authority: str) -> str | None:
    try:
        return _authority_cache[authority]
    except KeyError:
        pass
    host = _authority_host(authority)
    domain = registered_domain(host) if host else None
    if len(_authority_cache) >= _MAX_CACHE:
        _authority_cache.clear()
    _authority_cache[authority] = domain
    return domain


def url_domain(url: str) -> str | None:
    """``registered_domain(url_host(url))``, cached by the URL's authority."""
    m = _AUTHORITY.match(url)
    if m is None:
        if url[:1].isspace():
            return url_domain(url.lstrip())
        return None
    if url[0] != "/":
        scheme = url[: url.index(":")].lower()
        if scheme in NON_HOST_SCHEMES:
            return None
    return _authority_domain(m.group(1))


def clean_seed_url(raw: str) -> str | None:
    """Registered domain of a messy seed URL, or None if it names no registrable domain.

    Accepts missing schemes, ``www.``, upper case, paths, queries, surrounding whitespace or
    quotes, http/https, punycode and Unicode IDNs.
    """
    if not raw:
        return None
    text = raw.strip().strip("\"'<>").strip()
    if not text:
        return None
    if "://" not in text and not text.startswith("//"):
        m = _SCHEME.match(text)
        if m is not None and m.group()[:-1].lower() in NON_HOST_SCHEMES:
            return None
        if m is not None and text[m.end() :].lstrip("/") != text[m.end() :]:
            text = text[: m.end()] + "//" + text[m.end() :].lstrip("/")  # "http:/x.com"
        elif m is not None and m.group()[:-1].lower() in ("http", "https"):
            text = text[: m.end()] + "//" + text[m.end() :]  # "http:x.com"
        else:
            text = "http://" + text
    host = url_host(text)
    if host is None:
        return None
    return registered_domain(host)


# --- link resolution -------------------------------------------------------------------------


class _Base:
    """A base URL split once per page so that each link resolves by concatenation.

    ``slow`` marks bases the shortcuts do not cover (not http(s), dot segments or control
    characters in the base itself); every link of such a page goes through urljoin.
    """

    __slots__ = (
        "dir_path",
        "directory",
        "domain",
        "no_fragment",
        "no_query",
        "origin",
        "scheme",
        "slow",
        "url",
    )

    def __init__(self, url: str) -> None:
        self.url = url
        #: registered domain of the base, shared by every link without scheme or authority
        self.domain: str | None = None
        self.slow = True
        self.scheme = self.origin = self.dir_path = self.directory = ""
        self.no_query = self.no_fragment = ""
        m = _AUTHORITY.match(url)
        if m is None or url[0] == "/":
            return
        scheme = url[: url.index(":")].lower()
        if scheme not in ("http", "https"):
            return
        rest = url[m.end() :]  # path?query#fragment
        hash_pos = rest.find("#")
        before_fragment = rest if hash_pos < 0 else rest[:hash_pos]
        q_pos = before_fragment.find("?")
        path = before_fragment if q_pos < 0 else before_fragment[:q_pos]
        if "/." in path or not url.isprintable() or "\\" in url:
            return
        self.scheme = scheme
        self.origin = scheme + "://" + m.group(1)
        self.no_fragment = self.origin + before_fragment
        self.no_query = self.origin + path
        self.dir_path = path[: path.rfind("/") + 1] if path else "/"
        self.directory = self.origin + self.dir_path
        self.domain = _authority_domain(m.group(1))
        self.slow = False


def _parse_base(page_url: str, base: str | None) -> _Base:
    """The effective base of a page: ``<base href>`` (resolved against the page) or its URL."""
    if base:
        base = base.strip()
        if base:
            if not base.startswith(("http://", "https://")):
                base = _urljoin(page_url, base)
            return _Base(base)
    return _Base(page_url)


_base_cache: dict[tuple[str, str | None], _Base] = {}


def _cached_base(page_url: str, base: str | None) -> _Base:
    """:func:`_parse_base` for :func:`resolve_link`, which sees the same page once per link."""
    key = (page_url, base)
    parsed = _base_cache.get(key)
    if parsed is None:
        parsed = _parse_base(page_url, base)
        if len(_base_cache) >= 1024:
            _base_cache.clear()
        _base_cache[key] = parsed
    return parsed


def _urljoin(base: str, href: str) -> str:
    try:
        return urljoin(base, href)
    except ValueError:  # e.g. "//[bad-ipv6"
        return href


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 section 5.2.4 on an absolute path: ``/a/b/../c/./d`` -> ``/a/c/d``."""
    segments = path.split("/")
    out: list[str] = []
    for segment in segments:
        if segment == "..":
            if len(out) > 1:  # out[0] is the empty segment before the leading "/"
                out.pop()
        elif segment != ".":
            out.append(segment)
    if segments[-1] in (".", ".."):
        out.append("")
    return "/".join(out)


def _resolve_dots(href: str, b: _Base) -> str:
    """A path-relative or root-relative href with dot segments, against a fast base.

    Same result as urljoin (which parses both URLs again and costs ten times as much), except
    that empty segments, queries and fragments are kept, as RFC 3986 does.
    """
    cut = len(href)
    for mark in "?#":
        i = href.find(mark)
        if 0 <= i < cut:
            cut = i
    path = href[:cut]
    if ";" in path:  # urllib splits parameters off the last segment first
        return _urljoin(b.url, href)
    if path[:1] != "/":
        path = b.dir_path + path
    return b.origin + _remove_dot_segments(path) + href[cut:]


def _resolve(href: str, b: _Base) -> str:
    """Absolute URL of a stripped, non-empty href against a parsed base."""
    if href.startswith(("http://", "https://")):
        return href
    if not href.isprintable() and ("\t" in href or "\n" in href or "\r" in href):
        # browsers drop tabs and newlines inside URLs, and so does urlsplit
        href = href.replace("\t", "").replace("\n", "").replace("\r", "")
        if not href:
            return b.url
    if b.slow:
        return href if _SCHEME.match(href) else _urljoin(b.url, href)
    first = href[0]
    if first == "/":
        if href[1:2] == "/":
            return b.scheme + ":" + href
        if "/." in href:
            return _resolve_dots(href, b)
        return b.origin + href
    if first == "#":
        return b.no_fragment + href
    if first == "?":
        return b.no_query + href
    if _SCHEME.match(href):
        return href
    if first == "." or "/." in href:
        return _resolve_dots(href, b)
    return b.directory + href


def _target(href: str, base: _Base) -> tuple[str, str | None]:
    """Absolute URL and registered domain of a stripped, non-empty href.

    The reference for the inlined copies in ``extract._wat_links`` and ``wat_fast._links``:
    links without their own scheme or authority share the base's domain, so only absolute URLs
    need a domain lookup.
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


def resolve_link(href: str, page_url: str, base: str | None = None) -> str:
    """Absolute URL of a raw href found on ``page_url`` (with an optional ``<base href>``).

    Whitespace around it is stripped (tabs and newlines inside it dropped); ``http(s)://``
    URLs and any ``scheme:`` URL (``mailto:``, ``tel:``, ``javascript:``) come back unchanged;
    ``//host/x`` takes the base's scheme; ``/path``, ``?q``, ``#frag`` and relative paths are
    resolved per RFC 3986 by concatenation and dot-segment removal (``./``, ``../``); a base
    that is not http(s) or not normalized goes through ``urllib.parse.urljoin``. The result
    equals ``urljoin`` except where urljoin departs from RFC 3986: an empty query, fragment or
    parameter (``/a?``, ``#``, ``/a;``) is kept as written and empty segments of a relative
    path (``a//b``) are not collapsed.
    """
    href = href.strip()
    if href.startswith(("http://", "https://")):
        return href
    b = _cached_base(page_url, base)
    if not href:
        return b.url
    return _resolve(href, b)
