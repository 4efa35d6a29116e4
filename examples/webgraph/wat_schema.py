"""The typed shape of a WAT metadata record, as far as link extraction reads it.

msgspec decodes only these fields and skips the rest of the JSON without building objects.
Kept apart from :mod:`webgraph.wat_fast`, which Cython compiles: these classes are built by
msgspec's metaclass from their annotations and stay plain Python.
"""

from __future__ import annotations

import msgspec

__all__ = ["Doc", "Entry", "Head", "decoder"]


class Entry(msgspec.Struct, gc=False):
    """One entry of ``Head.Link``, ``Head.Scripts`` or ``Links`` (other keys are skipped)."""

    path: str
    url: str
    text: str | None = None


class Head(msgspec.Struct, gc=False):
    Title: str | None = None
    Base: str | None = None
    Link: list[Entry] | None = None
    Scripts: list[Entry] | None = None


class HtmlMeta(msgspec.Struct, gc=False, rename={"head": "Head", "links": "Links"}):
    head: Head | None = None
    links: list[Entry] | None = None


class HttpMeta(msgspec.Struct, gc=False, rename={"html": "HTML-Metadata"}):
    html: HtmlMeta


class Payload(msgspec.Struct, gc=False, rename={"http": "HTTP-Response-Metadata"}):
    http: HttpMeta


class WarcHeaders(msgspec.Struct, gc=False, rename={"uri": "WARC-Target-URI"}):
    uri: str


class Envelope(
    msgspec.Struct,
    gc=False,
    rename={"headers": "WARC-Header-Metadata", "payload": "Payload-Metadata"},
):
    headers: WarcHeaders
    payload: Payload


class Doc(msgspec.Struct, gc=False):
    Envelope: Envelope


decoder = msgspec.json.Decoder(Doc)
