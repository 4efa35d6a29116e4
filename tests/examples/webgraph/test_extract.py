"""Link extraction from hand-built WAT and WARC files, including corrupt ones."""

from __future__ import annotations

import base64
import gzip
import hashlib
import html
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from webgraph.extract import (
    ExtractStats,
    Link,
    Page,
    extract,
    extract_warc,
    extract_wat,
    iter_records,
    read_block,
)

# --- building WARC / WAT files ------------------------------------------------------------------


def warc_record(
    warc_type: str,
    uri: str,
    content_type: str,
    block: bytes,
    *,
    digest: str | None = "good",
    declared_length: int | None = None,
) -> bytes:
    """One WARC/1.0 record; ``digest`` is "good", "bad" or None (no WARC-Block-Digest)."""
    headers = [
        "WARC/1.0",
        f"WARC-Type: {warc_type}",
        f"WARC-Target-URI: {uri}",
        "WARC-Date: 2024-12-01T00:00:00Z",
        f"WARC-Record-ID: <urn:uuid:{hashlib.md5(uri.encode() + block).hexdigest()}>",
        f"Content-Type: {content_type}",
    ]
    if digest is not None:
        hashed = block if digest == "good" else block + b"tampered"
        sha1 = base64.b32encode(hashlib.sha1(hashed).digest()).decode()
        headers.append(f"WARC-Block-Digest: sha1:{sha1}")
    length = len(block) if declared_length is None else declared_length
    headers.append(f"Content-Length: {length}")
    return ("\r\n".join(headers) + "\r\n\r\n").encode() + block + b"\r\n\r\n"


def member(record: bytes) -> bytes:
    return gzip.compress(record, mtime=0)


def truncated_member(warc_type: str, uri: str, content_type: str, block: bytes, keep: int) -> bytes:
    """A record cut after ``keep`` bytes of its block (Content-Length and digest of the whole)."""
    sha1 = base64.b32encode(hashlib.sha1(block).digest()).decode()
    head = (
        f"WARC/1.0\r\nWARC-Type: {warc_type}\r\nWARC-Target-URI: {uri}\r\n"
        f"WARC-Date: 2024-12-01T00:00:00Z\r\nContent-Type: {content_type}\r\n"
        f"WARC-Block-Digest: sha1:{sha1}\r\nContent-Length: {len(block)}\r\n\r\n"
    ).encode()
    return member(head + block[:keep])


def corrupt(gz_member: bytes) -> bytes:
    """Same length, gzip header intact, deflate stream garbled."""
    data = bytearray(gz_member)
    for i in range(12, min(len(data) - 8, 40)):
        data[i] = 0xFF
    return bytes(data)


# --- one page model, rendered as HTML (WARC) and as WAT JSON --------------------------------------


@dataclass
class El:
    tag: str
    attr: str
    value: str
    text: str = ""  # raw HTML inside <a>


