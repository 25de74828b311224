"""The fast path: fastfeedparser (lxml and a native reader), trusted with a document only when its reading matches
what the markup holds (`parse_fast` says why not, and `parse_feed` then hands the document to feedparser); and the
digests by which an entry sent again unchanged is skipped."""

import codecs
import hashlib
import re
from bisect import bisect_right
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any, NamedTuple

import fastfeedparser
import nh3

from amplify import __version__
from amplify.parse.clean import (
    DEFAULT_MAX_ITEMS,
    FAST_PARSER,
    ParsedFeed,
    as_text,
    entry_from_parts,
    html_to_text,
    rfc3339_to_iso,
    unique,
)
from amplify.types import Entry
from amplify.urls import safe_http_url


def parse_fast(body: bytes, *, url: str, headers: Mapping[str, str] | None = None,
               max_items: int = DEFAULT_MAX_ITEMS,
               known_digests: Collection[str] = frozenset()) -> tuple[ParsedFeed | None, str | None]:
    """The fast path alone: (what fastfeedparser gives, after the same hygiene, or None when it cannot read the
    document; why it cannot be trusted with this document, or None when it can). `parse_feed` hands the document
    to feedparser whenever there is a reason."""
    lowered = {name.lower(): value for name, value in (headers or {}).items()}
    declared = _charset(lowered.get("content-type", ""))
    if declared and declared != _document_encoding(body):
        # feedparser lets the response's charset win over the document's; fastfeedparser reads only the bytes.
        return None, f"the response declares {declared}"
    try:
        parsed = fastfeedparser.parse(body)  # bytes: given a str that looks like a URL, it would fetch it
    except Exception as error:  # whatever it raises on, feedparser gets the document
        return None, f"fastfeedparser raised {type(error).__name__}"
    raw_entries = parsed.get("entries") or []
    spans = _entry_spans(body)
    if not raw_entries:
        return None, "no entries"  # an empty or broken document: feedparser says what is wrong with it
    if not _ends_whole(body):
        # Cut off, or something after the feed: fastfeedparser recovers what it can; feedparser's judgement of a
        # broken document (its problem, the debris it drops) is the one users already know.
        return None, "the document does not end with its feed's closing tag"
    if len(spans) != len(raw_entries):
        return None, f"{len(raw_entries)} entries where the markup has {len(spans)}"
    feed = parsed.get("feed") or {}
    feed_title = html_to_text(as_text(feed.get("title"))) or None
    feed_base = safe_http_url(as_text(feed.get("link")), url) or url
    entries = []
    doubt = None
    if feed_title is None and _SOURCES["title"].pattern.search(body, 0, spans[0][0]):
        doubt = "the feed has no title where its markup may"
    digests = _digest_start(url, feed_base, body[:spans[0][0]])
    fields = _FieldFinder(body)
    if known_digests and _keys_repeat(raw_entries[:max_items], spans, body, url):
        # Which entry of a key repeated in the feed is kept (the first) can only be told by reading them all: skip
        # none, or the copy read would change from one refresh to the next.
        known_digests = frozenset()
    for index, (raw, (start, end)) in enumerate(zip(raw_entries[:max_items], spans, strict=False)):
        markup = body[start:end]
        digest = digests.copy()
        digest.update(markup)
        if (markup_digest := digest.hexdigest()) in known_digests:
            continue  # sent again unchanged: what is stored for it is what cleaning it again would give
        entry = _entry_from_fastfeedparser(raw, url, feed_base, markup, markup_digest)
        if doubt is None and (missing := _missing_fields(raw, entry, fields, start, end)):
            doubt = f"entry {index + 1} has no {', '.join(missing)} where its markup may"
        entries.append(entry)
    return ParsedFeed(feed_title, unique(entries), parser=FAST_PARSER), doubt


def _entry_from_fastfeedparser(raw: dict[str, Any], feed_url: str, feed_base: str, markup: bytes,
                               markup_digest: str) -> Entry:
    link = safe_http_url(as_text(raw.get("link")), feed_url)
    base = link or feed_base
    html_parts = [as_text(part.get("value")) for part in raw.get("content") or [] if part.get("type") != "text/plain"]
    image_url = image_alt = None
    for media in raw.get("media_content") or []:
        kind = as_text(media.get("medium") or media.get("type")).lower()
        if kind.startswith("image") and (image_url := safe_http_url(as_text(media.get("url")), base)):
            image_alt = html_to_text(as_text(media.get("description"))) or None
            break
    else:
        # RSS enclosures come apart from Atom's rel="enclosure" links; feedparser lists both as links.
        enclosures = [(enclosure.get("url"), enclosure.get("type")) for enclosure in raw.get("enclosures") or []]
        enclosures += [(other.get("href"), other.get("type")) for other in raw.get("links") or []
                       if other.get("rel") == "enclosure"]
        thumbnails = [(media.get("thumbnail_url"), "image/") for media in raw.get("media_content") or []]
        for address, kind in enclosures + thumbnails:
            if as_text(kind).lower().startswith("image/") and (image_url := safe_http_url(as_text(address), base)):
                break
    identifier = _fast_identifier(raw, markup)
    # It also reads a date out of a guid such as "1" (the first of this month); feedparser only reads dates.
    published = updated = None
    if _SOURCES["published"].pattern.search(markup):
        published = rfc3339_to_iso(raw.get("published")) or rfc3339_to_iso(raw.get("updated"))
        updated = rfc3339_to_iso(raw.get("updated"))
    return entry_from_parts(identifier, link, base, as_text(raw.get("title")), as_text(raw.get("author")),
                             published, updated, _fast_summary(raw, markup),
                             html_parts[0] if html_parts else None, image_url, image_alt, markup_digest)


