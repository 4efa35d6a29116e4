"""The synthetic Common Crawl sample: file formats, seeds, corruption, determinism, and an
independent recount of the expected graph (urllib + tldextract, not the pipeline's code)."""

from __future__ import annotations

import base64
import csv
import hashlib
import json
import re
import zlib
from collections import Counter
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import orjson
import pytest
import tldextract
from fastwarc.warc import ArchiveIterator

from webgraph.sample import SampleInfo, generate_sample

GZIP_MAGIC = b"\x1f\x8b\x08"
ZERO = {"corrupt_gzip_members": 0, "truncated_records": 0}


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> SampleInfo:
    out = tmp_path_factory.mktemp("clean")
    return generate_sample(
        out, crawls=2, files_per_crawl=2, firms=24, pages_per_crawl=200, seed=11, corrupt=False
    )


@pytest.fixture(scope="module")
def dirty(tmp_path_factory: pytest.TempPathFactory) -> SampleInfo:
    out = tmp_path_factory.mktemp("dirty")
    return generate_sample(out, crawls=2, files_per_crawl=2, firms=30, pages_per_crawl=200, seed=5)


def manifest(info: SampleInfo) -> dict[str, Any]:
    result: dict[str, Any] = json.loads((info.expected_dir / "manifest.json").read_text())
    return result


def file_entry(info: SampleInfo, path: Path) -> dict[str, Any]:
    rel = path.relative_to(info.root).as_posix()
    return next(f for f in manifest(info)["files"] if f["path"] == rel)


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


# --- reading files without the pipeline ---------------------------------------------------------


def split_members(path: Path) -> list[tuple[int, int, bytes | None]]:
    """(offset, length, uncompressed or None if it does not decompress) of every gzip member."""
    data = path.read_bytes()
    out: list[tuple[int, int, bytes | None]] = []
    pos = 0
    view = memoryview(data)
    while pos < len(data):
        assert data[pos : pos + 3] == GZIP_MAGIC, (path, pos)
        d = zlib.decompressobj(31)
        parts = []
        consumed = pos
        try:
            while not d.eof and consumed < len(data):
                chunk = view[consumed : consumed + (1 << 16)]
                consumed += len(chunk)
                parts.append(d.decompress(chunk))
        except zlib.error:
            nxt = data.find(GZIP_MAGIC, pos + 1)
            end = nxt if nxt >= 0 else len(data)
            out.append((pos, end - pos, None))
            pos = end
            continue
        assert d.eof, (path, pos, "member ends early")
        end = consumed - len(d.unused_data)
        out.append((pos, end - pos, b"".join(parts)))
        pos = end
    return out


def parse_record(raw: bytes) -> tuple[dict[str, str], bytes, bytes]:
    """Headers, block (at most Content-Length bytes) and what follows the block."""
    head, sep, rest = raw.partition(b"\r\n\r\n")
    assert sep, raw[:200]
    lines = head.decode("utf-8").split("\r\n")
    assert lines[0] == "WARC/1.0"
    headers = dict(line.split(": ", 1) for line in lines[1:])
    length = int(headers["Content-Length"])
    return headers, rest[:length], rest[length:]


def records(path: Path) -> Iterator[tuple[dict[str, str], bytes]]:
    """Complete records of a file, by gzip member (corrupt and truncated members skipped)."""
    for _, _, raw in split_members(path):
        if raw is None:
            continue
        headers, block, tail = parse_record(raw)
        if len(block) == int(headers["Content-Length"]):
            assert tail == b"\r\n\r\n"
            yield headers, block


def sha1(data: bytes) -> str:
    return "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode()


# --- an independent link resolver ---------------------------------------------------------------

_PSL = tldextract.TLDExtract(
    cache_dir=None,
    suffix_list_urls=(),
    fallback_to_snapshot=True,
    include_psl_private_domains=False,
)


