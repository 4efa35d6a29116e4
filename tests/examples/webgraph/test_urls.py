"""URL and domain normalization of the webgraph example (unit and property tests)."""

from __future__ import annotations

from urllib.parse import urljoin

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from webgraph.urls import (
    clean_seed_url,
    host_to_unicode,
    registered_domain,
    resolve_link,
    url_domain,
    url_host,
)

# --- host_to_unicode ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("Example.COM", "example.com"),
        ("example.com.", "example.com"),
        ("xn--mnchen-3ya.de", "münchen.de"),
        ("WWW.XN--MNCHEN-3YA.DE.", "www.münchen.de"),
        ("xn--strae-oqa.de", "straße.de"),
        ("xn--e1afmkfd.xn--p1ai", "пример.рф"),
        ("xn--fiqs8s", "中国"),
        ("xn--abc-.com", "xn--abc-.com"),  # decodes to ASCII: not an A-label, kept
        ("xn--zz-invalid.com", "xn--zz-invalid.com"),  # decodes to symbols: kept
        ("xn--.com", "xn--.com"),
        ("", ""),
    ],
)
def test_host_to_unicode(host: str, expected: str) -> None:
    assert host_to_unicode(host) == expected


@given(st.text(max_size=40))
def test_host_to_unicode_is_idempotent(host: str) -> None:
    once = host_to_unicode(host)
    assert host_to_unicode(once) == once


_IDN_LETTERS = "abcdeäöüßéñçøåпримерзадач中文例子مثال"
idn_labels = st.text(alphabet=_IDN_LETTERS, min_size=1, max_size=12).filter(
    lambda s: not s.isascii()
)


@given(idn_labels, st.sampled_from(["com", "de", "co.uk", "рф"]))
def test_punycode_and_unicode_hosts_are_equivalent(label: str, suffix: str) -> None:
    ace = "xn--" + label.encode("punycode").decode("ascii")
    assert host_to_unicode(f"{ace}.{suffix}") == f"{label}.{suffix}"
    assert host_to_unicode(f"WWW.{ace.upper()}.{suffix}.") == f"www.{label}.{suffix}"
    assert registered_domain(f"www.{ace}.{suffix}") == registered_domain(f"{label}.{suffix}")
    assert registered_domain(f"{label}.{suffix}") == f"{label}.{suffix}"


# --- registered_domain --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("example.com", "example.com"),
        ("www.shop.example.com", "example.com"),
        ("WWW.Example.CO.UK", "example.co.uk"),
        ("a.b.example.co.uk.", "example.co.uk"),
        ("shop.example.com.au", "example.com.au"),
        ("foo.blogspot.com", "blogspot.com"),  # private PSL section ignored
        ("www.xn--mnchen-3ya.de", "münchen.de"),
        ("пример.рф", "пример.рф"),
        ("a_b.example.com", "example.com"),
        ("co.uk", None),  # a bare public suffix
        ("com", None),
        ("localhost", None),
        ("127.0.0.1", None),
        ("10.0.0.300", None),
        ("::1", None),
        ("[2001:db8::1]", None),
        ("foo.invalidtld-xyz", None),
        ("example.local", None),
        ("", None),
        (".", None),
        ("a..example.com", None),
        ("exa mple.com", None),
        ("example.com/x", None),
    ],
)
def test_registered_domain(host: str, expected: str | None) -> None:
    assert registered_domain(host) == expected
    assert registered_domain(host) == expected  # cached answer is the same


labels = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=10).filter(
    lambda s: not s.startswith("-") and not s.endswith("-") and not s.isdigit()
)
registered = st.sampled_from(
    ["example.com", "example.co.uk", "beispiel.com.au", "münchen.de", "firm.org", "acme.io"]
)


@given(st.lists(labels, max_size=4), registered)
def test_subdomains_map_to_the_same_registered_domain(subs: list[str], domain: str) -> None:
    host = ".".join([*subs, domain])
    assert registered_domain(host) == domain
    assert registered_domain(host.upper() + ".") == domain


# --- url_host / url_domain ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("http://Example.com/a", "example.com"),
        ("https://user:pw@WWW.Example.co.uk:8443/x?y#z", "www.example.co.uk"),
        ("//cdn.example.com/lib.js", "cdn.example.com"),
        ("ftp://files.example.org/", "files.example.org"),
        ("http://example.com?q=1", "example.com"),
        ("http://example.com#top", "example.com"),
        ("http://xn--mnchen-3ya.de/", "münchen.de"),
        ("http://[2001:db8::1]:80/", "2001:db8::1"),
        ("  http://example.com/  ", "example.com"),
        ("mailto:info@example.com", None),
        ("tel:+4912345", None),
        ("javascript:void(0)", None),
        ("javascript://comment%0Aalert(1)", None),
        ("data:text/html,hi", None),
        ("/relative/path", None),
        ("relative.html", None),
        ("#frag", None),
        ("http://", None),
        ("", None),
    ],
)
def test_url_host(url: str, host: str | None) -> None:
    assert url_host(url) == host