def _fast_identifier(raw: dict[str, Any], body: bytes, start: int = 0, end: int | None = None) -> str | None:
    """The entry's id, where its markup (`body[start:end]`) has one."""
    # fastfeedparser falls back to the link for an entry without an id; feedparser, and so the key, does not.
    end = len(body) if end is None else end
    has_id = _ID_TAG.search(body, start, end) or _ID_ABOUT.search(body, start, end)  # the two halves of "id"
    return as_text(raw.get("id")) if has_id else None


def _keys_repeat(raw_entries: list[dict[str, Any]], spans: list[tuple[int, int]], body: bytes, url: str) -> bool:
    """Whether two entries share an id, or lacking one a link: the key `entry_key` gives them (entries keyed by
    a hash of their words say the same, and are left out)."""
    seen: set[str] = set()
    for raw, (start, end) in zip(raw_entries, spans, strict=False):
        key = (_fast_identifier(raw, body, start, end) or "").strip() or safe_http_url(as_text(raw.get("link")), url)
        if key in seen:
            return True
        if key:
            seen.add(key)
    return False


def _fast_summary(raw: dict[str, Any], markup: bytes) -> str:
    # fastfeedparser makes up a description from the first 512 characters of the content when an entry has none;
    # feedparser leaves it empty, and the plain text is then taken from the whole content.
    return as_text(raw.get("description")) if _SOURCES["summary"].pattern.search(markup) else ""


# What feedparser reads each stored field from, by local name under any namespace prefix (media: aside where
# noted), searched in an entry's own markup. A field the fast path left empty while its entry has one of these
# sends the document to feedparser. A false alarm costs only speed; tests/test_parse_paths.py holds the rule to
# what both paths store for real-world feeds.
class _Source(NamedTuple):
    """Where a field may come from: `pattern`, and `needles`, bytes of which one is in the lowered markup wherever
    the pattern matches (an ASCII-case-blind pattern's match, lowered, holds one), so most entries are cleared
    without running the pattern."""

    pattern: "re.Pattern[bytes]"
    needles: tuple[bytes, ...]

    def in_lowered(self, lowered: bytes) -> bool:
        """Whether the lowered markup holds a needle: where it does not, the pattern finds nothing."""
        return any(needle in lowered for needle in self.needles)

    def in_markup(self, markup: bytes, lowered: bytes) -> bool:
        """Whether the pattern finds the field in `markup` (`lowered` is `markup.lower()`)."""
        return self.in_lowered(lowered) and self.pattern.search(markup) is not None


def _tags(*names: str, media: bool = True) -> _Source:
    """Elements with one of these local names that are not empty (<x></x>, <x/>). The attributes may not hold a
    "<", so each try stops at the next tag and a hostile body costs linear time."""
    prefix = rb"(?:[\w.-]+:)?" if media else rb"(?!media:)(?:[\w.-]+:)?"
    alternatives = "|".join(names).encode()
    pattern = re.compile(rb"<" + prefix + rb"(?:" + alternatives + rb")\b[^<>]*(?<!/)>(?!\s*</)", re.IGNORECASE)
    # The name follows the "<" or its prefix's ":".
    return _Source(pattern, tuple(mark + name.lower().encode() for name in names for mark in (b"<", b":")))


_ROOT_END = re.compile(rb"</(?:[\w.-]+:)?(?:rss|feed|rdf)\s*>", re.IGNORECASE)
_AFTER_ROOT = re.compile(rb"(?:\s|<!--.*?-->)*\Z", re.DOTALL)  # a cache's signature comment, say
_TAIL_BYTES = 4096
_ITEM_START = re.compile(rb"<(?:[\w.-]+:)?(?:item|entry)[\s>/]")
_ITEM_END = re.compile(rb"</(?:[\w.-]+:)?(?:item|entry)\s*>")
# An id element, or RDF's about attribute: searched apart, the first runs on the "<" alone.
_ID_TAG = re.compile(rb"<(?:[\w.-]+:)?(?:guid|id)\b", re.IGNORECASE)
_ID_ABOUT = re.compile(rb"\babout=", re.IGNORECASE)
_SOURCES = {
    "title": _tags("title"),
    "link": _tags("link", "guid"),
    "id": _Source(re.compile(_ID_TAG.pattern + b"|" + _ID_ABOUT.pattern, re.IGNORECASE),
                  (b"<guid", b":guid", b"<id", b":id", b"about=")),
    "published": _tags("pubDate", "published", "issued", "created", "updated", "modified", "date"),
    "updated": _tags("updated", "modified", "date"),
    "author": _tags("author", "creator"),
    "summary": _tags("description", "summary", "abstract", "subtitle", media=False),
    "content": _tags("encoded", "content", "body", media=False),
    "media description": _tags("description", "summary"),
    "image": _Source(re.compile(rb"<(?:[\w.-]+:)?(?:thumbnail|enclosure)\b|<[\w.-]+:content\b|rel=[\"']?enclosure",
                                re.IGNORECASE), (b"thumbnail", b"enclosure", b":content")),
    "image description": _Source(re.compile(rb"<[\w.-]+:(?:description|text)\b", re.IGNORECASE),
                                 (b":description", b":text")),
}
# The code an entry's stored text came from: the source of this package's modules and the versions of the libraries
# it reads and cleans with. Any change to how entries are cleaned changes every digest, so feeds' entries are
# cleaned again as the feeds send them, without anyone having to remember a version number.
def _cleaning_code() -> str:
    try:
        digest = hashlib.blake2b()
        for module in sorted(Path(__file__).parent.glob("*.py")):
            digest.update(module.read_bytes())
        source = digest.hexdigest()
    except OSError:  # installed without its source (a zip, say): the versions alone
        source = ""
    return "\0".join((source, __version__, fastfeedparser.__version__, nh3.__version__))