def domain_of(url: str) -> str | None:
    """Registered domain (Unicode, lowercase) of an absolute http(s) URL."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not host:
        return None
    labels = [
        label.encode("ascii").decode("idna") if label.startswith("xn--") else label
        for label in host.rstrip(".").split(".")
    ]
    if labels[-1].isdigit() or "localhost" in labels:
        return None
    ext = _PSL.extract_str(".".join(labels))
    if not ext.suffix or not ext.domain:
        return None
    return f"{ext.domain}.{ext.suffix}".lower()


def seed_domain(url: str) -> str | None:
    url = url.strip()
    if not url:
        return None
    return domain_of(url if "://" in url else "http://" + url)


def recount(
    pages: list[tuple[str, list[str]]], domains: set[str]
) -> list[tuple[str, str, int, int]]:
    """graph_aggr of (page URL, resolved <a> URLs) under the pipeline's rule."""
    n_links: Counter[tuple[str, str]] = Counter()
    sources: dict[tuple[str, str], set[str]] = {}
    for url, targets in pages:
        src = domain_of(url)
        if src not in domains:
            continue
        for target in targets:
            dst = domain_of(target)
            if dst in domains and dst != src:
                assert src is not None and dst is not None
                n_links[(src, dst)] += 1
                sources.setdefault((src, dst), set()).add(url)
    return sorted((s, d, n, len(sources[(s, d)])) for (s, d), n in n_links.items())


def expected_aggr(info: SampleInfo, crawl: str, stem: str) -> list[tuple[str, str, int, int]]:
    path = info.expected_dir / "graph_aggr" / f"crawl={crawl}" / f"seeds={stem}.csv"
    return [
        (r["src_domain"], r["dst_domain"], int(r["n_links"]), int(r["n_pages"]))
        for r in read_csv(path)
    ]


def node_domains(info: SampleInfo, stem: str) -> set[str]:
    return {r["domain"] for r in read_csv(info.expected_dir / "nodes" / f"seeds={stem}.csv")}