@given(
    st.sampled_from(["http", "https", "HTTP", "HtTpS"]),
    st.lists(labels, max_size=3),
    registered,
    st.one_of(st.none(), st.integers(1, 65535)),
    st.one_of(st.none(), st.sampled_from(["user", "user:pass", "a%40b:c"])),
    st.sampled_from(["", "/", "/a/b.html", "/?q=1", "?x=y", "#frag", "/p?a=b#c"]),
)
def test_url_domain_ignores_case_port_userinfo_and_path(
    scheme: str, subs: list[str], domain: str, port: int | None, userinfo: str | None, tail: str
) -> None:
    host = ".".join([*subs, domain])
    authority = (f"{userinfo}@" if userinfo else "") + host.upper() + (f":{port}" if port else "")
    url = f"{scheme}://{authority}{tail}"
    assert url_domain(url) == domain
    assert url_domain(f"//{authority}{tail}") == domain
    assert url_host(url) == host


def test_url_domain_of_non_host_urls_is_none() -> None:
    for url in ["mailto:a@example.com", "tel:1", "javascript:x()", "data:,x", "/a", "a", ""]:
        assert url_domain(url) is None
    assert url_domain("http://127.0.0.1/") is None
    assert url_domain("http://localhost:8080/") is None
    assert url_domain("http://example.invalidtld-xyz/") is None


# --- clean_seed_url -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("example.com", "example.com"),
        ("www.example.com", "example.com"),
        ("WWW.EXAMPLE.COM", "example.com"),
        ("  https://www.Example.com/about-us?lang=en  ", "example.com"),
        ("http://shop.example.co.uk/", "example.co.uk"),
        ("example.com.au/contact", "example.com.au"),
        ("www.example.com:8080/path", "example.com"),
        ("https://user@example.org", "example.org"),
        ('"https://example.com"', "example.com"),
        ("<http://example.com>", "example.com"),
        ("http:/example.com", "example.com"),
        ("https:example.com", "example.com"),
        ("//example.com/x", "example.com"),
        ("xn--mnchen-3ya.de", "münchen.de"),
        ("https://www.München.de/", "münchen.de"),
        ("пример.рф", "пример.рф"),
        ("not a url", None),
        ("http://", None),
        ("https://", None),
        ("localhost", None),
        ("http://localhost:8000/", None),
        ("127.0.0.1", None),
        ("http://192.168.0.1/admin", None),
        ("foo.invalidtld-xyz", None),
        ("co.uk", None),
        ("mailto:info@example.com", None),
        ("", None),
        ("   ", None),
    ],
)
def test_clean_seed_url(raw: str, expected: str | None) -> None:
    assert clean_seed_url(raw) == expected


@given(
    st.sampled_from(["", "http://", "https://", "HTTPS://", "//"]),
    st.sampled_from(["", "www.", "WWW."]),
    registered,
    st.sampled_from(["", "/", "/about", "/a/b?c=d", "?q", "#x"]),
    st.sampled_from(["", " ", "\t", "\n"]),
)
def test_messy_seed_rows_give_the_registered_domain(
    scheme: str, www: str, domain: str, tail: str, space: str
) -> None:
    assert clean_seed_url(f"{space}{scheme}{www}{domain.upper()}{tail}{space}") == domain


# --- resolve_link -------------------------------------------------------------------------------

PAGE = "http://a/b/c/d;p?q"