_CLEANING_CODE = _cleaning_code()
_DECLARATION = re.compile(rb"""(?:xmlns(?::[\w.-]+)?|xml:base)\s*=\s*(?:"[^"]*"|'[^']*')""")
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*\bencoding=["']([\w.:-]+)""")


def _digest_start(url: str, feed_base: str, head: bytes) -> "hashlib._Hash":
    """A digest begun with what an entry's markup is read against: the feed's addresses, the namespace prefixes and
    base the document's head declares, and the code that reads and cleans it."""
    names = (url, feed_base, _CLEANING_CODE)
    context = [name.encode("utf-8", "surrogatepass") for name in names] + _DECLARATION.findall(head)
    return hashlib.blake2b(b"\0".join(context), digest_size=16)


def _ends_whole(body: bytes) -> bool:
    """Whether the document ends with its root's closing tag (comments and white space may follow)."""
    tail = body[-_TAIL_BYTES:]
    ends = list(_ROOT_END.finditer(tail))
    return bool(ends) and _AFTER_ROOT.match(tail, ends[-1].end()) is not None


def _entry_spans(body: bytes) -> list[tuple[int, int]]:
    """Where each item or entry element starts and ends in the bytes: from its start tag to the last closing tag
    before the next one starts, so an entry's span is the same wherever it stands in the feed."""
    starts = [match.start() for match in _ITEM_START.finditer(body)]
    if not starts:
        return []
    ends = [match.end() for match in _ITEM_END.finditer(body, starts[0])]
    spans = []
    for start, following in zip(starts, [*starts[1:], len(body)], strict=True):
        last = bisect_right(ends, following) - 1
        spans.append((start, ends[last] if last >= 0 and ends[last] > start else following))
    return spans


def _missing_fields(raw: dict[str, Any], entry: Entry, fields: "_FieldFinder", start: int, end: int) -> list[str]:
    """The stored fields the fast path left empty for the entry at `start:end` while its markup may hold them."""
    empty = {
        "title": entry.title_is_derived,
        "link": entry.url is None,
        "id": not as_text(raw.get("id")).strip(),
        "published": entry.published_at is None,
        "updated": entry.updated_at is None,
        "author": entry.author is None,
        "summary": not raw.get("description"),
        "content": not raw.get("content"),
        "media description": not (raw.get("description") or raw.get("content")),
        "image": entry.image_url is None,
        "image description": entry.image_url is not None and entry.image_alt is None,
    }
    return [name for name, is_empty in empty.items() if is_empty and fields.may_hold(name, start, end)]


class _FieldFinder:
    """Whether an entry of a document may hold a field: the field's needles are looked for in the whole document
    once (lowered once), and only where it holds one in the entry's markup, then the field's pattern."""

    def __init__(self, body: bytes) -> None:
        self._body = body
        self._lowered = b""  # lowered when first needed: when every entry is skipped as known, never
        self._anywhere: dict[str, bool] = {}

    def may_hold(self, field: str, start: int, end: int) -> bool:
        source = _SOURCES[field]
        if (anywhere := self._anywhere.get(field)) is None:
            self._lowered = self._lowered or self._body.lower()
            anywhere = self._anywhere[field] = source.in_lowered(self._lowered)
        return anywhere and source.in_markup(self._body[start:end], self._lowered[start:end])


def _charset(content_type: str) -> str | None:
    for parameter in content_type.split(";")[1:]:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset" and value.strip(' "\''):
            return _encoding_name(value.strip(' "\''))
    return None


def _document_encoding(body: bytes) -> str:
    declared = _XML_ENCODING.match(body.lstrip(b"\xef\xbb\xbf"))
    return _encoding_name(declared.group(1).decode("ascii")) if declared else "utf-8"


def _encoding_name(name: str) -> str:
    try:
        return codecs.lookup(name).name
    except LookupError:
        return name.lower()