class LinkParser(HTMLParser):
    """WAT-style entries of an HTML page, with the stdlib parser."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.head: dict[str, Any] = {}
        self.links: list[dict[str, str]] = []
        self.head_links: list[dict[str, str]] = []
        self.scripts: list[dict[str, str]] = []
        self._anchor: dict[str, str] | None = None
        self._title: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "a" and "href" in a:
            self._anchor = {"path": "A@/href", "url": a["href"], "text": ""}
            if "title" in a:
                self._anchor["title"] = a["title"]
            self.links.append(self._anchor)
        elif tag == "img":
            self.links.append({"path": "IMG@/src", "url": a["src"], "alt": a.get("alt", "")})
        elif tag == "form":
            self.links.append({"path": "FORM@/action", "method": "get", "url": a["action"]})
        elif tag == "link":
            self.head_links.append({"path": "LINK@/href", "url": a["href"], "rel": a["rel"]})
        elif tag == "script" and "src" in a:
            self.scripts.append({"path": "SCRIPT@/src", "url": a["src"]})
        elif tag == "base":
            self.head["Base"] = a["href"]
        elif tag == "title":
            self._title = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "a":
            self._anchor = None
        elif tag == "title" and self._title is not None:
            self.head["Title"] = "".join(self._title)
            self._title = None

    def handle_data(self, data: str) -> None:
        if self._anchor is not None:
            self._anchor["text"] += data
        if self._title is not None:
            self._title.append(data)


def html_of(block: bytes) -> tuple[dict[str, str], str]:
    """HTTP headers and the decoded body of a response block."""
    head, _, body = block.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    return dict(line.split(": ", 1) for line in lines[1:]), body.decode("utf-8", "replace")


def pairs(info: SampleInfo) -> Iterator[tuple[str, Path, Path]]:
    for warc in info.warc_files:
        crawl = warc.parent.parent.name
        wat = warc.parent.parent / "wat" / warc.name.replace(".warc.gz", ".warc.wat.gz")
        yield crawl, warc, wat


# --- layout ------------------------------------------------------------------------------------


def test_layout_and_names(clean: SampleInfo) -> None:
    assert clean.crawl_ids == ["CC-MAIN-2026-05", "CC-MAIN-2026-13"]
    assert clean.seed_stems == ["all_firms", "top_firms"]
    assert clean.injected == ZERO
    assert len(clean.warc_files) == len(clean.wat_files) == 4
    name = re.compile(r"CC-MAIN-\d{14}-\d{14}-\d{5}")
    for crawl in clean.crawl_ids:
        warcs = sorted(p.name for p in (clean.input_dir / crawl / "warc").iterdir())
        wats = sorted(p.name for p in (clean.input_dir / crawl / "wat").iterdir())
        stems = [w.removesuffix(".warc.gz") for w in warcs]
        assert [w.removesuffix(".warc.wat.gz") for w in wats] == stems
        assert all(name.fullmatch(s) for s in stems)
    first = clean.warc_files[0].name
    assert first == "CC-MAIN-20260105000000-20260105010000-00000.warc.gz"
    assert sorted(p.name for p in clean.seeds_dir.iterdir()) == ["all_firms.csv", "top_firms.csv"]
    m = manifest(clean)
    assert m["crawl_ids"] == clean.crawl_ids and m["seed_stems"] == clean.seed_stems
    assert m["injected"] == ZERO


def test_bad_arguments_are_rejected(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="firms"):
        generate_sample(tmp_path, firms=3)
    with pytest.raises(ValueError, match="pages_per_crawl"):
        generate_sample(tmp_path, pages_per_crawl=10)
    with pytest.raises(ValueError, match="crawls"):
        generate_sample(tmp_path, crawls=0)


# --- WARC and WAT records ----------------------------------------------------------------------


def test_every_record_reads_back_with_fastwarc_and_digests_verify(clean: SampleInfo) -> None:
    for path in clean.warc_files + clean.wat_files:
        n = 0
        types = []
        for record in ArchiveIterator(str(path), parse_http=False, fsspec_args=False):
            assert record.verify_block_digest(), (path, n)
            body = record.reader.read()
            assert len(body) == record.content_length
            headers = record.headers
            types.append(headers["WARC-Type"])
            if headers["WARC-Type"] == "response":
                payload = body.partition(b"\r\n\r\n")[2]
                assert headers["WARC-Payload-Digest"] == sha1(payload)
            n += 1
        assert n == file_entry(clean, path)["records"] > 100
        assert types[0] == "warcinfo" and "warcinfo" not in types[1:]
        if path in clean.wat_files:
            assert set(types[1:]) == {"metadata"}
        else:
            assert types[1:] == ["request", "response", "metadata"] * ((n - 1) // 3)


def test_each_gzip_member_holds_exactly_one_record(clean: SampleInfo, dirty: SampleInfo) -> None:
    for info in (clean, dirty):
        for path in info.warc_files + info.wat_files:
            members = split_members(path)
            entry = file_entry(info, path)
            broken = entry["injected"]["corrupt_gzip_members"]
            truncated = entry["injected"]["truncated_records"]
            assert len(members) == entry["records"] + broken + truncated
            for i, (_, _, raw) in enumerate(members):
                if raw is None:
                    continue
                headers, block, tail = parse_record(raw)
                if truncated and i == len(members) - 1:
                    assert tail == b"" and len(block) < int(headers["Content-Length"])
                else:
                    assert tail == b"\r\n\r\n", (path, i)
                    assert headers["WARC-Block-Digest"] == sha1(block)


def test_warc_records_link_up(clean: SampleInfo) -> None:
    for _, warc, wat in pairs(clean):
        warc_records = list(records(warc))
        warcinfo_id = warc_records[0][0]["WARC-Record-ID"]
        assert warc_records[0][0]["WARC-Filename"] == warc.name
        for i in range(1, len(warc_records), 3):
            (req, _), (resp, _), (meta, _) = warc_records[i : i + 3]
            assert req["Content-Type"] == "application/http; msgtype=request"
            assert resp["Content-Type"] == "application/http; msgtype=response"
            assert req["WARC-Concurrent-To"] == meta["WARC-Concurrent-To"] == resp["WARC-Record-ID"]
            assert req["WARC-Target-URI"] == resp["WARC-Target-URI"] == meta["WARC-Target-URI"]
            assert {req["WARC-Warcinfo-ID"], resp["WARC-Warcinfo-ID"]} == {warcinfo_id}
            assert re.fullmatch(r"<urn:uuid:[0-9a-f-]{36}>", resp["WARC-Record-ID"])
            assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", resp["WARC-Date"])
        wat_records = list(records(wat))
        assert wat_records[0][0]["WARC-Type"] == "warcinfo"
        assert wat_records[0][0]["WARC-Filename"] == wat.name
        described = wat_records[1:]
        assert len(described) == len(warc_records)
        for (w, _), (m, _) in zip(warc_records, described, strict=True):
            assert m["WARC-Type"] == "metadata" and m["Content-Type"] == "application/json"
            assert m["WARC-Refers-To"] == w["WARC-Record-ID"]
            assert m["WARC-Target-URI"] == w.get("WARC-Target-URI", warc.name)


def _leaves(value: Any) -> Iterator[Any]:
    if isinstance(value, dict):
        for v in value.values():
            yield from _leaves(v)
    elif isinstance(value, list):
        for v in value:
            yield from _leaves(v)
    else:
        yield value


def test_wat_json_has_the_documented_keys(clean: SampleInfo) -> None:
    _, warc, wat = next(pairs(clean))
    warc_data = warc.read_bytes()
    html_pages = other_responses = 0
    for headers, block in records(wat):
        if headers["WARC-Type"] != "metadata":
            continue
        doc = orjson.loads(block)
        assert all(isinstance(leaf, str) for leaf in _leaves(doc))
        container, envelope = doc["Container"], doc["Envelope"]
        assert container["Filename"] == warc.name and container["Compressed"] == "true"
        assert set(container["Gzip-Metadata"]) >= {"Deflate-Length", "Inflated-Length"}
        offset = int(container["Offset"])
        assert warc_data[offset : offset + 3] == GZIP_MAGIC
        described = zlib.decompressobj(31).decompress(warc_data[offset:])
        warc_headers = envelope["WARC-Header-Metadata"]
        assert parse_record(described)[0] == warc_headers
        assert warc_headers["WARC-Record-ID"] == headers["WARC-Refers-To"]
        assert set(envelope) >= {"Format", "WARC-Header-Length", "Block-Digest", "Payload-Metadata"}
        payload = envelope["Payload-Metadata"]
        if warc_headers["WARC-Type"] != "response":
            assert "HTTP-Response-Metadata" not in payload
            assert b'"HTML-Metadata"' not in block
            continue
        assert payload["Actual-Content-Type"] == "application/http; msgtype=response"
        http = payload["HTTP-Response-Metadata"]
        assert set(http["Response-Message"]) == {"Status", "Version", "Reason"}
        if http["Headers"].get("Content-Type") != "text/html; charset=utf-8":
            assert "HTML-Metadata" not in http
            other_responses += 1
            continue
        html_pages += 1
        meta = http["HTML-Metadata"]
        assert isinstance(meta["Head"]["Title"], str) and meta["Head"]["Title"]
        assert {entry["path"] for entry in meta["Head"]["Link"]} == {"LINK@/href"}
        assert {entry["path"] for entry in meta["Head"].get("Scripts", [])} <= {"SCRIPT@/src"}
        paths = {entry["path"] for entry in meta["Links"]}
        assert "A@/href" in paths and paths <= {"A@/href", "IMG@/src", "FORM@/action"}
        if isinstance(http["Headers"].get("Set-Cookie"), list):
            assert len(http["Headers"]["Set-Cookie"]) == 2
    assert html_pages > 50 and other_responses > 3


def test_wat_links_match_the_warc_html(clean: SampleInfo) -> None:
    checked = 0
    for _, warc, wat in pairs(clean):
        html = {}
        for headers, block in records(warc):
            if headers["WARC-Type"] == "response":
                http, body = html_of(block)
                if http.get("Content-Type", "").startswith("text/html"):
                    html[headers["WARC-Record-ID"]] = body
        for headers, block in records(wat):
            if headers.get("WARC-Refers-To") not in html:
                continue
            meta = orjson.loads(block)["Envelope"]["Payload-Metadata"]["HTTP-Response-Metadata"]
            parser = LinkParser()
            parser.feed(html[headers["WARC-Refers-To"]])
            head = meta["HTML-Metadata"]["Head"]
            assert head["Title"] == parser.head["Title"]
            assert head.get("Base") == parser.head.get("Base")
            assert head.get("Link", []) == parser.head_links
            assert head.get("Scripts", []) == parser.scripts
            assert meta["HTML-Metadata"]["Links"] == parser.links
            checked += 1
    assert checked > 300


# --- seeds and expected output -----------------------------------------------------------------


def test_seed_lists_are_messy(clean: SampleInfo) -> None:
    for stem in clean.seed_stems:
        path = clean.seeds_dir / f"{stem}.csv"
        assert path.read_text(encoding="utf-8").splitlines()[0] == "firm_id,name,url"
        rows = read_csv(path)
        urls = [r["url"] for r in rows]
        assert any("://" not in u and u.startswith("www.") for u in urls)
        assert any("://" not in u and not u.lower().startswith("www.") and "." in u for u in urls)
        assert any(u.startswith("http://") for u in urls) and any(
            u.startswith("https://") for u in urls
        )
        assert any(u != u.lower() and "://" in u for u in urls)
        assert any("?" in u for u in urls) and any(re.search(r"\.[a-z]+/[a-z]", u) for u in urls)
        assert any(u.startswith("blog.") for u in urls)
        assert any("," in r["name"] for r in rows)
        assert set(urls) >= {"", "not a url", "http://", "localhost", "foo.invalidtld-xyz"}
        assert any(re.fullmatch(r"\d+\.\d+\.\d+\.\d+", u) for u in urls)
        ids = Counter(r["firm_id"] for r in rows)
        assert any(n > 1 for n in ids.values())
        # an IDN firm written in Unicode in one row and in punycode in another
        by_id: dict[str, list[str]] = {}
        for r in rows:
            by_id.setdefault(r["firm_id"], []).append(r["url"])
        assert any(
            any(not u.isascii() for u in us) and any("xn--" in u.lower() for u in us)
            for us in by_id.values()
        )


def test_nodes_and_invalid_rows_match_an_independent_cleaner(clean: SampleInfo) -> None:
    invalid = json.loads((clean.expected_dir / "invalid_seed_rows.json").read_text())
    assert set(invalid) == set(clean.seed_stems)
    for stem in clean.seed_stems:
        rows = read_csv(clean.seeds_dir / f"{stem}.csv")
        valid: dict[str, set[tuple[str, str]]] = {}
        bad = 0
        for r in rows:
            domain = seed_domain(r["url"])
            if domain is None:
                bad += 1
            else:
                valid.setdefault(r["firm_id"], set()).add((r["name"], domain))
        assert bad == invalid[stem] > 0
        assert all(len(v) == 1 for v in valid.values()), "duplicates agree on name and domain"
        nodes = read_csv(clean.expected_dir / "nodes" / f"seeds={stem}.csv")
        assert [r["firm_id"] for r in nodes] == sorted(r["firm_id"] for r in nodes)
        assert {r["firm_id"]: {(r["name"], r["domain"])} for r in nodes} == valid
        assert len({r["domain"] for r in nodes}) == len(nodes)
        assert any(not r["domain"].isascii() for r in nodes)
        assert all(r["domain"] == r["domain"].lower() for r in nodes)


def test_expected_files_exist_and_top_is_a_subset(dirty: SampleInfo) -> None:
    top = node_domains(dirty, "top_firms")
    assert top < node_domains(dirty, "all_firms")
    for crawl in dirty.crawl_ids:
        for stem in dirty.seed_stems:
            path = dirty.expected_dir / "graph_aggr" / f"crawl={crawl}" / f"seeds={stem}.csv"
            assert path.read_text(encoding="utf-8").splitlines()[0] == (
                "src_domain,dst_domain,n_links,n_pages"
            )
        all_rows = expected_aggr(dirty, crawl, "all_firms")
        top_rows = expected_aggr(dirty, crawl, "top_firms")
        assert top_rows and len(top_rows) < len(all_rows)
        for rows in (all_rows, top_rows):
            assert rows == sorted(rows, key=lambda r: (r[0], r[1]))
            assert all(s != d and 0 < p <= n for s, d, n, p in rows)
        # a pair's counts do not depend on the list: top is all restricted to top's domains
        assert top_rows == [r for r in all_rows if r[0] in top and r[1] in top]


def test_expected_equals_an_independent_recount_of_wat_and_warc(clean: SampleInfo) -> None:
    for crawl in clean.crawl_ids:
        wat_pages: list[tuple[str, list[str]]] = []
        warc_pages: list[tuple[str, list[str]]] = []
        for c, warc, wat in pairs(clean):
            if c != crawl:
                continue
            for headers, block in records(wat):
                if headers["WARC-Type"] != "metadata":
                    continue
                meta = orjson.loads(block)["Envelope"]["Payload-Metadata"]
                html = meta.get("HTTP-Response-Metadata", {}).get("HTML-Metadata")
                if html is None:
                    continue
                url = headers["WARC-Target-URI"]
                base = urljoin(url, html["Head"]["Base"]) if "Base" in html["Head"] else url
                hrefs = [e["url"] for e in html["Links"] if e["path"] == "A@/href"]
                wat_pages.append((url, [urljoin(base, h.strip()) for h in hrefs]))
            for headers, block in records(warc):
                http: dict[str, str] = {}
                body = ""
                if headers["WARC-Type"] == "response":
                    http, body = html_of(block)
                if not http.get("Content-Type", "").startswith("text/html"):
                    continue
                parser = LinkParser()
                parser.feed(body)
                url = headers["WARC-Target-URI"]
                base = urljoin(url, parser.head["Base"]) if "Base" in parser.head else url
                hrefs = [e["url"] for e in parser.links if e["path"] == "A@/href"]
                warc_pages.append((url, [urljoin(base, h.strip()) for h in hrefs]))
        assert len(wat_pages) == len(warc_pages) > 150
        for stem in clean.seed_stems:
            domains = node_domains(clean, stem)
            expected = expected_aggr(clean, crawl, stem)
            assert expected
            assert recount(wat_pages, domains) == expected, (crawl, stem)
            assert recount(warc_pages, domains) == expected, (crawl, stem)


def test_realistic_skew(clean: SampleInfo) -> None:
    pages: Counter[str] = Counter()
    most_links = 0
    for _, warc, _ in pairs(clean):
        for headers, block in records(warc):
            if headers["WARC-Type"] == "response" and b"text/html" in block[:300]:
                pages[domain_of(headers["WARC-Target-URI"]) or ""] += 1
                most_links = max(most_links, block.count(b"<a href="))
    firm_domains = node_domains(clean, "all_firms")
    firm_pages = sorted((n for d, n in pages.items() if d in firm_domains), reverse=True)
    assert sum(firm_pages[:2]) > 0.3 * sum(firm_pages)  # whales
    assert any(d not in firm_domains for d in pages)  # third-party pages
    assert most_links > 150  # directory pages
    crawls = manifest(clean)["crawls"]
    assert all(c["links"] / c["html_pages"] > 20 for c in crawls.values())


# --- corruption and determinism ----------------------------------------------------------------


def test_corruption_is_injected_where_documented(dirty: SampleInfo) -> None:
    assert dirty.injected == {"corrupt_gzip_members": 4, "truncated_records": 4}
    assert manifest(dirty)["injected"] == dirty.injected
    top = node_domains(dirty, "top_firms")
    for crawl in dirty.crawl_ids:
        first_warc, *other_warcs = sorted((dirty.input_dir / crawl / "warc").iterdir())
        first_wat, *other_wats = sorted((dirty.input_dir / crawl / "wat").iterdir())
        for path in other_warcs + other_wats:
            assert file_entry(dirty, path)["injected"] == ZERO
            assert all(raw is not None for _, _, raw in split_members(path))
        for path in (first_warc, first_wat):
            entry = file_entry(dirty, path)
            assert entry["injected"] == {"corrupt_gzip_members": 1, "truncated_records": 1}
            members = split_members(path)
            bad = [i for i, (_, _, raw) in enumerate(members) if raw is None]
            assert len(bad) == 1 and 0 < bad[0] < len(members) - 1
            offset, length, _ = members[bad[0]]
            assert entry["corrupt_member"]["offset"] == offset
            assert entry["corrupt_member"]["length"] == length
            with pytest.raises(zlib.error):
                zlib.decompress(path.read_bytes()[offset : offset + length], 31)
            # the last member decompresses but its record is cut short of its Content-Length
            last = members[-1][2]
            assert last is not None
            headers, block, tail = parse_record(last)
            assert tail == b"" and len(block) < int(headers["Content-Length"])
            assert headers["WARC-Block-Digest"] != sha1(block)
            assert entry["truncated_record"]["content_length"] == int(headers["Content-Length"])
            assert domain_of(headers["WARC-Target-URI"]) in top
            # FastWARC stops at the corrupt member with an OSError
            with pytest.raises(OSError):
                for record in ArchiveIterator(str(path), parse_http=False, fsspec_args=False):
                    assert record.stream_pos < offset
                    record.reader.read()
        # a pipeline that kept the truncated WARC record would count its links
        headers, block, _ = parse_record(split_members(first_warc)[-1][2] or b"")
        parser = LinkParser()
        parser.feed(html_of(block)[1])
        url = headers["WARC-Target-URI"]
        hrefs = [urljoin(url, e["url"].strip()) for e in parser.links if e["path"] == "A@/href"]
        assert recount([(url, hrefs)], top), "the truncated page links to other seed firms"


def test_corrupt_records_are_not_in_the_expected_output(dirty: SampleInfo) -> None:
    for crawl in dirty.crawl_ids:
        pages = []
        for c, _, wat in pairs(dirty):
            if c != crawl:
                continue
            for headers, block in records(wat):  # skips the corrupt and truncated members
                if headers["WARC-Type"] != "metadata":
                    continue
                http = orjson.loads(block)["Envelope"]["Payload-Metadata"]
                html = http.get("HTTP-Response-Metadata", {}).get("HTML-Metadata")
                if html is not None:
                    url = headers["WARC-Target-URI"]
                    base = urljoin(url, html["Head"]["Base"]) if "Base" in html["Head"] else url
                    hrefs = [e["url"].strip() for e in html["Links"] if e["path"] == "A@/href"]
                    pages.append((url, [urljoin(base, h) for h in hrefs]))
        for stem in dirty.seed_stems:
            expected = expected_aggr(dirty, crawl, stem)
            assert recount(pages, node_domains(dirty, stem)) == expected


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_same_seed_same_bytes(tmp_path: Path) -> None:
    kwargs: dict[str, Any] = {"crawls": 1, "files_per_crawl": 2, "firms": 12, "pages_per_crawl": 60}
    a = generate_sample(tmp_path / "a", seed=3, **kwargs)
    b = generate_sample(tmp_path / "b", seed=3, **kwargs)
    c = generate_sample(tmp_path / "c", seed=4, **kwargs)
    tree_a, tree_b, tree_c = _tree(a.root), _tree(b.root), _tree(c.root)
    assert len(tree_a) == 2 * 2 + 2 + 2 + 1 + 2 + 1  # input, seeds, aggr, invalid, nodes, manifest
    assert tree_a == tree_b
    assert tree_a.keys() == tree_c.keys() and tree_a != tree_c
    assert a.injected == {"corrupt_gzip_members": 2, "truncated_records": 2}
