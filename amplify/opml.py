"""OPML import and export: moving a follow list between amplify and other feed readers.

`read_opml` takes the feeds (`<outline type="rss" xmlUrl=...>`) from any depth of folders: a folder's title
and an outline's `category` become tags. OPML files come from elsewhere, so they are untrusted: defusedxml reads
them, refusing a DTD or entity declarations before anything is expanded (entity expansion is how XML bombs work);
a document nested deeper than any feed reader writes is refused too, and only http(s) feed URLs are taken.
`write_opml` writes OPML 2.0 that other readers import.
"""

from collections.abc import Iterable
from datetime import datetime
from email.utils import format_datetime
from io import BytesIO
from xml.etree import ElementTree
from xml.parsers import expat

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from amplify.clock import utcnow
from amplify.errors import AmplifyError
from amplify.names import name_key, one_line
from amplify.types import Source
from amplify.urls import is_http_url

_REFUSED = "this OPML file declares a DTD or entities, which amplify does not read; remove them"


# Elements inside one another, counting <opml> and <body>: far beyond any real follow list's folders, far below
# Python's recursion limit (the folders are walked recursively).
MAX_DEPTH = 100


class OPMLError(AmplifyError):
    """The file is not OPML amplify can read; the message says why."""


def read_opml(data: bytes) -> list[Source]:
    """The feeds listed in an OPML document, one Source each (same name twice: the feeds are merged)."""
    root = _parse(data)
    body = root.find("body")
    if root.tag != "opml" or body is None:
        raise OPMLError("not an OPML file: expected <opml> with a <body>")
    by_name: dict[str, Source] = {}
    seen_feeds: set[str] = set()
    for outline, folders in _feed_outlines(body, ()):
        feed = (outline.get("xmlUrl") or "").strip()
        if not is_http_url(feed) or feed in seen_feeds:
            continue
        seen_feeds.add(feed)
        name = one_line(outline.get("text") or outline.get("title") or "") or feed
        homepage = (outline.get("htmlUrl") or "").strip()
        categories = [
            part for value in (outline.get("category") or "").split(",") for part in value.split("/")
        ]
        tags = tuple(dict.fromkeys(tag for tag in (*folders, *map(one_line, categories)) if tag))
        known = by_name.get(name_key(name))
        if known is not None:
            by_name[name_key(name)] = Source(
                name=known.name, feeds=(*known.feeds, feed), url=known.url, tags=known.tags
            )
            continue
        by_name[name_key(name)] = Source(
            name=name, feeds=(feed,), url=homepage if is_http_url(homepage) else None, tags=tags
        )
    return list(by_name.values())


def _parse(data: bytes) -> ElementTree.Element:
    """The document's root, read by defusedxml with DTDs forbidden (so no entity can be declared, let alone
    expanded). Refused as soon as its elements nest deeper than MAX_DEPTH, before the folders are walked."""
    root: ElementTree.Element | None = None
    depth = 0
    try:
        for event, element in iterparse(BytesIO(data), events=("start", "end"), forbid_dtd=True):
            if event == "end":
                depth -= 1
                continue
            root = element if root is None else root
            depth += 1
            if depth > MAX_DEPTH:
                raise OPMLError(f"its folders are nested more than {MAX_DEPTH} deep, which no feed reader writes; "
                                "is this an OPML file?")
    except DefusedXmlException as error:
        raise OPMLError(_REFUSED) from error
    except ElementTree.ParseError as error:
        raise OPMLError(f"not valid XML ({expat.ErrorString(error.code)}, line {error.position[0]}); is this an "
                        "OPML file?") from error
    if root is None:  # expat reports an empty document itself; this keeps the type honest
        raise OPMLError("not an OPML file: expected <opml> with a <body>")
    return root


def _feed_outlines(
    parent: ElementTree.Element, folders: tuple[str, ...]
) -> list[tuple[ElementTree.Element, tuple[str, ...]]]:
    found: list[tuple[ElementTree.Element, tuple[str, ...]]] = []
    for outline in parent.findall("outline"):
        if outline.get("xmlUrl"):
            found.append((outline, folders))
        else:
            folder = one_line(outline.get("text") or outline.get("title") or "")
            found.extend(_feed_outlines(outline, (*folders, folder) if folder else folders))
    return found


def write_opml(
    sources: Iterable[Source], *, title: str = "amplify follow list", created: datetime | None = None
) -> bytes:
    """OPML 2.0: one `<outline type="rss">` per feed: text, title, xmlUrl, htmlUrl and category (tags)."""
    root = ElementTree.Element("opml", version="2.0")
    head = ElementTree.SubElement(root, "head")
    ElementTree.SubElement(head, "title").text = title
    ElementTree.SubElement(head, "dateCreated").text = format_datetime(created or utcnow(), usegmt=True)
    body = ElementTree.SubElement(root, "body")
    for source in sources:
        for feed in source.feeds:
            attributes = {"type": "rss", "text": source.name, "title": source.name, "xmlUrl": feed}
            if source.url:
                attributes["htmlUrl"] = source.url
            if source.tags:
                attributes["category"] = ",".join(source.tags)
            ElementTree.SubElement(body, "outline", attributes)
    ElementTree.indent(root)
    return ElementTree.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"
