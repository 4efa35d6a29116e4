"""A synthetic web of firms in the Common Crawl layout, with the exact expected pipeline output.

``generate_sample(out)`` writes::

    out/input/<crawl-id>/warc/<name>.warc.gz      WARC/1.0, one gzip member per record
    out/input/<crawl-id>/wat/<name>.warc.wat.gz   the WAT of each WARC (same <name>)
    out/seeds/<stem>.csv                          firm_id,name,url (messy URLs, junk rows)
    out/expected/graph_aggr/crawl=<id>/seeds=<stem>.csv   src_domain,dst_domain,n_links,n_pages
    out/expected/nodes/seeds=<stem>.csv           firm_id,name,domain
    out/expected/invalid_seed_rows.json           {stem: invalid rows}
    out/expected/manifest.json                    crawls, stems, per-file records, corruption

The expected graph is counted from the generator's plan of every link (see
:mod:`webgraph.sample_web`), not by parsing the files: an ``<a href>`` counts for seed list S
when the page's registered domain and the link's are both seeds of S and differ; ``n_links``
counts links, ``n_pages`` distinct source page URLs. With ``corrupt=True`` the first WARC of
each crawl and its WAT get a gzip member that does not decompress (in the middle) and a record
cut short of its Content-Length (at the end); neither is part of the expected output.

Nothing here imports the pipeline: the expected output must not share its parsing code.
"""

from __future__ import annotations

import csv
import io
import json
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from webgraph.sample_files import HTML_TYPE, TRUNCATED_BYTES, Capture, PairWriter, png
from webgraph.sample_html import Link, Section, render_html
from webgraph.sample_links import Filler
from webgraph.sample_warc import WarcWriter
from webgraph.sample_web import Firm, Web, make_firms, seed_rows

__all__ = ["SEED_STEMS", "SampleInfo", "crawl_ids", "generate_sample"]

SEED_STEMS = ("all_firms", "top_firms")
AGGR_HEADER = ("src_domain", "dst_domain", "n_links", "n_pages")


@dataclass(frozen=True)
class SampleInfo:
    root: Path
    input_dir: Path
    seeds_dir: Path
    expected_dir: Path
    crawl_ids: list[str]
    seed_stems: list[str]
    warc_files: list[Path]
    wat_files: list[Path]
    #: injected corruption over all WARC + WAT files: corrupt_gzip_members, truncated_records
    injected: dict[str, int]


def crawl_ids(n: int) -> list[str]:
    """``CC-MAIN-2026-05``, ``CC-MAIN-2026-13``, ... (one crawl every eight weeks)."""
    out = []
    for i in range(n):
        week = 5 + 8 * i
        out.append(f"CC-MAIN-{2026 + (week - 1) // 52}-{(week - 1) % 52 + 1:02d}")
    return out


def _crawl_start(crawl: str) -> datetime:
    """Crawls are named after their release week; fetching starts three weeks earlier."""
    year, week = (int(x) for x in crawl.rsplit("-", 2)[-2:])
    monday = datetime.fromisocalendar(year, week, 1).replace(tzinfo=UTC)
    return monday - timedelta(weeks=3)


# --- planning a crawl --------------------------------------------------------------------------


