"""The synthetic web of :mod:`webgraph.sample`: firms, third-party sites, seed lists, pages.

Everything is drawn from one ``random.Random`` in a fixed order (no iteration over sets), so
a seed always gives the same web. Each planned link records the registered domain it resolves
into; the rules are those of the pipeline (eTLD+1 of the host, Unicode, case-insensitive, any
scheme, port, query or fragment), applied here by construction.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from webgraph.sample_html import Link, Page, Section
from webgraph.sample_links import Filler

__all__ = ["JUNK_URLS", "Firm", "Web", "make_firms", "seed_rows"]

_FIRST = (
    "Acme", "Nordlicht", "Bright", "Silver", "Blue River", "Granite", "Harbor", "Summit",
    "Pioneer", "Evergreen", "Cobalt", "Maple", "Atlas", "Orion", "Vertex", "Lumen", "Kestrel",
    "Juniper", "Redwood", "Polar", "Sunrise", "Iron", "Coastal", "Alpine", "Meridian",
    "Northwind", "Crescent", "Falcon", "Golden", "Quantum",
)  # fmt: skip
_SECOND = (
    "Tools", "Energie", "Foods", "Logistics", "Software", "Textiles", "Robotics", "Pharma",
    "Consulting", "Analytics", "Motors", "Design", "Bau", "Medical", "Systems", "Labs",
    "Brewing", "Capital", "Optics", "Solar",
)  # fmt: skip
_SURNAMES = ("Smith", "Jones", "Miller", "Taylor", "Brown", "Wilson", "Clarke", "Walker", "Evans")
#: (public suffix, legal form, weight)
_SUFFIXES = (
    ("com", "Inc.", 8), ("de", "GmbH", 4), ("co.uk", "Ltd", 3), ("com.au", "Pty Ltd", 2),
    ("fr", "SAS", 1), ("nl", "B.V.", 1), ("dk", "ApS", 1), ("se", "AB", 1), ("ch", "AG", 1),
    ("io", "", 1), ("it", "S.r.l.", 1), ("at", "GmbH", 1), ("ca", "Inc.", 1),
)  # fmt: skip
#: IDN firms: only characters that survive str.lower() and the IDNA round trip
_IDN_FIRMS = (
    ("Bücher Müller", "bücher-müller", "de", "GmbH"),
    ("Café Øresund", "café-øresund", "dk", "ApS"),
    ("Åkerlund Växt", "åkerlund-växt", "se", "AB"),
    ("Schön & Söhne Möbel", "schön-möbel", "de", "GmbH"),
    ("Gärtnerei Kälin", "gärtnerei-kälin", "ch", "AG"),
)
#: seed rows that name no registrable domain (each gets its own firm id)
JUNK_URLS = ("", "not a url", "http://", "localhost", "192.168.20.14", "foo.invalidtld-xyz")
_THIRD_SITES = (
    "news-portal.net", "business-index.org", "tech-review-daily.com", "city-gazette.co.uk",
)  # fmt: skip
_FILLER_WORDS = (
    "metro", "daily", "market", "trade", "global", "local", "smart", "green", "open", "prime",
)  # fmt: skip
_WORDS = (
    "quality", "solutions", "customers", "partners", "innovation", "service", "delivery",
    "experience", "project", "team", "sustainable", "regional", "growth", "products", "industry",
    "reliable", "engineering", "support", "contact", "history", "values", "future", "production",
    "network", "quarterly", "report", "award", "certified", "local",
)  # fmt: skip
_INTERNAL = (
    ("/", "Home"), ("/about", "About us"), ("/products", "Products"), ("/contact", "Contact"),
    ("page2.html", "Next page"), ("../x", "Up"), ("?q=1", "Filter"), ("#top", "Back to top"),
    ("./team.html", "Our team"), ("services/consulting", "Consulting"), ("/en/", "English"),
    ("/search?q=tools&page=2", "Search"), ("#", "Menu"), ("/imprint", "Imprint"),
    ("/privacy", "Privacy & cookies"),
)  # fmt: skip
_ANCHORS = (
    "{name}", "\n      {name}\n    ", "Partner: {name} & co.", "{name} <new>", "Visit   {name}",
    "here", "Click\there", "{name}\t»",
)  # fmt: skip


def _slug(text: str) -> str:
    words = "".join(c if c.isalnum() else " " for c in text.lower()).split()
    return "-".join(words)


@dataclass(eq=False)
class Firm:
    firm_id: str
    name: str
    #: registrable label (Unicode) and public suffix: domain = label.suffix
    label: str
    suffix: str
    #: host prefixes ("" is the bare domain); the first is the main host
    subs: list[str]
    whale: bool = False
    directory: bool = False
    weight: float = 1.0
    partners: list[Firm] = field(default_factory=list)

    @property
    def domain(self) -> str:
        return f"{self.label}.{self.suffix}"

    @property
    def idn(self) -> bool:
        return not self.label.isascii()

    @property
    def ascii_label(self) -> str:
        return "xn--" + self.label.encode("punycode").decode("ascii") if self.idn else self.label

    @property
    def ascii_domain(self) -> str:
        return f"{self.ascii_label}.{self.suffix}"

    def host(self, sub: str, unicode: bool = False) -> str:
        domain = self.domain if unicode else self.ascii_domain
        return f"{sub}.{domain}" if sub else domain


def make_firms(rng: random.Random, n: int) -> list[Firm]:
    """``n`` firms with distinct domains, a few IDN, 2-3 whales, Zipf-like page weights."""
    n_idn = max(1, min(len(_IDN_FIRMS), n // 8))
    specs = [(f"{name} {legal}", label, suffix) for name, label, suffix, legal in _IDN_FIRMS]
    specs = specs[:n_idn]
    used = {label + "." + suffix for _, label, suffix in specs}
    suffixes = [s for s, _, _ in _SUFFIXES]
    weights = [w for _, _, w in _SUFFIXES]
    while len(specs) < n:
        suffix = rng.choices(suffixes, weights)[0]
        legal = next(lg for s, lg, _ in _SUFFIXES if s == suffix)
        if rng.random() < 0.15:
            a, b = rng.sample(_SURNAMES, 2)
            base = f"{a}, {b} & Partners"
        else:
            base = f"{rng.choice(_FIRST)} {rng.choice(_SECOND)}"
        label = _slug(base)
        if label + "." + suffix in used:
            continue
        used.add(label + "." + suffix)
        sep = ", " if legal in ("Inc.", "Ltd") and rng.random() < 0.4 else " "
        specs.append((f"{base}{sep}{legal}".strip(), label, suffix))
    rng.shuffle(specs)
    firms = []
    for i, (name, label, suffix) in enumerate(specs):
        main = "www" if rng.random() < 0.7 else ""
        extra = rng.sample(["shop", "blog", "en"], rng.randint(0, 3))
        firms.append(Firm(f"F{i + 1:04d}", name, label, suffix, [main, *extra]))
    n_whales = 3 if n >= 30 else 2
    for rank, firm in enumerate(rng.sample(firms, len(firms))):
        firm.whale = rank < n_whales
        firm.weight = 1.0 / (rank + 1 - n_whales) ** 0.7 if not firm.whale else 0.0
        firm.directory = firm.whale or rng.random() < 0.15
    others = sum(f.weight for f in firms)
    for firm in firms:  # whales hold ~45% of the firm pages
        firm.weight = 0.45 / n_whales if firm.whale else 0.55 * firm.weight / others
    whales = [f for f in firms if f.whale]
    for firm in firms:
        pool = [f for f in firms if f is not firm]
        picks = rng.sample(pool, min(len(pool), rng.randint(3, 8)))
        firm.partners = [*[w for w in whales if w is not firm and w not in picks], *picks]
    return firms


def _seed_url(firm: Firm, form: int) -> str:
    d = firm.domain
    forms = (
        d,
        f"www.{d}",
        f"HTTPS://WWW.{d.upper()}",
        f"https://www.{d}/about-us",
        f"http://{d}/?utm_source=list&lang=en",
        f"https://{d}/",
        f"blog.{d}/x",
        f"http://www.{d}/en/index.html#contact",
        f"WWW.{d.upper()}/Contact?ref=Seeds",
        f"shop.{d}",
    )
    return forms[form % len(forms)]


def seed_rows(
    rng: random.Random, members: list[Firm], offset: int
) -> tuple[list[tuple[str, str, str]], int]:
    """Rows (firm_id, name, url) of one seed list, shuffled, and the number of invalid rows.

    Every firm gets a valid row (variants cycle so that a list of ten firms shows them all),
    IDN firms one Unicode and one punycode row, a quarter of the firms a duplicate row with
    another variant; then the junk rows of :data:`JUNK_URLS` with their own firm ids.
    """
    rows: list[tuple[str, str, str]] = []
    for i, firm in enumerate(members):
        if firm.idn:
            rows.append((firm.firm_id, firm.name, f"https://www.{firm.domain}/"))
            puny = firm.ascii_domain.upper() if rng.random() < 0.5 else firm.ascii_domain
            rows.append((firm.firm_id, firm.name, f"{puny}/kontakt"))
            continue
        rows.append((firm.firm_id, firm.name, _seed_url(firm, i + offset)))
        if rng.random() < 0.25:
            rows.append((firm.firm_id, firm.name, _seed_url(firm, i + offset + rng.randint(1, 9))))
    junk_names = ("Unknown Ltd", "Test, entry", "(no website)", "Intranet", "Private", "Foo Inc.")
    for i, (url, name) in enumerate(zip(JUNK_URLS, junk_names, strict=True)):
        rows.append((f"X{i + 1:04d}", name, url))
    rng.shuffle(rows)
    return rows, len(JUNK_URLS)


def _sentence(rng: random.Random, n: int) -> str:
    words = [rng.choice(_WORDS) for _ in range(n)]
    return " ".join(words).capitalize() + "."


@dataclass
class Web:
    """Plans pages: firm pages with their links, third-party pages, directories."""

    rng: random.Random
    firms: list[Firm]
    fillers: list[str] = field(default_factory=list)
    #: tops pages up to a realistic link count (``links_per_page``); None keeps them as planned
    filler: Filler | None = None

    def __post_init__(self) -> None:
        domains = {f.domain for f in self.firms}
        taken = domains | {f"not{f.label}.{f.suffix}" for f in self.firms}
        self.fillers = [
            d
            for d in (f"{a}-{b}.net" for a in _FILLER_WORDS for b in _FILLER_WORDS if a != b)
            if d not in taken
        ]
        self._cum = []
        total = 0.0
        for firm in self.firms:
            total += firm.weight
            self._cum.append(total)

    def pick_owner(self) -> Firm:
        return self.rng.choices(self.firms, cum_weights=self._cum)[0]

    def pick_target(self, src: Firm | None) -> Firm:
        rng = self.rng
        r = rng.random()
        if src is not None and r < 0.55:
            return rng.choice(src.partners)
        pool = [f for f in self.firms if f.whale] if r < 0.75 else self.firms
        while True:
            firm = rng.choice(pool)
            if firm is not src:
                return firm

    # --- hrefs: (url, registered domain it resolves into) ----------------------------------

    def firm_href(self, g: Firm) -> str:
        """A link to firm ``g`` in one of many spellings, all resolving into ``g.domain``."""
        rng = self.rng
        d = g.domain if g.idn and rng.random() < 0.5 else g.ascii_domain
        n = rng.randint(1, 999)
        forms = (
            f"https://www.{d}/",
            f"http://{d}",
            f"https://shop.{d}/products?id={n}&ref=partner",
            f"//www.{d}/contact",
            f"HTTPS://WWW.{d.upper()}/About",
            f"http://{d}:8080/catalog/{n}",
            f"https://{d}/#team",
            f"https://blog.{d}/2025/11/news-{n}",
            f"https://en.{d}?lang=en",
            f" https://www.{d}/ ",
            f"https://shop.{d}/cart?item={n}#reviews",
            f"http://{g.host(g.subs[-1], unicode=d == g.domain)}/",
        )
        return rng.choice(forms)

    def third_href(self, g: Firm | None) -> tuple[str, str]:
        rng = self.rng
        slug = _slug(g.name) if g is not None else "acme"
        d = g.ascii_domain if g is not None else "acme-tools.com"
        n = rng.randint(1, 9999)
        forms = (
            (f"https://www.facebook.com/{slug}", "facebook.com"),
            (f"https://www.linkedin.com/company/{slug}/", "linkedin.com"),
            (f"https://twitter.com/{slug}", "twitter.com"),
            (f"https://en.wikipedia.org/wiki/{slug}", "wikipedia.org"),
            (f"https://www.news-portal.net/business/2025/{slug}-{n}.html", "news-portal.net"),
            (f"https://www.trustpilot.com/review/www.{d}", "trustpilot.com"),
            (f"https://web.archive.org/web/2025/https://www.{d}/", "archive.org"),
            (f"https://maps.google.com/?q={slug}&hl=en", "google.com"),
            (f"https://www.youtube.com/watch?v=v{n}", "youtube.com"),
        )
        if rng.random() < 0.3:
            filler = rng.choice(self.fillers)
            return f"https://www.{filler}/{slug}", filler
        return rng.choice(forms)

    def trap_href(self, g: Firm, own: Firm) -> tuple[str, str | None]:
        """Hrefs that mention another firm but never resolve into it."""
        rng = self.rng
        forms: tuple[tuple[str, str | None], ...] = (
            (f"mailto:info@{g.ascii_domain}", None),
            (f"tel:+49{rng.randint(100000, 999999)}", None),
            ("javascript:void(0)", None),
            ("#", own.domain),
            (f"https://{g.ascii_domain}.evil-mirror.net/login", "evil-mirror.net"),
            (f"https://not{g.label}.{g.suffix}/", f"not{g.label}.{g.suffix}"),
        )
        return rng.choice(forms)

    def anchor(self, g: Firm) -> str:
        return self.rng.choice(_ANCHORS).format(name=g.name)

    # --- pages -------------------------------------------------------------------------------

    def firm_page(
        self, firm: Firm, url: str, *, directory: bool = False, firm_links: int | None = None
    ) -> Page:
        """A page of ``firm``: head, nav, main (links to firms and others), footer."""
        rng = self.rng
        own = firm.domain
        host = url.split("/", 3)[2]
        scheme = url.split(":", 1)[0]
        words = rng.choice(_WORDS)
        page = Page(url, own, f"{firm.name} | {words.title()} & more", _sentence(rng, 8))
        if rng.random() < 0.05:
            page.base = f"https://www.{firm.ascii_domain}/sub/"
        head = page.head
        head.append(Link("link", "/static/css/site.css", own, rel="stylesheet"))
        if rng.random() < 0.5:
            css = "https://cdn.jsdelivr.net/npm/bootstrap@5/dist/css/bootstrap.min.css"
            head.append(Link("link", css, "jsdelivr.net", rel="stylesheet"))
        head.append(Link("link", url, own, rel="canonical"))
        if rng.random() < 0.15:
            g = self.pick_target(firm)
            head.append(Link("link", f"https://www.{g.ascii_domain}/", g.domain, rel="preconnect"))
        head.append(Link("script", "/static/js/app.js?v=3&min=1", own))
        if rng.random() < 0.4:
            gtm = f"https://www.googletagmanager.com/gtag/js?id=G-{rng.randint(1000, 9999)}"
            head.append(Link("script", gtm, "googletagmanager.com"))
        if rng.random() < 0.1:
            g = self.pick_target(firm)
            head.append(Link("script", f"https://shop.{g.ascii_domain}/widget.js", g.domain))

        nav = Section("nav")
        for href, text in rng.sample(_INTERNAL, rng.randint(5, 10)):
            nav.items.append(Link("a", href, own, text))
        for sub in firm.subs:
            if rng.random() < 0.4:
                nav.items.append(Link("a", f"https://{firm.host(sub)}/", own, sub or "Start"))
        if rng.random() < 0.3:
            nav.items.append(Link("a", f"//{host}/static/brochure.pdf", own, "Brochure (PDF)"))
        nav.items.append(Link("a", f"{scheme}://{host}/careers", own, "Careers"))

        main = Section("main")
        n_firm = firm_links if firm_links is not None else rng.choice((0, 1, 2, 2, 3, 4, 5, 6, 8))
        for _ in range(rng.randint(2, 4)):
            main.items.append(_sentence(rng, rng.randint(12, 40)))
        for _ in range(n_firm):
            g = self.pick_target(firm)
            title = f"{g.name} & friends" if rng.random() < 0.1 else None
            main.items.append(Link("a", self.firm_href(g), g.domain, self.anchor(g), title=title))
            if rng.random() < 0.3:
                main.items.append(_sentence(rng, rng.randint(6, 20)))
        if n_firm and rng.random() < 0.15:  # the same link twice on one page: both count
            dup = next(x for x in main.items if isinstance(x, Link) and x.target != own)
            main.items.append(Link("a", dup.url, dup.target, dup.text, title=dup.title))
        for _ in range(rng.randint(0, 3)):
            href, dom = self.third_href(self.pick_target(firm))
            main.items.append(Link("a", href, dom, rng.choice(("Read more", "Source", "Review"))))
        if rng.random() < 0.5:
            href, trap = self.trap_href(self.pick_target(firm), firm)
            main.items.append(Link("a", href, trap, "Contact\n our partner"))
        for i in range(rng.randint(1, 4)):
            r = rng.random()
            if r < 0.1:
                g = self.pick_target(firm)
                img = Link("img", f"https://www.{g.ascii_domain}/logo.png", g.domain, g.name)
            elif r < 0.3:
                img = Link("img", f"https://cdn-static.net/img/{i}.jpg", "cdn-static.net", "")
            else:
                img = Link("img", f"/img/photo-{i}.jpg", own, f"Photo {i} <b>")
            main.items.append(img)
        if rng.random() < 0.2:
            if rng.random() < 0.3:
                g = self.pick_target(firm)
                form = Link("form", f"https://www.{g.ascii_domain}/newsletter", g.domain)
            else:
                form = Link("form", "/search", own)
            main.items.append(form)
        page.sections += [nav, main]

        if directory:
            aside = Section("aside", ["Our partners & suppliers:"])
            for _ in range(rng.randint(150, 400)):
                if rng.random() < 0.7:
                    g = rng.choice(self.firms)
                    if g is not firm:
                        aside.items.append(Link("a", self.firm_href(g), g.domain, g.name))
                else:
                    href, dom = self.third_href(None)
                    aside.items.append(Link("a", href, dom, "Supplier"))
            page.sections.append(aside)

        footer = Section("footer")
        for href, dom in rng.sample(
            [
                (f"https://www.facebook.com/{_slug(firm.label)}", "facebook.com"),
                (f"https://www.linkedin.com/company/{_slug(firm.label)}", "linkedin.com"),
                (f"https://twitter.com/{_slug(firm.label)}", "twitter.com"),
            ],
            rng.randint(1, 3),
        ):
            footer.items.append(Link("a", href, dom, "Follow us"))
        footer.items.append(Link("a", "/imprint", own, "Imprint"))
        footer.items.append(Link("a", f"mailto:sales@{firm.ascii_domain}", None, "Mail us"))
        footer.items.append(f"© 2026 {firm.name}")
        page.sections.append(footer)
        if self.filler is not None:
            self.filler.pad(page, host)
        return page

    def third_page(self, site: str, url: str, *, directory: bool = False) -> Page:
        """A page of a third-party site linking to firms (never counted: not a seed source)."""
        rng = self.rng
        page = Page(url, site, f"{site} - business news", _sentence(rng, 10))
        page.head.append(Link("link", "/assets/main.css", site, rel="stylesheet"))
        page.head.append(Link("script", "/assets/main.js", site))
        main = Section("main", [_sentence(rng, 30)])
        n = rng.randint(100, 300) if directory else rng.randint(3, 15)
        for _ in range(n):
            g = self.pick_target(None)
            main.items.append(Link("a", self.firm_href(g), g.domain, self.anchor(g)))
        for _ in range(rng.randint(2, 6)):
            href, dom = self.third_href(rng.choice(self.firms))
            main.items.append(Link("a", href, dom, "Related"))
        main.items.append(Link("a", "/", site, "Home"))
        page.sections.append(main)
        if self.filler is not None:
            self.filler.pad(page, url.split("/", 3)[2])
        return page

    def third_site(self) -> str:
        return self.rng.choice(_THIRD_SITES)