@pytest.mark.parametrize(
    ("href", "expected"),
    [
        # RFC 3986 section 5.4.1 (normal examples)
        ("g:h", "g:h"),
        ("g", "http://a/b/c/g"),
        ("./g", "http://a/b/c/g"),
        ("g/", "http://a/b/c/g/"),
        ("/g", "http://a/g"),
        ("//g", "http://g"),
        ("?y", "http://a/b/c/d;p?y"),
        ("g?y", "http://a/b/c/g?y"),
        ("#s", "http://a/b/c/d;p?q#s"),
        ("g#s", "http://a/b/c/g#s"),
        ("g?y#s", "http://a/b/c/g?y#s"),
        (";x", "http://a/b/c/;x"),
        ("g;x", "http://a/b/c/g;x"),
        ("g;x?y#s", "http://a/b/c/g;x?y#s"),
        ("", "http://a/b/c/d;p?q"),
        (".", "http://a/b/c/"),
        ("./", "http://a/b/c/"),
        ("..", "http://a/b/"),
        ("../", "http://a/b/"),
        ("../g", "http://a/b/g"),
        ("../..", "http://a/"),
        ("../../", "http://a/"),
        ("../../g", "http://a/g"),
        # abnormal examples urljoin and RFC 3986 agree on
        ("../../../g", "http://a/g"),
        ("/./g", "http://a/g"),
        ("/../g", "http://a/g"),
        ("g.", "http://a/b/c/g."),
        (".g", "http://a/b/c/.g"),
        ("g..", "http://a/b/c/g.."),
        ("./g/.", "http://a/b/c/g/"),
        ("g/./h", "http://a/b/c/g/h"),
        ("g/../h", "http://a/b/c/h"),
        # ours: stripped, schemes unchanged, tabs and newlines dropped
        ("  /g  ", "http://a/g"),
        ("\n\thttps://x.example/a b\n", "https://x.example/a b"),
        ("mailto:info@example.com", "mailto:info@example.com"),
        ("tel:+49-30-1234", "tel:+49-30-1234"),
        ("javascript:void(0)", "javascript:void(0)"),
        ("HTTP://X.example/", "HTTP://X.example/"),
        ("/g\n/h", "http://a/g/h"),
        ("/a/\t/b", "http://a/a//b"),
    ],
)
def test_resolve_link(href: str, expected: str) -> None:
    assert resolve_link(href, PAGE) == expected


def test_resolve_link_honours_the_base() -> None:
    page = "https://www.example.com/news/2024/item.html"
    assert resolve_link("x.html", page, "http://cdn.example.com/static/") == (
        "http://cdn.example.com/static/x.html"
    )
    assert resolve_link("x.html", page, "/other/") == "https://www.example.com/other/x.html"
    assert resolve_link("//img.example.com/a.png", page, None) == "https://img.example.com/a.png"
    assert resolve_link("//img.example.com/a.png", page, "http://b.example/") == (
        "http://img.example.com/a.png"
    )
    assert resolve_link("?page=2", page) == "https://www.example.com/news/2024/item.html?page=2"
    assert resolve_link("#top", page + "#old") == page + "#top"
    assert resolve_link("x", "https://example.com") == "https://example.com/x"
    assert resolve_link("?q", "https://example.com") == "https://example.com?q"
    # a base that is not http(s) falls back to urljoin for everything
    assert resolve_link("x", "ftp://example.com/a/b") == "ftp://example.com/a/x"


def test_resolve_link_keeps_empty_components_per_rfc3986() -> None:
    # urljoin drops these (RFC 1808 behaviour); RFC 3986 and browsers keep them
    assert resolve_link("/a?", PAGE) == "http://a/a?"
    assert resolve_link("#", PAGE) == "http://a/b/c/d;p?q#"
    assert resolve_link("?", PAGE) == "http://a/b/c/d;p?"


segments = st.lists(
    st.one_of(
        st.text(alphabet="abcxyz019-_~%", min_size=1, max_size=5),
        st.sampled_from([".", "..", "a.b", ".x", "x.", "p;x", "..;y"]),
    ),
    min_size=1,
    max_size=5,
)
queries = st.one_of(st.just(""), st.text(alphabet="abc=&/.", min_size=1, max_size=6))
fragments = st.one_of(st.just(""), st.text(alphabet="abc/?.", min_size=1, max_size=6))
bases = st.sampled_from(
    [
        "http://a/b/c/d;p?q",
        "https://www.example.com/",
        "https://www.example.com/dir/page.html?x=1#frag",
        "http://example.co.uk",
        "http://user@example.com:8080/a/b/",
    ]
)


@given(
    bases,
    st.sampled_from(["", "/", "./", "../", "//other.example/", "http://other.example/", "?", "#"]),
    segments,
    st.sampled_from([False, True]),
    queries,
    fragments,
)
@settings(max_examples=400)
def test_resolve_link_agrees_with_urljoin(
    base: str, prefix: str, segs: list[str], trailing_slash: bool, query: str, fragment: str
) -> None:
    if prefix in ("?", "#"):
        href = prefix + "/".join(segs)
    else:
        href = prefix + "/".join(segs) + ("/" if trailing_slash else "")
        href += (f"?{query}" if query else "") + (f"#{fragment}" if fragment else "")
    assert resolve_link(href, base) == urljoin(base, href)
    assert resolve_link(f"  {href}\n", base) == urljoin(base, href)


@given(bases, segments)
def test_relative_links_stay_on_the_page_domain(base: str, segs: list[str]) -> None:
    for href in ("/".join(segs), "/" + "/".join(segs), "?" + "/".join(segs), "#x"):
        assert url_domain(resolve_link(href, base)) == url_domain(base)
