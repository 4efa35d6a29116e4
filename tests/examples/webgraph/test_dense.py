"""The realistic link density of the sample (``links_per_page``) and the fast WAT path on it."""

from __future__ import annotations

import importlib.util
import json
import random
import shutil
from collections import Counter
from pathlib import Path
from types import ModuleType
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from webgraph import extract as extract_module
from webgraph import records as records_module
from webgraph import urls as urls_module
from webgraph import wat_fast
from webgraph.extract import (
    ExtractStats,
    Link,
    Page,
    _careful_wat_page,
    _wat_links,
    _wat_page,
    extract_warc,
    extract_wat,
)
from webgraph.sample import SampleInfo, generate_sample
from webgraph.sample_html import Page as PlannedPage
from webgraph.sample_links import Filler, host_pool, parse_range
from webgraph.urls import _parse_base, clear_caches, resolve_link, url_domain
from webgraph.wat_fast import _links


@pytest.fixture(scope="module")
def dense(tmp_path_factory: pytest.TempPathFactory) -> SampleInfo:
    out = tmp_path_factory.mktemp("dense")
    return generate_sample(
        out,
        crawls=1,
        files_per_crawl=1,
        firms=24,
        pages_per_crawl=300,
        seed=13,
        corrupt=False,
        links_per_page=(50, 80),
    )


def _manifest(info: SampleInfo) -> dict[str, Any]:
    result: dict[str, Any] = json.loads((info.expected_dir / "manifest.json").read_text())
    return result


def _sorted(links: list[Link]) -> list[Link]:
    return sorted(links, key=lambda x: (x.kind, x.target_url, x.anchor_text))


