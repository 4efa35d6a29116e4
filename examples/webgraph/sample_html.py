"""Planned pages of :mod:`webgraph.sample`: their links, HTML and WAT ``HTML-Metadata``.

A :class:`Page` is the generator's plan of one HTML page. Every :class:`Link` knows the
registered domain its URL resolves into (``target``), so the expected graph is counted from the
plan, never by parsing URLs back. :func:`render_html` writes the page as HTML (text and
attribute values escaped) and :func:`html_metadata` gives what webarchive-commons would extract
from that HTML: the unescaped attribute values and texts, in document order.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from html import escape
from typing import Any

__all__ = ["LINK_KINDS", "Link", "Page", "Section", "html_metadata", "render_html"]

#: element kinds the sample emits: (tag, URL attribute, WAT path)
LINK_KINDS: dict[str, tuple[str, str]] = {
    "a": ("href", "A@/href"),
    "img": ("src", "IMG@/src"),
    "link": ("href", "LINK@/href"),
    "script": ("src", "SCRIPT@/src"),
    "form": ("action", "FORM@/action"),
}


@dataclass(slots=True)
class Link:
    """One URL-carrying element: ``url`` is the attribute value as a parser decodes it."""

    kind: str
    url: str
    #: registered domain (eTLD+1, Unicode) the URL resolves into, None if it names no host
    target: str | None
    #: anchor text (a) or alt text (img), unescaped, whitespace as written
    text: str = ""
    #: rel of a <link>
    rel: str = ""
    #: title attribute of an <a>
    title: str | None = None


@dataclass(slots=True)
class Section:
    """A block of the body (nav, main, aside, footer): links and paragraphs in order."""

    tag: str
    items: list[Link | str] = field(default_factory=list)


@dataclass(slots=True)
class Page:
    url: str
    #: registered domain of the page's host (a firm's or a third party's)
    domain: str
    title: str
    description: str
    base: str | None = None
    #: <link> and <script> elements of the head, in order
    head: list[Link] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)

    def body_links(self) -> Iterator[Link]:
        for section in self.sections:
            for item in section.items:
                if isinstance(item, Link):
                    yield item

    def a_links(self) -> Iterator[Link]:
        return (link for link in self.body_links() if link.kind == "a")


def _attr(value: str) -> str:
    return escape(value, quote=True)


def _element(link: Link) -> str:
    url = _attr(link.url)
    if link.kind == "a":
        title = "" if link.title is None else f' title="{_attr(link.title)}"'
        return f'<a href="{url}"{title}>{escape(link.text)}</a>\n'
    if link.kind == "img":
        return f'<img src="{url}" alt="{_attr(link.text)}">\n'
    if link.kind == "form":
        return (
            f'<form action="{url}" method="get"><input type="search" name="q">'
            '<button type="submit">Search</button></form>\n'
        )
    if link.kind == "link":
        return f'<link rel="{_attr(link.rel)}" href="{url}">\n'
    if link.kind == "script":
        return f'<script src="{url}"></script>\n'
    raise ValueError(f"unknown link kind {link.kind!r}")


def render_html(page: Page) -> bytes:
    """The page as UTF-8 HTML: <link>/<script> in the head, sections in the body."""
    parts = [
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n',
        f"<title>{escape(page.title)}</title>\n",
        f'<meta name="description" content="{_attr(page.description)}">\n',
    ]
    if page.base is not None:
        parts.append(f'<base href="{_attr(page.base)}">\n')
    parts.extend(_element(link) for link in page.head)
    parts.append("</head>\n<body>\n")
    for section in page.sections:
        parts.append(f"<{section.tag}>\n")
        for item in section.items:
            parts.append(_element(item) if isinstance(item, Link) else f"<p>{escape(item)}</p>\n")
        parts.append(f"</{section.tag}>\n")
    parts.append("</body>\n</html>\n")
    return "".join(parts).encode("utf-8")


def _wat_entry(link: Link) -> dict[str, str]:
    path = LINK_KINDS[link.kind][1]
    if link.kind == "a":
        entry = {"path": path, "url": link.url, "text": link.text}
        if link.title is not None:
            entry["title"] = link.title
        return entry
    if link.kind == "img":
        return {"path": path, "url": link.url, "alt": link.text}
    if link.kind == "form":
        return {"path": path, "method": "get", "url": link.url}
    if link.kind == "link":
        return {"path": path, "url": link.url, "rel": link.rel}
    return {"path": path, "url": link.url}


def html_metadata(page: Page) -> dict[str, Any]:
    """``HTML-Metadata`` of the WAT: Head (Title, Base, Metas, Link, Scripts) and Links."""
    head: dict[str, Any] = {"Title": page.title}
    if page.base is not None:
        head["Base"] = page.base
    head["Metas"] = [{"name": "description", "content": page.description}]
    links = [_wat_entry(link) for link in page.head if link.kind == "link"]
    scripts = [_wat_entry(link) for link in page.head if link.kind == "script"]
    if links:
        head["Link"] = links
    if scripts:
        head["Scripts"] = scripts
    return {"Head": head, "Links": [_wat_entry(link) for link in page.body_links()]}