class _Planner:
    def __init__(self, web: Web) -> None:
        self.web = web
        self.rng = web.rng
        self.counter = 0
        self.homes: set[str] = set()

    def page_url(self, firm: Firm) -> str:
        rng = self.rng
        sub = firm.subs[0] if rng.random() < 0.6 else rng.choice(firm.subs)
        host = firm.host(sub)
        scheme = "https" if rng.random() < 0.8 else "http"
        if host not in self.homes:
            self.homes.add(host)
            return f"{scheme}://{host}/"
        self.counter += 1
        n = self.counter
        word = rng.choice(("quality", "partners", "award", "report", "team", "product"))
        if sub == "shop":
            path = f"/products/item-{n}"
        elif sub == "blog":
            path = f"/2025/{rng.randint(1, 12):02d}/post-{n}"
        elif sub == "en":
            path = f"/en/page-{n}.html"
        else:
            path = rng.choice(
                (
                    f"/about/team-{n}",
                    f"/news/{word}-{n}",
                    f"/services/{word}-{n}?ref=home&page=2",
                    f"/products/{n}/",
                )
            )
        return f"{scheme}://{host}{path}"

    def html(self, firm: Firm, *, directory: bool = False) -> Capture:
        url = self.page_url(firm)
        page = self.web.firm_page(firm, url, directory=directory)
        return Capture(url, 200, HTML_TYPE, render_html(page), page)

    def crawl(self, n: int) -> list[Capture]:
        """``n`` captures: firm pages (a few directories), third-party pages, images, redirects."""
        rng, web = self.rng, self.web
        n_third = max(2, n * 6 // 100)
        n_image = max(1, n * 5 // 100)
        n_redirect = max(1, n * 4 // 100)
        n_firm = n - n_third - n_image - n_redirect
        whales = [f for f in web.firms if f.whale]
        out = [self.html(rng.choice(whales), directory=True)]
        for _ in range(n_firm - 1):
            firm = web.pick_owner()
            out.append(self.html(firm, directory=firm.directory and rng.random() < 0.02))
        for i in range(n_third):
            site = web.third_site() if i else "business-index.org"
            self.counter += 1
            url = f"https://www.{site}/articles/{self.counter}"
            directory = site == "business-index.org" and rng.random() < 0.5
            page = web.third_page(site, url, directory=directory)
            out.append(Capture(url, 200, HTML_TYPE, render_html(page), page))
        for _ in range(n_image):
            firm = web.pick_owner()
            self.counter += 1
            url = f"https://{firm.host(firm.subs[0])}/img/photo-{self.counter}.png"
            out.append(Capture(url, 200, "image/png", png(rng)))
        for _ in range(n_redirect):
            firm = web.pick_owner()
            self.counter += 1
            url = f"http://{firm.ascii_domain}/old/page-{self.counter}"
            location = f"https://{firm.host(firm.subs[0])}/page-{self.counter}"
            out.append(Capture(url, 301, None, b"", location=location))
        rng.shuffle(out)
        return out

    def extra(self, firm: Firm, targets: list[Firm], tail: bool) -> Capture:
        """A page of ``firm`` linking to ``targets`` (for injected, never counted records)."""
        self.counter += 1
        url = f"https://{firm.host(firm.subs[0])}/news/interrupted-{self.counter}"
        page = self.web.firm_page(firm, url, firm_links=0)
        main = page.sections[1]
        for g in targets:
            main.items.append(Link("a", self.web.firm_href(g), g.domain, g.name))
        if tail:  # a long last paragraph, where the download gets cut
            filler = " ".join(["lorem ipsum dolor sit amet"] * (TRUNCATED_BYTES // 9))
            page.sections.append(Section("div", [filler]))
        return Capture(url, 200, HTML_TYPE, render_html(page), page)


# --- expected output -----------------------------------------------------------------------


def _count_links(captures: list[Capture], firm_domains: set[str]) -> dict[tuple[str, str], Any]:
    """(src, dst) -> [n_links, set of source URLs], over every pair of distinct firm domains."""
    acc: dict[tuple[str, str], Any] = {}
    for cap in captures:
        page = cap.page
        if page is None or page.domain not in firm_domains:
            continue
        for link in page.a_links():
            dst = link.target
            if dst is None or dst == page.domain or dst not in firm_domains:
                continue
            entry = acc.setdefault((page.domain, dst), [0, set()])
            entry[0] += 1
            entry[1].add(page.url)
    return acc


def _write_csv(path: Path, header: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")


def _top_firms(rng: random.Random, firms: list[Firm]) -> list[Firm]:
    """About 40% of the firms: every whale, at least one IDN firm, the rest at random."""
    whales = [f for f in firms if f.whale]
    others = [f for f in firms if not f.whale]
    top = whales + rng.sample(others, max(1, round(0.4 * len(firms)) - len(whales)))
    if not any(f.idn for f in top):
        top.append(next(f for f in firms if f.idn))
    return sorted(top, key=lambda f: f.firm_id)


def _write_seeds(
    rng: random.Random, members: dict[str, list[Firm]], seeds_dir: Path, expected_dir: Path
) -> dict[str, int]:
    """Seed CSVs and their expected nodes; returns the invalid rows per list."""
    invalid = {}
    for i, stem in enumerate(SEED_STEMS):
        seeds, invalid[stem] = seed_rows(rng, members[stem], offset=3 * i)
        _write_csv(seeds_dir / f"{stem}.csv", ("firm_id", "name", "url"), list(seeds))
        nodes = [(f.firm_id, f.name, f.domain) for f in members[stem]]
        path = expected_dir / "nodes" / f"seeds={stem}.csv"
        _write_csv(path, ("firm_id", "name", "domain"), nodes)
    (expected_dir / "invalid_seed_rows.json").write_text(json.dumps(invalid, indent=2) + "\n")
    return invalid


def _write_expected(
    crawl: str, captures: list[Capture], members: dict[str, list[Firm]], expected_dir: Path
) -> dict[str, Any]:
    """graph_aggr CSVs of one crawl; returns the crawl's manifest entry."""
    counts = _count_links(captures, {f.domain for f in members["all_firms"]})
    pages = [c.page for c in captures if c.page is not None]
    rows_per_stem = {}
    for stem in SEED_STEMS:
        domains = {f.domain for f in members[stem]}
        rows = sorted(
            (src, dst, n, len(urls))
            for (src, dst), (n, urls) in counts.items()
            if src in domains and dst in domains
        )
        _write_csv(
            expected_dir / "graph_aggr" / f"crawl={crawl}" / f"seeds={stem}.csv", AGGR_HEADER, rows
        )
        rows_per_stem[stem] = len(rows)
    return {
        "captures": len(captures),
        "html_pages": len(pages),
        "links": sum(len(p.head) + sum(1 for _ in p.body_links()) for p in pages),
        "a_links": sum(sum(1 for _ in p.a_links()) for p in pages),
        "graph_aggr_rows": rows_per_stem,
    }


def generate_sample(
    out: Path,
    *,
    crawls: int = 2,
    files_per_crawl: int = 2,
    firms: int = 40,
    pages_per_crawl: int = 600,
    seed: int = 7,
    corrupt: bool = True,
    links_per_page: tuple[int, int] | None = None,
) -> SampleInfo:
    """Write the sample under ``out`` (see the module docstring); deterministic per ``seed``.

    ``pages_per_crawl`` counts captured URLs (HTML pages of firms and third parties, images,
    redirects). ``links_per_page=(50, 80)`` tops every HTML page up to a number of links drawn
    from that range, as real pages have (:mod:`webgraph.sample_links`); without it pages keep
    their planned 20-35 links and the sample is the same as before the option existed. Files
    are overwritten, others under ``out`` left alone: use an empty directory.
    """
    if crawls < 1 or files_per_crawl < 1:
        raise ValueError("crawls and files_per_crawl must be at least 1")
    if firms < 6:
        raise ValueError("firms must be at least 6")
    if pages_per_crawl < 20 * files_per_crawl:
        raise ValueError("pages_per_crawl must be at least 20 per file")
    if links_per_page is not None and not 0 < links_per_page[0] <= links_per_page[1]:
        raise ValueError("links_per_page must be a range (low, high) with 0 < low <= high")
    out = Path(out)
    input_dir, seeds_dir, expected_dir = out / "input", out / "seeds", out / "expected"
    rng = random.Random(seed)
    firm_list = make_firms(rng, firms)
    top = _top_firms(rng, firm_list)
    members = {"all_firms": firm_list, "top_firms": top}
    invalid = _write_seeds(rng, members, seeds_dir, expected_dir)

    web = Web(rng, firm_list)
    if links_per_page is not None:
        firm_domains = [(f.domain, f.ascii_domain) for f in firm_list]
        web.filler = Filler(rng, *links_per_page, firm_domains)
    planner = _Planner(web)
    ids = crawl_ids(crawls)
    warc_files: list[Path] = []
    wat_files: list[Path] = []
    files_manifest: list[dict[str, Any]] = []
    crawl_manifest: dict[str, Any] = {}
    injected = {"corrupt_gzip_members": 0, "truncated_records": 0}
    whales = [f for f in firm_list if f.whale]
    for crawl in ids:
        captures = planner.crawl(pages_per_crawl)
        start = _crawl_start(crawl)
        per_file = -(-len(captures) // files_per_crawl)
        for index in range(files_per_crawl):
            t0 = start + timedelta(hours=index)
            t1 = t0 + timedelta(hours=1)
            name = f"CC-MAIN-{t0:%Y%m%d%H%M%S}-{t1:%Y%m%d%H%M%S}-{index:05d}"
            injections = None
            if corrupt and index == 0:  # seed firm pages linking to other seed firms
                owners = rng.sample(whales, 2)
                targets = [f for f in top if f not in owners]
                injections = (
                    planner.extra(owners[0], targets, tail=False),
                    planner.extra(owners[1], targets, tail=True),
                )
            writer = PairWriter(rng, crawl, name, t0 + timedelta(seconds=rng.randint(0, 59)))
            warc_path = input_dir / crawl / "warc" / writer.warc_name
            wat_path = input_dir / crawl / "wat" / writer.wat_name
            warc_path.parent.mkdir(parents=True, exist_ok=True)
            wat_path.parent.mkdir(parents=True, exist_ok=True)
            chunk = captures[index * per_file : (index + 1) * per_file]
            with warc_path.open("wb") as warc_fh, wat_path.open("wb") as wat_fh:
                writer.write(WarcWriter(warc_fh), WarcWriter(wat_fh), chunk, injections)
            warc_files.append(warc_path)
            wat_files.append(wat_path)
            for stats, fmt in ((writer.warc_stats, "warc"), (writer.wat_stats, "wat")):
                files_manifest.append(stats.as_dict(crawl, fmt))
                for key, n in stats.injected.items():
                    injected[key] += n
        crawl_manifest[crawl] = _write_expected(crawl, captures, members, expected_dir)

    params: dict[str, Any] = {
        "crawls": crawls,
        "files_per_crawl": files_per_crawl,
        "firms": firms,
        "pages_per_crawl": pages_per_crawl,
        "seed": seed,
        "corrupt": corrupt,
    }
    if links_per_page is not None:  # absent by default: the default manifest stays as it was
        params["links_per_page"] = list(links_per_page)
    seed_lists = {s: {"firms": len(members[s]), "invalid_rows": invalid[s]} for s in SEED_STEMS}
    manifest = {
        "generator": "webgraph.sample",
        "params": params,
        "crawl_ids": ids,
        "seed_stems": list(SEED_STEMS),
        "seed_lists": seed_lists,
        "crawls": crawl_manifest,
        "files": files_manifest,
        "injected": injected,
    }
    (expected_dir / "manifest.json").write_bytes(
        orjson.dumps(manifest, option=orjson.OPT_INDENT_2) + b"\n"
    )
    return SampleInfo(
        root=out,
        input_dir=input_dir,
        seeds_dir=seeds_dir,
        expected_dir=expected_dir,
        crawl_ids=ids,
        seed_stems=list(SEED_STEMS),
        warc_files=warc_files,
        wat_files=wat_files,
        injected=injected,
    )
