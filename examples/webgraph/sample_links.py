"""Extra links for a realistic link density (``generate_sample(links_per_page=(50, 80))``).

Real Common Crawl pages carry 50-80 links each, most of them absolute URLs to a few hundred
other hosts, the rest relative, protocol-relative, ``mailto:``/``tel:``/``javascript:`` and a
share of malformed ones. :class:`Filler` tops a planned page up to a drawn number of links
with such a mix. Like every planned link, each knows the registered domain it resolves into,
by construction: a host is always ``sub.label.suffix`` (``label.suffix`` is its domain), and
relative links resolve into the page's own domain. Malformed links are only of kinds whose
resolution is not in doubt (RFC 3986, urllib and the pipeline agree on them).

Nothing here imports the pipeline, and only the caller's ``random.Random`` is drawn from, and
only when the option is on: without it the sample stays byte for byte what it was.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from webgraph.sample_html import Link, Page, Section

__all__ = ["Filler", "host_pool", "parse_range"]

_LABEL_A = (
    "north", "blue", "city", "open", "rapid", "true", "deep", "next", "clear", "wild", "urban",
    "pixel", "cloud", "data", "royal", "fresh",
)  # fmt: skip
_LABEL_B = (
    "media", "travel", "news", "shop", "hub", "press", "forum", "cdn", "stats", "jobs", "wiki",
    "maps", "sport",
)  # fmt: skip
#: ICANN public suffixes, several of them multi-label
_POOL_SUFFIXES = (
    "com", "net", "org", "de", "co.uk", "org.uk", "com.au", "co.jp", "com.br", "co.nz", "fr",
    "nl", "io", "info", "it", "es",
)  # fmt: skip
_SUBS = ("www", "", "cdn", "static", "m", "blog", "api", "img.cdn", "en.m")
#: IDN domains of the pool: Latin letters that survive str.lower() and the IDNA round trip
_IDN_POOL = (
    ("müller-reisen", "de"), ("café-crème", "fr"), ("zürich-bank", "ch"), ("öko-markt", "at"),
    ("ålesund-fisk", "no"), ("señor-viajes", "es"),
)  # fmt: skip
_PATHS = (
    "/", "/about", "/contact", "/news/2025/11/story.html", "/search?q=tools&page=3",
    "/products/item-42?color=red#reviews", "/en/", "/privacy", "/a/b/c/d.html", "/tag/industry",
)  # fmt: skip
_RELATIVE = (
    "page.html", "page-2.html?sort=asc", "../index.html", "../../up/two.html", "./here.html",
    "sub/dir/file.php?id=7", "#main", "#", "?page=2", "?q=a+b&lang=de#results", "./",
    "..", "img/../photo.jpg", "a;params", "/root-level", "/dir/./file", "/dir/../other",
)  # fmt: skip
_NO_HOST = (
    "mailto:office@example.com", "mailto:?subject=Hello", "tel:+44-20-7946-0000",
    "javascript:void(0)", "javascript:window.print()", "data:image/gif;base64,R0lGODlhAQAB",
    "about:blank",
)  # fmt: skip


def parse_range(text: str) -> tuple[int, int]:
    """``"50-80"`` -> ``(50, 80)``, ``"60"`` -> ``(60, 60)`` (for command-line options)."""
    low, sep, high = text.partition("-")
    try:
        bounds = (int(low), int(high if sep else low))
    except ValueError:
        raise ValueError(f"expected LOW-HIGH such as 50-80, got {text!r}") from None
    if not 0 < bounds[0] <= bounds[1]:
        raise ValueError(f"expected 0 < LOW <= HIGH, got {text!r}")
    return bounds


def _puny(label: str) -> str:
    return "xn--" + label.encode("punycode").decode("ascii") if not label.isascii() else label


@dataclass(frozen=True)
class _Host:
    #: registrable label (Unicode) and public suffix; host = sub.label.suffix
    label: str
    suffix: str
    sub: str

    @property
    def domain(self) -> str:
        return f"{self.label}.{self.suffix}"

    def name(self, unicode: bool = True) -> str:
        label = self.label if unicode else _puny(self.label)
        return f"{self.sub}.{label}.{self.suffix}" if self.sub else f"{label}.{self.suffix}"


def host_pool(taken: set[str]) -> list[_Host]:
    """About 300 hosts of about 230 registered domains, none of them in ``taken``.

    Deterministic without a random generator: the pool is the same for every seed.
    """
    hosts: list[_Host] = []
    i = 0
    for a in _LABEL_A:
        for b in _LABEL_B:
            suffix = _POOL_SUFFIXES[i % len(_POOL_SUFFIXES)]
            i += 1
            label = f"{a}{b}" if i % 3 else f"{a}-{b}"
            if f"{label}.{suffix}" in taken:
                continue
            hosts.append(_Host(label, suffix, _SUBS[i % len(_SUBS)]))
            if i % 4 == 0:  # a second host of the same domain
                hosts.append(_Host(label, suffix, _SUBS[(i + 4) % len(_SUBS)]))
    for label, suffix in _IDN_POOL:
        if f"{label}.{suffix}" not in taken:
            hosts.append(_Host(label, suffix, "www"))
            hosts.append(_Host(label, suffix, ""))
    return hosts


@dataclass
class Filler:
    """Tops pages up to a drawn number of links (``low``..``high``) with a realistic mix."""

    rng: random.Random
    low: int
    high: int
    #: (Unicode, ASCII) registered domain of every firm: some links go to firms, in new spellings
    firms: list[tuple[str, str]]
    hosts: list[_Host] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.hosts = host_pool({domain for domain, _ in self.firms})
        # Zipf-like popularity: a few hosts take most of the absolute links, as on the web
        self._cum: list[float] = []
        total = 0.0
        for rank in range(len(self.hosts)):
            total += 1.0 / (rank + 1) ** 0.8
            self._cum.append(total)

    def pad(self, page: Page, own_host: str) -> None:
        """Add links to ``page`` (a section before its footer) until it has the drawn number."""
        have = len(page.head) + sum(1 for _ in page.body_links())
        want = self.rng.randint(self.low, self.high)
        if have >= want:
            return
        section = Section("section", ["Related links"])
        for _ in range(want - have):
            section.items.append(self.link(page, own_host))
        at = len(page.sections) - 1 if len(page.sections) > 1 else len(page.sections)
        page.sections.insert(at, section)

    def link(self, page: Page, own_host: str) -> Link:
        r = self.rng.random()
        if r < 0.05:
            return self._firm()
        if r < 0.55:
            return self._absolute()
        if r < 0.80:
            return self._relative(page.domain)
        if r < 0.86:
            return self._protocol_relative(page.domain, own_host)
        if r < 0.92:
            return Link("a", self.rng.choice(_NO_HOST), None, "Contact")
        return self._malformed(page.domain)

    def _host(self) -> _Host:
        return self.rng.choices(self.hosts, cum_weights=self._cum)[0]

    def _absolute(self) -> Link:
        rng = self.rng
        h = self._host()
        scheme = "https" if rng.random() < 0.75 else "http"
        name = h.name(unicode=rng.random() < 0.5)
        url = f"{scheme}://{name}{rng.choice(_PATHS)}"
        r = rng.random()
        if r < 0.1:
            return Link("img", url.rstrip("/") + "/logo.png", h.domain, "")
        if r < 0.13:
            return Link("script", f"{scheme}://{name}/js/widget.js?v={rng.randint(1, 9)}", h.domain)
        return Link("a", url, h.domain, rng.choice(("Read more", "  News\n", h.label, "")))

    def _firm(self) -> Link:
        """A link to a firm in a spelling :meth:`Web.firm_href` does not use."""
        rng = self.rng
        domain, ascii_domain = rng.choice(self.firms)
        d = domain if rng.random() < 0.3 else ascii_domain
        forms = (
            f"//www.{d}/partner",
            f"HTTP://WWW.{d.upper()}./Partner",
            f"https://user@shop.{d}:443/x",
            f"https://www.{d}/a b/c d",
            f"h\tttps://www.{d}/",
            f"https://m.{d}:99999/",
            f"https://{d}?utm=1#top",
        )
        return Link("a", rng.choice(forms), domain, "Our partner")

    def _relative(self, own: str) -> Link:
        rng = self.rng
        href = rng.choice(_RELATIVE)
        if rng.random() < 0.3:
            return Link("img", f"/media/{rng.randint(1, 500)}.webp", own, "photo")
        return Link("a", href, own, rng.choice(("Next", "Back", "More\tinfo", "Top")))

    def _protocol_relative(self, own: str, own_host: str) -> Link:
        rng = self.rng
        if rng.random() < 0.3:
            return Link("a", f"//{own_host}/static/doc.pdf", own, "PDF")
        h = self._host()
        return Link("a", f"//{h.name(unicode=False)}{rng.choice(_PATHS)}", h.domain, "Partner")

    def _malformed(self, own: str) -> Link:
        """Hrefs real pages carry that are not well-formed URLs, with an undisputed target."""
        rng = self.rng
        h = self._host()
        name = h.name(unicode=False)
        forms: tuple[tuple[str, str | None], ...] = (
            (f"https://{name}/search results/page 1.html", h.domain),  # spaces
            (f"  https://{name}/padded  ", h.domain),  # surrounding whitespace
            (f"https://{name}/a(b/c[d", h.domain),  # unbalanced brackets in the path
            (f"http://{name}:99999/bad-port", h.domain),  # port out of range
            (f"http://{name}:80abc/bad-port", h.domain),  # port not a number
            (f"HTTPS://{name.upper()}/Upper", h.domain),  # upper-case scheme and host
            (f"https://user:secret@{name}/login", h.domain),  # userinfo
            (f"https://{name}./trailing-dot", h.domain),  # fully qualified host
            (f"h\nttps://{name}/split", h.domain),  # newline inside the scheme
            ("/path/with\ttab/and\nnewline", own),  # control characters (dropped)
            ("/percent%20encoded/%E2%82%AC/x%zz", own),  # valid and invalid escapes
            ("http:///no-host", None),  # empty authority
            ("https://", None),
            ("http://[::1/unclosed", None),  # unbalanced IPv6 bracket
            ("http://192.168.0.1/router", None),  # an IP has no registered domain
            ("https://localhost:8080/dev", None),
            ("https://-/", None),
        )
        href, target = rng.choice(forms)
        return Link("a", href, target, "link")