@dataclass
class PageSpec:
    url: str
    title: str
    head: list[El] = field(default_factory=list)  # <link>, <script> (and <base>)
    body: list[El] = field(default_factory=list)
    base: str | None = None
    charset: str = "utf-8"
    paragraph: str = "Some plain text."

    def html(self) -> str:
        parts = ["<!doctype html><html><head>", f"<title>{self.title}</title>"]
        if self.base is not None:
            parts.append(f'<base href="{html.escape(self.base)}">')
        for el in self.head:
            parts.append(self._tag(el))
        parts.append(f"</head><body><p>{self.paragraph}</p>")
        for el in self.body:
            parts.append(self._tag(el))
        parts.append("</body></html>")
        return "\n".join(parts)

    @staticmethod
    def _tag(el: El) -> str:
        attr = f'{el.attr}="{html.escape(el.value)}"'
        if el.tag in ("img", "link", "area"):
            return f"<{el.tag} {attr}>"
        return f"<{el.tag} {attr}>{el.text}</{el.tag}>"

    def http_response(self) -> bytes:
        body = self.html().encode(self.charset)
        head = (
            "HTTP/1.1 200 OK\r\n"
            f"Content-Type: text/html; charset={self.charset}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        )
        return head.encode() + body

    def wat_json(self) -> bytes:
        """What webarchive-commons writes for this page: raw attribute values, decoded."""

        def entry(el: El) -> dict[str, str]:
            e = {"path": f"{el.tag.upper()}@/{el.attr}", "url": el.value}
            if el.tag == "a":
                text = html.unescape(_strip_tags(el.text)).strip()
                if text:
                    e["text"] = text
            return e

        head: dict[str, object] = {"Title": html.unescape(self.title).strip()}
        if self.base is not None:
            head["Base"] = self.base
        links = [entry(e) for e in self.head if e.tag == "link"]
        scripts = [entry(e) for e in self.head if e.tag == "script"]
        scripts += [entry(e) for e in self.body if e.tag == "script"]
        if links:
            head["Link"] = links
        if scripts:
            head["Scripts"] = scripts
        head["Metas"] = [{"name": "viewport", "content": "width=device-width"}]
        body_links = [entry(e) for e in self.body if e.tag != "script"]
        # entries webarchive-commons writes that are no links of LINK_ELEMENTS: ignored
        body_links.append({"path": "STYLE/#text", "href": "/bg.png"})
        body_links.append({"path": "A@/data-href", "url": "/data-href"})
        body_links.append({"path": "IMG@/longdesc", "url": "/longdesc.html"})
        body_links.append({"path": "EMBED@/src", "url": "/movie.swf"})
        body_links.append({"path": "A@/href"})  # no url
        body_links.append({"path": "FORM", "url": "/no-at"})
        doc = {
            "Container": {"Filename": "x.warc.gz", "Compressed": True, "Offset": "0"},
            "Envelope": {
                "Format": "WARC",
                "WARC-Header-Metadata": {"WARC-Type": "response", "WARC-Target-URI": self.url},
                "Payload-Metadata": {
                    "Actual-Content-Type": "application/http; msgtype=response",
                    "HTTP-Response-Metadata": {
                        "Response-Message": {"Status": "200", "Version": "HTTP/1.1"},
                        "Headers": {"Content-Type": f"text/html; charset={self.charset}"},
                        "HTML-Metadata": {"Head": head, "Links": body_links},
                    },
                },
            },
        }
        return json.dumps(doc, ensure_ascii=False).encode()


def _strip_tags(raw: str) -> str:
    out, inside = [], False
    for ch in raw:
        if ch == "<":
            inside = True
        elif ch == ">":
            inside = False
        elif not inside:
            out.append(ch)
    return "".join(out)


def request_wat_json(url: str) -> bytes:
    return json.dumps(
        {
            "Envelope": {
                "WARC-Header-Metadata": {"WARC-Type": "request", "WARC-Target-URI": url},
                "Payload-Metadata": {"HTTP-Request-Metadata": {"Headers": {"Host": "x"}}},
            }
        }
    ).encode()


HTTP_RESPONSE = "application/http; msgtype=response"
HTTP_REQUEST = "application/http; msgtype=request"


def warc_members(page: PageSpec, *, response: bytes | None = None) -> list[bytes]:
    request = f"GET / HTTP/1.1\r\nHost: {page.url}\r\n\r\n".encode()
    return [
        member(warc_record("request", page.url, HTTP_REQUEST, request)),
        response or member(warc_record("response", page.url, HTTP_RESPONSE, page.http_response())),
    ]


def wat_members(page: PageSpec, *, response: bytes | None = None) -> list[bytes]:
    return [
        member(warc_record("metadata", page.url, "application/json", request_wat_json(page.url))),
        response or member(warc_record("metadata", page.url, "application/json", page.wat_json())),
    ]


def warcinfo() -> bytes:
    return member(warc_record("warcinfo", "", "application/warc-fields", b"software: test\r\n"))


def write(path: Path, members: Iterable[bytes]) -> str:
    path.write_bytes(b"".join(members))
    return str(path)


# --- the pages ------------------------------------------------------------------------------------

P1 = PageSpec(
    url="http://www.alpha.com/products/index.html",
    title="  Alpha   &amp; Sons\n Products ",
    head=[
        El("link", "href", "/static/site.css"),
        El("script", "src", "https://cdn.jsdelivr.net/npm/lib.js"),
    ],
    body=[
        El("a", "href", "https://www.beta.co.uk/about?x=1&y=2", "Our  <b>partner</b>\n Beta"),
        El("a", "href", "  /contact  ", "Contact &amp; support"),
        El("a", "href", "team.html", ""),
        El("a", "href", "../news/", "News"),
        El("a", "href", "#top", "Top"),
        El("a", "href", "//shop.alpha.com/cart", "Cart"),
        El("a", "href", "mailto:info@alpha.com", "Mail"),
        El("a", "href", "", "empty href: skipped"),
        El("a", "href", "   ", "blank href: skipped"),
        El("img", "src", "img/logo.png"),
        El("form", "action", "https://search.gamma.com.au/q"),
        El("iframe", "src", "https://www.youtube.com/embed/x"),
        El("area", "href", "http://XN--MNCHEN-3YA.DE/map"),
        El("script", "src", "/js/app.js"),
    ],
)
P1_LINKS = [
    Link("http://www.alpha.com/static/site.css", "alpha.com", "", "link"),
    Link("https://cdn.jsdelivr.net/npm/lib.js", "jsdelivr.net", "", "script"),
    Link("https://www.beta.co.uk/about?x=1&y=2", "beta.co.uk", "Our partner Beta", "a"),
    Link("http://www.alpha.com/contact", "alpha.com", "Contact & support", "a"),
    Link("http://www.alpha.com/products/team.html", "alpha.com", "", "a"),
    Link("http://www.alpha.com/news/", "alpha.com", "News", "a"),
    Link("http://www.alpha.com/products/index.html#top", "alpha.com", "Top", "a"),
    Link("http://shop.alpha.com/cart", "alpha.com", "Cart", "a"),
    Link("mailto:info@alpha.com", None, "Mail", "a"),
    Link("http://www.alpha.com/products/img/logo.png", "alpha.com", "", "img"),
    Link("https://search.gamma.com.au/q", "gamma.com.au", "", "form"),
    Link("https://www.youtube.com/embed/x", "youtube.com", "", "iframe"),
    Link("http://XN--MNCHEN-3YA.DE/map", "münchen.de", "", "area"),
    Link("http://www.alpha.com/js/app.js", "alpha.com", "", "script"),
]

P2 = PageSpec(
    url="https://blog.beta.co.uk/2024/post?id=7",
    title="Beta blog",
    base="https://static.beta.co.uk/assets/",
    body=[
        El("a", "href", "https://www.alpha.com/", "Alpha"),
        El("img", "src", "pic.jpg"),
        El("a", "href", "/home", "Home"),
    ],
)
P2_LINKS = [
    Link("https://www.alpha.com/", "alpha.com", "Alpha", "a"),
    Link("https://static.beta.co.uk/assets/pic.jpg", "beta.co.uk", "", "img"),
    Link("https://static.beta.co.uk/home", "beta.co.uk", "Home", "a"),
]

P3 = PageSpec(
    url="https://xn--mnchen-3ya.de/",
    title="München",
    charset="iso-8859-1",
    paragraph="Grüße aus München",
    body=[El("a", "href", "https://www.alpha.com/de", "Alpha für Deutschland")],
)
P3_LINKS = [Link("https://www.alpha.com/de", "alpha.com", "Alpha für Deutschland", "a")]

P4 = PageSpec(
    url="http://gamma.com.au/",
    title="Gamma",
    body=[El("a", "href", "http://www.beta.co.uk/", "Beta"), El("a", "href", "/x", "X")],
)
P4_LINKS = [
    Link("http://www.beta.co.uk/", "beta.co.uk", "Beta", "a"),
    Link("http://gamma.com.au/x", "gamma.com.au", "X", "a"),
]

P5 = PageSpec(url="http://delta.org/", title="", body=[El("a", "href", "/d", "D")])
P5_LINKS = [Link("http://delta.org/d", "delta.org", "D", "a")]

EXPECTED = {
    P1.url: ("alpha.com", "Alpha & Sons Products", P1_LINKS),
    P2.url: ("beta.co.uk", "Beta blog", P2_LINKS),
    P3.url: ("münchen.de", "München", P3_LINKS),
    P4.url: ("gamma.com.au", "Gamma", P4_LINKS),
    P5.url: ("delta.org", None, P5_LINKS),
}


def image_response(url: str) -> bytes:
    block = b"HTTP/1.1 200 OK\r\nContent-Type: image/png\r\n\r\n\x89PNG..."
    return member(warc_record("response", url, HTTP_RESPONSE, block))


def image_metadata(url: str) -> bytes:
    doc = {"Envelope": {"WARC-Header-Metadata": {"WARC-Target-URI": url}, "Payload-Metadata": {}}}
    return member(warc_record("metadata", url, "application/json", json.dumps(doc).encode()))


def clean_files(tmp_path: Path) -> dict[str, str]:
    pages = [P1, P2, P3, P4, P5]
    warc = [warcinfo(), image_response("http://www.alpha.com/logo.png")]
    wat = [warcinfo(), image_metadata("http://www.alpha.com/logo.png")]
    for p in pages:
        warc += warc_members(p)
        wat += wat_members(p)
    return {
        "warc": write(tmp_path / "clean.warc.gz", warc),
        "wat": write(tmp_path / "clean.warc.wat.gz", wat),
    }


def by_url(pages: Iterable[Page]) -> dict[str, Page]:
    return {p.url: p for p in pages}


def sort_links(links: list[Link]) -> list[Link]:
    return sorted(links, key=lambda x: (x.kind, x.target_url, x.anchor_text))


# --- tests ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["wat", "warc"])
def test_clean_file_gives_the_exact_pages_and_links(tmp_path: Path, mode: str) -> None:
    files = clean_files(tmp_path)
    stats = ExtractStats()
    pages = list(extract(files[mode], mode, stats))  # type: ignore[arg-type]
    assert [p.url for p in pages] == [P1.url, P2.url, P3.url, P4.url, P5.url]
    for page in pages:
        domain, title, links = EXPECTED[page.url]
        assert (page.domain, page.title) == (domain, title), page.url
        assert sort_links(page.links) == sort_links(links), page.url
    n_links = sum(len(v[2]) for v in EXPECTED.values())
    assert stats.as_dict() == {
        "files": 1,
        "records": 12,
        "pages": 5,
        "links": n_links,
        "skipped_records": 0,
        "corrupt_members": 0,
    }


def test_warc_mode_keeps_document_order_and_makes_snippets(tmp_path: Path) -> None:
    pages = by_url(extract_warc(clean_files(tmp_path)["warc"], ExtractStats()))
    assert pages[P1.url].links == P1_LINKS
    assert (pages[P1.url].snippet or "").startswith("Some plain text. Our partner Beta Contact")
    assert pages[P3.url].snippet == "Grüße aus München Alpha für Deutschland"
    assert pages[P3.url].title == "München"  # decoded with the HTTP charset (iso-8859-1)
    for page in pages.values():
        assert page.snippet is not None and len(page.snippet) <= 300
        assert "  " not in page.snippet


def test_wat_mode_reads_head_links_then_scripts_then_body_links(tmp_path: Path) -> None:
    pages = by_url(extract_wat(clean_files(tmp_path)["wat"], ExtractStats()))
    p1 = pages[P1.url]
    assert [link.kind for link in p1.links[:3]] == ["link", "script", "script"]
    assert p1.snippet is None
    assert p1.links[3:] == [x for x in P1_LINKS if x.kind not in ("link", "script")]


def test_wat_and_warc_modes_agree(tmp_path: Path) -> None:
    files = clean_files(tmp_path)
    wat = by_url(extract_wat(files["wat"], ExtractStats()))
    warc = by_url(extract_warc(files["warc"], ExtractStats()))
    assert wat.keys() == warc.keys()
    for url in wat:
        assert (wat[url].domain, wat[url].title) == (warc[url].domain, warc[url].title)
        assert sort_links(wat[url].links) == sort_links(warc[url].links)


def test_seed_filter_skips_other_pages(tmp_path: Path) -> None:
    files = clean_files(tmp_path)
    for mode in ("wat", "warc"):
        stats = ExtractStats()
        pages = list(extract(files[mode], mode, stats, ["beta.co.uk", "münchen.de"]))
        assert [p.url for p in pages] == [P2.url, P3.url]
        assert stats.pages == 2
        assert stats.links == len(P2_LINKS) + len(P3_LINKS)


def corrupt_layout(mode: str) -> list[bytes]:
    """P1 ok | P2 corrupt member | P3 ok | P4 truncated (middle) | P5 ok | P4 truncated (end)."""
    members_of = warc_members if mode == "warc" else wat_members
    rtype, ctype = (
        ("response", HTTP_RESPONSE) if mode == "warc" else ("metadata", "application/json")
    )

    def block(p: PageSpec) -> bytes:
        return p.http_response() if mode == "warc" else p.wat_json()

    def one(p: PageSpec) -> bytes:
        return member(warc_record(rtype, p.url, ctype, block(p)))

    return [
        warcinfo(),
        *members_of(P1),
        *members_of(P2, response=corrupt(one(P2))),
        *members_of(P3),
        *members_of(P4, response=truncated_member(rtype, P4.url, ctype, block(P4), 40)),
        *members_of(P5),
        *members_of(P4, response=truncated_member(rtype, P4.url, ctype, block(P4), 60)),
    ]


@pytest.mark.parametrize("mode", ["wat", "warc"])
def test_corrupt_input_is_skipped_and_counted(tmp_path: Path, mode: str) -> None:
    path = write(tmp_path / f"corrupt.{mode}.gz", corrupt_layout(mode))
    stats = ExtractStats()
    pages = list(extract(path, mode, stats))  # type: ignore[arg-type]
    assert [p.url for p in pages] == [P1.url, P3.url, P5.url]
    for page in pages:
        assert sort_links(page.links) == sort_links(EXPECTED[page.url][2])
    assert stats.corrupt_members == 1
    assert stats.skipped_records == 2
    assert stats.pages == 3
    assert stats.links == len(P1_LINKS) + len(P3_LINKS) + len(P5_LINKS)
    # the 13 members minus the corrupt one are all read once
    assert stats.records == 12


def test_corrupt_wat_and_warc_agree(tmp_path: Path) -> None:
    wat = by_url(extract_wat(write(tmp_path / "c.wat.gz", corrupt_layout("wat")), ExtractStats()))
    warc = by_url(
        extract_warc(write(tmp_path / "c.warc.gz", corrupt_layout("warc")), ExtractStats())
    )
    assert {u: sort_links(p.links) for u, p in wat.items()} == {
        u: sort_links(p.links) for u, p in warc.items()
    }


# --- iter_records / read_block on small records ---------------------------------------------------


def rec(i: int, **kwargs: object) -> bytes:
    return warc_record("metadata", f"http://e.com/{i}", "text/plain", b"body%d" % i, **kwargs)  # type: ignore[arg-type]


def bodies(path: str) -> tuple[list[tuple[str, bytes | None]], ExtractStats]:
    stats = ExtractStats()
    out = []
    for record in iter_records(path, stats):
        uri = record.headers.get("WARC-Target-URI") or ""
        out.append((uri.rsplit("/", 1)[-1], read_block(record, stats)))
    return out, stats


def counts(stats: ExtractStats) -> tuple[int, int, int]:
    return stats.records, stats.skipped_records, stats.corrupt_members


@pytest.mark.parametrize(
    ("members", "expected", "expected_counts"),
    [
        pytest.param(
            [member(rec(0)), member(rec(1, digest="bad")), member(rec(2))],
            [("0", b"body0"), ("1", None), ("2", b"body2")],
            (3, 1, 0),
            id="digest-mismatch",
        ),
        pytest.param(
            [member(rec(0, digest=None)), member(rec(1, digest=None, declared_length=400))],
            [("0", b"body0"), ("1", None)],
            (2, 1, 0),
            id="no-digest-truncated-at-end",
        ),
        pytest.param(
            [member(rec(0)), member(rec(1, digest=None, declared_length=40)), member(rec(2))],
            [("0", b"body0"), ("1", None), ("2", b"body2")],
            (3, 1, 0),
            id="no-digest-truncated-in-middle",
        ),
        pytest.param(
            [member(rec(0)), member(rec(1, declared_length=5000)), member(rec(2)), member(rec(3))],
            [("0", b"body0"), ("1", None), ("2", b"body2"), ("3", b"body3")],
            (4, 1, 0),
            id="truncated-record-swallows-the-rest",
        ),
        pytest.param(
            [member(rec(0)), corrupt(member(rec(1))), corrupt(member(rec(2))), member(rec(3))],
            [("0", b"body0"), ("3", b"body3")],
            (2, 0, 2),
            id="two-corrupt-members",
        ),
        pytest.param(
            [corrupt(member(rec(0))), member(rec(1))],
            [("1", b"body1")],
            (1, 0, 1),
            id="corrupt-first-member",
        ),
        pytest.param(
            [member(rec(0)), b"\x00garbage" * 8, member(rec(2))],
            [("0", b"body0"), ("2", b"body2")],
            (2, 0, 1),
            id="garbage-between-members",
        ),
        pytest.param(
            [member(rec(0)), b"XXX" + member(rec(1))[3:], member(rec(2))],
            [("0", b"body0"), ("2", b"body2")],
            (2, 0, 1),
            id="gzip-magic-destroyed",
        ),
        pytest.param(
            [member(rec(0)), member(rec(1)), member(rec(2))[:30]],
            [("0", b"body0"), ("1", b"body1")],
            (2, 0, 1),
            id="gzip-member-cut-at-end",
        ),
        pytest.param(
            [member(rec(0)), member(b"not a warc record\r\n\r\n"), member(rec(2))],
            [("0", b"body0"), ("2", b"body2")],
            (2, 1, 0),
            id="member-without-a-record",
        ),
    ],
)
def test_iter_records_resyncs(
    tmp_path: Path,
    members: list[bytes],
    expected: list[tuple[str, bytes | None]],
    expected_counts: tuple[int, int, int],
) -> None:
    out, stats = bodies(write(tmp_path / "t.warc.gz", members))
    assert out == expected
    assert counts(stats) == expected_counts
    assert stats.files == 1


def test_corrupt_data_inside_a_large_record(tmp_path: Path) -> None:
    big = hashlib.sha256(b"seed").hexdigest().encode() * 20000  # 1.3 MB, compresses well
    bad = bytearray(member(warc_record("metadata", "http://e.com/big", "text/plain", big)))
    bad[len(bad) // 2 : len(bad) // 2 + 64] = b"\x00" * 64
    out, stats = bodies(write(tmp_path / "t.warc.gz", [member(rec(0)), bytes(bad), member(rec(2))]))
    assert out == [("0", b"body0"), ("big", None), ("2", b"body2")]
    assert counts(stats) == (3, 0, 1)


def test_uncompressed_warc_and_empty_file(tmp_path: Path) -> None:
    plain = tmp_path / "t.warc"
    plain.write_bytes(rec(0) + rec(1, digest="bad") + rec(2))
    out, stats = bodies(str(plain))
    assert out == [("0", b"body0"), ("1", None), ("2", b"body2")]
    assert counts(stats) == (3, 1, 0)
    empty = tmp_path / "empty.warc.gz"
    empty.write_bytes(b"")
    assert bodies(str(empty))[0] == []


def test_stats_add_and_as_dict() -> None:
    a = ExtractStats(files=1, records=2, pages=3, links=4, skipped_records=5, corrupt_members=6)
    b = ExtractStats(files=1, records=1, pages=1, links=1, skipped_records=1, corrupt_members=1)
    a.add(b)
    assert a.as_dict() == {
        "files": 2,
        "records": 3,
        "pages": 4,
        "links": 5,
        "skipped_records": 6,
        "corrupt_members": 7,
    }


def test_links_are_frozen_and_picklable() -> None:
    import pickle

    from webgraph.extract import _wat_links
    from webgraph.urls import _parse_base

    links = _wat_links(
        ([{"path": "A@/href", "url": "/x", "text": " a\n b "}],), _parse_base("http://e.com/", None)
    )
    assert links == [Link("http://e.com/x", "e.com", "a b", "a")]
    assert type(links[0]) is Link
    assert pickle.loads(pickle.dumps(links)) == links
    with pytest.raises(AttributeError):
        links[0].kind = "img"  # type: ignore[misc]


def test_unknown_mode() -> None:
    with pytest.raises(ValueError, match="mode must be"):
        extract("x", "html", ExtractStats())  # type: ignore[arg-type]


@given(
    st.sampled_from(
        ["http://www.alpha.com/a/b.html", "https://x.example.co.uk", "http://a/b/c/d;p?q#f"]
    ),
    st.sampled_from(
        ["", "/", "//", "#", "?", "./", "../", "http://", "https://", "mailto:", "h\nttp://"]
    ),
    st.text(alphabet="ab./?#:\t\n @%é", max_size=12),
)
def test_inlined_wat_resolution_matches_resolve_link_and_url_domain(
    page: str, prefix: str, rest: str
) -> None:
    from webgraph.extract import _target, _wat_links
    from webgraph.urls import _parse_base, resolve_link, url_domain

    href = (prefix + rest).strip()
    assume(href)
    base = _parse_base(page, None)
    expected_url = resolve_link(href, page)
    expected = (expected_url, url_domain(expected_url))
    assert _target(href, base) == expected
    (link,) = _wat_links(([{"path": "A@/href", "url": href}],), base)
    assert (link.target_url, link.target_domain) == expected


@given(
    mode=st.sampled_from(["wat", "warc"]),
    damage=st.lists(
        st.tuples(
            st.sampled_from(["zero", "flip", "cut", "insert", "drop"]),
            st.floats(0, 1),
            st.integers(1, 300),
        ),
        min_size=1,
        max_size=3,
    ),
)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_damaged_files_never_raise_and_yield_only_intact_pages(
    tmp_path_factory: pytest.TempPathFactory, mode: str, damage: list[tuple[str, float, int]]
) -> None:
    tmp = tmp_path_factory.mktemp("damaged")
    clean_path = clean_files(tmp)[mode]
    clean = by_url(extract(clean_path, mode, ExtractStats()))  # type: ignore[arg-type]
    data = bytearray(Path(clean_path).read_bytes())
    for how, where, size in damage:
        at = int(where * (len(data) - 1))
        if how == "zero":
            data[at : at + size] = bytes(len(data[at : at + size]))
        elif how == "flip":
            data[at] ^= 0x55
        elif how == "cut":
            del data[at:]
        elif how == "insert":
            data[at:at] = b"\x1f\x8b\x08garbage" * (size // 10 + 1)
        else:
            del data[at : at + size]
        if not data:
            data = bytearray(b"x")
    damaged = tmp / f"damaged.{mode}.gz"
    damaged.write_bytes(bytes(data))
    stats = ExtractStats()
    pages = list(extract(str(damaged), mode, stats))  # type: ignore[arg-type]
    for page in pages:
        assert page == clean[page.url]
    assert stats.pages == len(pages) <= len(clean)
    assert stats.records <= 12