def test_pages_have_50_to_80_links(dense: SampleInfo) -> None:
    pages = list(extract_wat(str(dense.wat_files[0]), ExtractStats()))
    counts = [len(p.links) for p in pages]
    assert min(counts) >= 50
    assert sorted(counts)[len(counts) // 2] <= 80  # directory pages have more
    assert _manifest(dense)["params"]["links_per_page"] == [50, 80]


def test_wat_and_warc_modes_agree_on_a_dense_sample(dense: SampleInfo) -> None:
    wat = {p.url: p for p in extract_wat(str(dense.wat_files[0]), ExtractStats())}
    warc = {p.url: p for p in extract_warc(str(dense.warc_files[0]), ExtractStats())}
    assert wat.keys() == warc.keys() and len(wat) > 200
    for url, page in wat.items():
        assert (page.domain, page.title) == (warc[url].domain, warc[url].title)
        assert _sorted(page.links) == _sorted(warc[url].links), url


def _graph(pages: list[Page], domains: set[str]) -> list[tuple[str, str, int, int]]:
    n_links: Counter[tuple[str, str]] = Counter()
    sources: dict[tuple[str, str], set[str]] = {}
    for page in pages:
        if page.domain not in domains:
            continue
        for link in page.links:
            dst = link.target_domain
            if link.kind == "a" and dst in domains and dst != page.domain:
                n_links[(page.domain, dst)] += 1
                sources.setdefault((page.domain, dst), set()).add(page.url)
    return sorted((s, d, n, len(sources[(s, d)])) for (s, d), n in n_links.items())


def test_expected_graph_equals_what_extraction_yields(dense: SampleInfo) -> None:
    pages = list(extract_wat(str(dense.wat_files[0]), ExtractStats()))
    crawl = dense.crawl_ids[0]
    for stem in dense.seed_stems:
        nodes = dense.expected_dir / "nodes" / f"seeds={stem}.csv"
        domains = {line.rsplit(",", 1)[1] for line in nodes.read_text().splitlines()[1:]}
        aggr = dense.expected_dir / "graph_aggr" / f"crawl={crawl}" / f"seeds={stem}.csv"
        expected = [
            (s, d, int(n), int(p))
            for s, d, n, p in (line.split(",") for line in aggr.read_text().splitlines()[1:])
        ]
        assert expected and _graph(pages, domains) == expected, stem


@pytest.mark.parametrize("page_url", ["https://www.own-firm.co.uk/news/a-1", "http://own.de/"])
def test_every_filler_link_resolves_into_its_planned_domain(page_url: str) -> None:
    own = "own-firm.co.uk" if "co.uk" in page_url else "own.de"
    puny = "xn--" + "bücher-müller".encode("punycode").decode("ascii") + ".de"
    firms = [("bücher-müller.de", puny), ("acme-tools.com", "acme-tools.com")]
    filler = Filler(random.Random(1), 50, 80, firms)
    page = PlannedPage(page_url, own, "t", "d")
    kinds: Counter[str] = Counter()
    for _ in range(4000):
        link = filler.link(page, page_url.split("/", 3)[2])
        kinds[link.kind] += 1
        assert url_domain(resolve_link(link.url, page_url)) == link.target, link.url
    assert set(kinds) == {"a", "img", "script"}


def test_host_pool_is_large_varied_and_avoids_firms() -> None:
    hosts = host_pool({"northmedia.com"})
    domains = {h.domain for h in hosts}
    assert len(hosts) > 200 and len(domains) > 150
    assert "northmedia.com" not in domains
    assert any(d.endswith(".co.uk") for d in domains) and any(not d.isascii() for d in domains)
    assert any(h.sub.count(".") for h in hosts)  # deeper subdomains


def test_parse_range_and_bad_ranges(tmp_path: Path) -> None:
    assert parse_range("50-80") == (50, 80) and parse_range("60") == (60, 60)
    for bad in ("x", "80-50", "0-3", "5-"):
        with pytest.raises(ValueError):
            parse_range(bad)
    with pytest.raises(ValueError, match="links_per_page"):
        generate_sample(tmp_path, links_per_page=(9, 3))


def test_default_sample_ignores_the_option(tmp_path: Path) -> None:
    kwargs: dict[str, Any] = {"crawls": 1, "files_per_crawl": 1, "firms": 12, "pages_per_crawl": 40}
    a = generate_sample(tmp_path / "a", **kwargs)
    b = generate_sample(tmp_path / "b", links_per_page=None, **kwargs)
    assert a.wat_files[0].read_bytes() == b.wat_files[0].read_bytes()
    assert "links_per_page" not in _manifest(a)["params"]


# --- the fast WAT path against the careful one --------------------------------------------------

_PATHS = ["A@/href", "IMG@/src", "LINK@/href", "SCRIPT@/src", "a@/HREF", "DIV@/background", "x"]
_PREFIXES = [
    "", "/", "//", "#", "?", "./", "../", "http://", "https://", "HTTPS://", "mailto:", "h\nttp://",
    " ", "//host.co.uk/", "https://a.b.example.com", "http://[::1", "http:///", "x:",
]  # fmt: skip
_hrefs = st.builds(
    lambda p, r: p + r,
    st.sampled_from(_PREFIXES),
    # the compiled character tests' edges: controls, DEL, C1, non-breaking and Unicode spaces
    st.text(alphabet="ab./?#:\t\n @%é~\x7f\x00\x85\xa0\u2028;", max_size=10),
)
_entries = st.lists(
    st.fixed_dictionaries(
        {"path": st.sampled_from(_PATHS), "url": _hrefs},
        optional={
            "text": st.text(alphabet="ab \t\n»\x0b\x1c\x1f\x00\xa0\u2028~", max_size=6),
            "alt": st.just("x"),
        },
    ),
    max_size=8,
)
_pages = st.sampled_from(
    [
        "http://www.alpha.com/a/b.html",
        "https://x.example.co.uk",
        "http://a/b/c/d;p?q#f",
        "ftp://f/x",
    ]
)


def _doc(url: str, head: dict[str, Any], links: Any) -> bytes:
    meta = {"Head": head, "Links": links}
    envelope = {
        "WARC-Header-Metadata": {"WARC-Target-URI": url},
        "Payload-Metadata": {"HTTP-Response-Metadata": {"HTML-Metadata": meta}},
    }
    return orjson.dumps({"Envelope": envelope})


def _interpreted(name: str) -> ModuleType:
    """A webgraph module run from its source by the interpreter, beside its compiled twin."""
    source = Path(extract_module.__file__).with_name(f"{name}.py")
    spec = importlib.util.spec_from_file_location(f"webgraph._interpreted_{name}", source)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_wat_fast_py = _interpreted("wat_fast")


def test_the_hot_path_is_compiled_from_the_current_sources() -> None:
    """``make setup`` compiles it; a compiled module shadows an edited .py until rebuilt."""
    if not (shutil.which("cc") or shutil.which("gcc")):
        pytest.skip("no C compiler: the hot path runs interpreted (examples/setup.py)")
    assert wat_fast.COMPILED and not _wat_fast_py.COMPILED
    for module in (wat_fast, urls_module, extract_module, records_module):
        compiled = Path(module.__file__ or "")
        assert compiled.suffix == ".so", f"{module.__name__} is not compiled: run make setup"
        source = compiled.with_name(module.__name__.rsplit(".", 1)[1] + ".py")
        assert compiled.stat().st_mtime >= source.stat().st_mtime, f"{compiled}: run make setup"


@given(_pages, _entries, _entries, st.sampled_from([None, "/sub/", "https://other.de/x/"]))
@settings(max_examples=300, deadline=None)
def test_fast_links_equal_the_careful_links(
    page: str, links: list[dict[str, str]], head_links: list[dict[str, str]], base: str | None
) -> None:
    head: dict[str, Any] = {"Title": " A  title ", "Link": head_links}
    if base is not None:
        head["Base"] = base
    body = _doc(page, head, links)
    args = (body, extract_module._kinds, extract_module._kind, Page, extract_module._collapse)
    for _ in range(2):  # cold, then warm caches
        fast = _wat_page(body)
        assert fast == _careful_wat_page(body)
        # the same source run by the interpreter (where the compiled module is missing)
        assert _wat_fast_py.decode_page(*args) == wat_fast.decode_page(*args)
    clear_caches()
    _wat_fast_py.clear_caches()


@pytest.mark.parametrize(
    "body",
    [
        _doc("http://e.com/", {"Title": 3}, []),
        _doc("http://e.com/", None, [{"path": "A@/href", "url": "/x"}]),  # type: ignore[arg-type]
        _doc(
            "http://e.com/", {}, [{"path": "A@/href", "url": 5}, {"path": "A@/href", "url": "/y"}]
        ),
        _doc("http://e.com/", {}, [{"url": "/x"}, "junk", {"path": "A@/href", "url": "/y"}]),
        _doc("http://e.com/", {}, [{"path": ["A@/href"], "url": "/x"}]),
        _doc("http://e.com/", {}, [{"path": "A@/href", "url": "/x", "text": 7}]),
        _doc("http://e.com/", {"Link": {"path": "LINK@/href"}}, None),
        _doc("http://e.com/", {"Base": 1}, [{"path": "A@/href", "url": "x"}]),
        b'{"Envelope": {"WARC-Header-Metadata": {"WARC-Target-URI": 1}}}',
        b'{"Envelope": []}',
        b"[1, 2]",
        b'{"Envelope": "\xff"}',
        _doc("http://e.com/", {}, [{"path": "A@/href", "url": "/x"}])[:-3],
        _doc(
            "http://e.com/", {"Title": "caf\u00e9 \u00bb"}, [{"path": "A@/href", "url": "\u00e9"}]
        ),
        _doc("http://e.com/", {}, [{"path": "A@/href", "url": "/x", "x": "?"}]).replace(
            b'"x":"?"', b'"x":"\\ud800"'
        ),  # a lone surrogate escape
    ],
)
def test_odd_documents_give_what_the_careful_path_gives(body: bytes) -> None:
    assert _wat_page(body) == _careful_wat_page(body)


def test_invalid_utf8_in_a_skipped_field_is_rejected_like_orjson() -> None:
    body = _doc("http://e.com/", {}, [{"path": "A@/href", "url": "/x"}]).replace(
        b'"Links"', b'"Junk":"\xed\xa0\x80","Links"'
    )
    assert _careful_wat_page(body) is None and _wat_page(body) is None


def test_fast_and_careful_link_lists_are_the_same_objects_in_kind() -> None:
    entries = [{"path": "A@/href", "url": "https://www.x.co.uk/", "text": " a\n b "}]
    base = _parse_base("http://e.com/", None)
    page = _wat_page(_doc("http://e.com/", {}, entries))
    assert page is not None and page.links == _wat_links((entries,), base)
    assert all(type(link) is Link for link in page.links)
    columns: tuple[list[str], list[str | None], list[str], list[str]] = ([], [], [], [])
    _links((None,), base, {}, lambda p: None, columns)
    assert columns == ([], [], [], [])
