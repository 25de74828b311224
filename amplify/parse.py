"""Feed bytes -> normalized entries, and the link and HTML hygiene every module uses on untrusted feed text.

RSS, Atom and RDF go through fastfeedparser first (lxml and a native reader: about 25 times feedparser's speed on
the feeds we benchmark with), and through feedparser, the safety net, whenever the fast path cannot be trusted with
a document: it raises, finds another number of entries than the markup has, leaves out a field that an entry's own
markup has (see `parse_fast` and `_missing_fields`), or the response declares a charset other than the document's.
feedparser reads the bytes with the response headers, so it sees the declared charset, with its own sanitizing and
relative-URI resolution switched off: we strip titles and summaries to plain text and sanitize kept HTML with nh3
ourselves, on either path. JSON Feed (1.0 and 1.1) is parsed with `json` under the same hygiene.
`ParsedFeed.parser` says which path served a document, and a refresh counts them, so a change in the share is
visible.

What comes out is safe to store: titles and summaries are plain text, links are absolute http(s) or nothing, HTML
is sanitized (no script, style, iframe, event attributes or javascript: URLs; links get rel=noopener noreferrer).
"""

import codecs
import hashlib
import html
import json
import re
import time
from bisect import bisect_right
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import fastfeedparser
import nh3

from amplify import __version__
from amplify.clock import to_iso
from amplify.types import Entry
from amplify.urls import safe_http_url

DEFAULT_MAX_ITEMS = 200
SUMMARY_MAX_CHARS = 1000
DERIVED_TITLE_WORDS = 10
DERIVED_TITLE_MAX_CHARS = 80
# Headers feedparser gets with the bytes: the declared charset and language. Not Content-Location: with a base,
# feedparser joins every link and id against it, which costs time, and relative links are resolved here anyway.
PARSER_HEADERS = ("content-type", "content-language")
FAST_PARSER = "fastfeedparser"
SAFE_PARSER = "feedparser"
JSON_PARSER = "json"

_BLOCK_TAG = re.compile(
    r"<(?=/?(?:p|div|br|li|ul|ol|h[1-6]|blockquote|tr|td|th|table|section|article|figure|figcaption|pre|hr|img)\b)",
    re.IGNORECASE,
)
_WHITESPACE = re.compile(r"\s+")
_TAG_OPENING = re.compile(r"<[A-Za-z/!?]")  # what an HTML parser reads as the start of a tag or comment
_EMAIL = r"[^\s()<>@]+@[^\s()<>@]+"
_EMAIL_AND_NAME = re.compile(rf"{_EMAIL}\s*\(([^()]+)\)|([^()]+?)\s*\({_EMAIL}\)")
_FIRST_IMG = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
_ATTRIBUTE = re.compile(r'\b(src|alt)="([^"]*)"', re.IGNORECASE)
_TEXT_CLEANER = nh3.Cleaner(tags=set(), attributes={}, clean_content_tags={"script", "style"})


@dataclass(frozen=True)
class ParsedFeed:
    """A parsed feed. `problem` says, in a line a user can act on, why nothing usable was found (else None)."""

    title: str | None
    entries: tuple[Entry, ...]
    problem: str | None = None
    # Which path read it: FAST_PARSER, SAFE_PARSER (feedparser) or JSON_PARSER.
    parser: str = ""


# -- hygiene helpers ------------------------------------------------------------------------------------------


def html_to_text(markup: str) -> str:
    """Plain text from HTML: tags removed (script/style with their content), entities decoded, whitespace
    collapsed to single spaces. Markup escaped twice (`&amp;lt;script&amp;gt;`) decodes to a tag: that is stripped
    too, and a `<` still opening one after that is dropped, so what comes out never holds a tag."""
    text = markup
    for _ in range(2):
        if not text:
            return ""
        if "<" in text:
            text = _TEXT_CLEANER.clean(_BLOCK_TAG.sub(" <", text))
        text = _WHITESPACE.sub(" ", html.unescape(text)).strip()
        if not _TAG_OPENING.search(text):
            return text
    return text.replace("<", "")


def sanitize_html(markup: str, base: str | None = None) -> str:
    """HTML safe to show: nh3's allow-list (no script, style, iframe, event attributes), only http(s) and mailto
    URLs, relative URLs resolved against `base` (dropped without one), links with rel=noopener noreferrer."""
    if not markup:
        return ""
    relative: Any = ("rewrite_with_base", base) if safe_http_url(base) else "deny"
    return nh3.clean(markup, url_schemes={"http", "https", "mailto"}, url_relative=relative,
                     link_rel="noopener noreferrer").strip()


# -- parsing --------------------------------------------------------------------------------------------------


def parse_feed(body: bytes, *, url: str, headers: Mapping[str, str] | None = None,
               max_items: int = DEFAULT_MAX_ITEMS, known_digests: Collection[str] = frozenset()) -> ParsedFeed:
    """Parse RSS, Atom, RDF or JSON Feed bytes fetched from `url`. Never raises for bad input: a feed with nothing
    usable comes back with no entries and a `problem`. At most `max_items` entries (the first in the feed).
    Entries whose `markup_digest` is in `known_digests` (stored from an earlier read) are left out."""
    lowered = {name.lower(): value for name, value in (headers or {}).items()}
    if _looks_like_json(body, lowered.get("content-type", "")):
        return _parse_json_feed(body, url, max_items)
    fast, doubt = parse_fast(body, url=url, headers=lowered, max_items=max_items, known_digests=known_digests)
    if fast is not None and doubt is None:
        return fast
    return parse_with_feedparser(body, url=url, headers=lowered, max_items=max_items)


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
    feed_title = html_to_text(_text(feed.get("title"))) or None
    feed_base = safe_http_url(_text(feed.get("link")), url) or url
    entries = []
    doubt = None
    if feed_title is None and _SOURCES["title"].search(body, 0, spans[0][0]):
        doubt = "the feed has no title where its markup may"
    digests = _digest_start(url, feed_base, body[:spans[0][0]])
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
        if doubt is None and (missing := _missing_fields(raw, entry, markup)):
            doubt = f"entry {index + 1} has no {', '.join(missing)} where its markup may"
        entries.append(entry)
    return ParsedFeed(feed_title, _unique(entries), parser=FAST_PARSER), doubt


def parse_with_feedparser(body: bytes, *, url: str, headers: Mapping[str, str] | None = None,
                          max_items: int = DEFAULT_MAX_ITEMS) -> ParsedFeed:
    """The safety net, and the reference the fast path is held to: feedparser reads anything it can."""
    import feedparser  # here: most refreshes never need it, and it is a tenth of a second to import

    lowered = {name.lower(): value for name, value in (headers or {}).items()}
    parser_headers = {name: lowered[name] for name in PARSER_HEADERS if name in lowered}
    parsed = feedparser.parse(body, response_headers=parser_headers, sanitize_html=False,
                              resolve_relative_uris=False)
    feed_title = html_to_text(parsed.feed.get("title", "")) or None
    feed_base = safe_http_url(parsed.feed.get("link"), url) or url
    entries = _unique(_entry_from_feedparser(raw, url, feed_base) for raw in parsed.entries[:max_items])
    problem = None
    if not entries and (parsed.get("bozo") or not parsed.get("version")):
        problem = _not_a_feed_reason(body, parsed)
    return ParsedFeed(feed_title, entries, problem, parser=SAFE_PARSER)


def _entry_from_feedparser(parsed_entry: Any, feed_url: str, feed_base: str) -> Entry:
    # A plain dict view: FeedParserDict's key aliasing costs time on every lookup and maps dates with a warning.
    raw = dict(parsed_entry)
    link = safe_http_url(raw.get("link"), feed_url)
    base = link or feed_base
    content_parts = raw.get("content") or []
    html_parts = [part.get("value", "") for part in content_parts if part.get("type") != "text/plain"]
    plain_parts = [part.get("value", "") for part in content_parts if part.get("type") == "text/plain"]
    image_url, image_alt = _feedparser_image(raw, base)
    if image_url and image_alt is None and plain_parts and raw.get("media_content"):
        # feedparser files media:description (Mastodon's image description) under `content` as plain text.
        image_alt = html_to_text(plain_parts[0]) or None
    published = _struct_to_iso(raw.get("published_parsed")) or _struct_to_iso(raw.get("updated_parsed"))
    updated = _struct_to_iso(raw.get("updated_parsed"))
    author = raw.get("author") or (raw.get("author_detail") or {}).get("name") or ""
    return _entry_from_parts(raw.get("id"), link, base, raw.get("title", ""), author, published, updated,
                             raw.get("summary", ""), html_parts[0] if html_parts else None, image_url, image_alt)


def _entry_from_fastfeedparser(raw: dict[str, Any], feed_url: str, feed_base: str, markup: bytes,
                               markup_digest: str) -> Entry:
    link = safe_http_url(_text(raw.get("link")), feed_url)
    base = link or feed_base
    html_parts = [_text(part.get("value")) for part in raw.get("content") or [] if part.get("type") != "text/plain"]
    image_url = image_alt = None
    for media in raw.get("media_content") or []:
        kind = _text(media.get("medium") or media.get("type")).lower()
        if kind.startswith("image") and (image_url := safe_http_url(_text(media.get("url")), base)):
            image_alt = html_to_text(_text(media.get("description"))) or None
            break
    else:
        # RSS enclosures come apart from Atom's rel="enclosure" links; feedparser lists both as links.
        enclosures = [(enclosure.get("url"), enclosure.get("type")) for enclosure in raw.get("enclosures") or []]
        enclosures += [(other.get("href"), other.get("type")) for other in raw.get("links") or []
                       if other.get("rel") == "enclosure"]
        thumbnails = [(media.get("thumbnail_url"), "image/") for media in raw.get("media_content") or []]
        for address, kind in enclosures + thumbnails:
            if _text(kind).lower().startswith("image/") and (image_url := safe_http_url(_text(address), base)):
                break
    identifier = _fast_identifier(raw, markup)
    # It also reads a date out of a guid such as "1" (the first of this month); feedparser only reads dates.
    published = updated = None
    if _SOURCES["published"].search(markup):
        published = _rfc3339_to_iso(raw.get("published")) or _rfc3339_to_iso(raw.get("updated"))
        updated = _rfc3339_to_iso(raw.get("updated"))
    return _entry_from_parts(identifier, link, base, _text(raw.get("title")), _text(raw.get("author")),
                             published, updated, _fast_summary(raw, markup),
                             html_parts[0] if html_parts else None, image_url, image_alt, markup_digest)


def _entry_from_parts(identifier: str | None, link: str | None, base: str, raw_title: str, raw_author: str,
                      published: str | None, updated: str | None, raw_summary: str, raw_content: str | None,
                      image_url: str | None, image_alt: str | None, markup_digest: str | None = None) -> Entry:
    """The hygiene both parse paths share: plain text, sanitized HTML, the first image, a stable key."""
    content = raw_summary if raw_content is None else raw_content
    summary_text = html_to_text(raw_summary) or html_to_text(content)
    content_html = sanitize_html(content, base)
    # Titles go through the HTML stripper even when the feed calls them plain text: RSS titles often carry
    # escaped markup, and a stored title must never hold a tag.
    title = html_to_text(raw_title)
    if image_url is None:
        image_url, image_alt = _first_image(content_html)
    author = _person_name(html_to_text(raw_author)) or None
    key = _entry_key(identifier, link, title, published, summary_text)
    return _finish(key, link, title, author, published, updated, summary_text, content_html, image_url, image_alt,
                   markup_digest)


def _feedparser_image(raw: Any, base: str) -> tuple[str | None, str | None]:
    for media in raw.get("media_content") or []:
        kind = (media.get("medium") or media.get("type") or "").lower()
        if kind.startswith("image") and (found := safe_http_url(media.get("url"), base)):
            return found, None
    for link in raw.get("links") or []:
        is_image = link.get("rel") == "enclosure" and (link.get("type") or "").lower().startswith("image/")
        if is_image and (found := safe_http_url(link.get("href"), base)):
            return found, None
    for thumbnail in raw.get("media_thumbnail") or []:
        if found := safe_http_url(thumbnail.get("url"), base):
            return found, None
    return None, None


def _fast_identifier(raw: dict[str, Any], body: bytes, start: int = 0, end: int | None = None) -> str | None:
    """The entry's id, where its markup (`body[start:end]`) has one."""
    # fastfeedparser falls back to the link for an entry without an id; feedparser, and so the key, does not.
    return _text(raw.get("id")) if _SOURCES["id"].search(body, start, len(body) if end is None else end) else None


def _keys_repeat(raw_entries: list[dict[str, Any]], spans: list[tuple[int, int]], body: bytes, url: str) -> bool:
    """Whether two entries share an id, or lacking one a link: the key `_entry_key` gives them (entries keyed by
    a hash of their words say the same, and are left out)."""
    seen: set[str] = set()
    for raw, (start, end) in zip(raw_entries, spans, strict=False):
        key = (_fast_identifier(raw, body, start, end) or "").strip() or safe_http_url(_text(raw.get("link")), url)
        if key in seen:
            return True
        if key:
            seen.add(key)
    return False


def _fast_summary(raw: dict[str, Any], markup: bytes) -> str:
    # fastfeedparser makes up a description from the first 512 characters of the content when an entry has none;
    # feedparser leaves it empty, and the plain text is then taken from the whole content.
    return _text(raw.get("description")) if _SOURCES["summary"].search(markup) else ""


# What feedparser reads each stored field from, by local name under any namespace prefix (media: aside where
# noted), searched in an entry's own markup. A field the fast path left empty while its entry has one of these
# sends the document to feedparser. A false alarm costs only speed; tests/test_parse_paths.py holds the rule to
# what both paths store for real-world feeds.
def _tags(*names: str, media: bool = True) -> "re.Pattern[bytes]":
    """Elements with one of these local names that are not empty (<x></x>, <x/>). The attributes may not hold a
    "<", so each try stops at the next tag and a hostile body costs linear time."""
    prefix = rb"(?:[\w.-]+:)?" if media else rb"(?!media:)(?:[\w.-]+:)?"
    alternatives = "|".join(names).encode()
    return re.compile(rb"<" + prefix + rb"(?:" + alternatives + rb")\b[^<>]*(?<!/)>(?!\s*</)", re.IGNORECASE)


_ROOT_END = re.compile(rb"</(?:[\w.-]+:)?(?:rss|feed|rdf)\s*>", re.IGNORECASE)
_AFTER_ROOT = re.compile(rb"(?:\s|<!--.*?-->)*\Z", re.DOTALL)  # a cache's signature comment, say
_TAIL_BYTES = 4096
_ITEM_START = re.compile(rb"<(?:[\w.-]+:)?(?:item|entry)[\s>/]")
_ITEM_END = re.compile(rb"</(?:[\w.-]+:)?(?:item|entry)\s*>")
_SOURCES = {
    "title": _tags("title"),
    "link": _tags("link", "guid"),
    "id": re.compile(rb"<(?:[\w.-]+:)?(?:guid|id)\b|\babout=", re.IGNORECASE),
    "published": _tags("pubDate", "published", "issued", "created", "updated", "modified", "date"),
    "updated": _tags("updated", "modified", "date"),
    "author": _tags("author", "creator"),
    "summary": _tags("description", "summary", "abstract", "subtitle", media=False),
    "content": _tags("encoded", "content", "body", media=False),
    "media description": _tags("description", "summary"),
    "image": re.compile(rb"<(?:[\w.-]+:)?(?:thumbnail|enclosure)\b|<[\w.-]+:content\b|rel=[\"']?enclosure",
                        re.IGNORECASE),
    "image description": re.compile(rb"<[\w.-]+:(?:description|text)\b", re.IGNORECASE),
}
# The code an entry's stored text came from: this module's own source and the versions of the libraries it reads
# and cleans with. Any change to how entries are cleaned changes every digest, so feeds' entries are cleaned
# again as the feeds send them, without anyone having to remember a version number.
def _cleaning_code() -> str:
    try:
        source = hashlib.blake2b(Path(__file__).read_bytes()).hexdigest()
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


def _missing_fields(raw: dict[str, Any], entry: Entry, markup: bytes) -> list[str]:
    """The stored fields the fast path left empty for this entry while its markup may hold them."""
    empty = {
        "title": entry.title_is_derived,
        "link": entry.url is None,
        "id": not _text(raw.get("id")).strip(),
        "published": entry.published_at is None,
        "updated": entry.updated_at is None,
        "author": entry.author is None,
        "summary": not raw.get("description"),
        "content": not raw.get("content"),
        "media description": not (raw.get("description") or raw.get("content")),
        "image": entry.image_url is None,
        "image description": entry.image_url is not None and entry.image_alt is None,
    }
    return [name for name, pattern in _SOURCES.items() if empty[name] and pattern.search(markup)]


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


def _first_image(sanitized_html: str) -> tuple[str | None, str | None]:
    tag = _FIRST_IMG.search(sanitized_html)
    if tag is None:
        return None, None
    attributes = {name.lower(): html.unescape(value) for name, value in _ATTRIBUTE.findall(tag.group(0))}
    source = safe_http_url(attributes.get("src"))
    if source is None:
        return None, None
    return source, (_WHITESPACE.sub(" ", attributes.get("alt", "")).strip() or None)


def _alt_in_html(sanitized_html: str, image_url: str) -> str | None:
    """The alt text the post's own HTML gives the same image (a feed's `image` or media entry often repeats an
    `<img alt>` of its content, and only the `<img>` says what it shows)."""
    for tag in _FIRST_IMG.finditer(sanitized_html):
        attributes = {name.lower(): html.unescape(value) for name, value in _ATTRIBUTE.findall(tag.group(0))}
        if safe_http_url(attributes.get("src")) == image_url:
            return _WHITESPACE.sub(" ", attributes.get("alt", "")).strip() or None
    return None


def _parse_json_feed(body: bytes, url: str, max_items: int) -> ParsedFeed:
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as error:
        return ParsedFeed(None, (), f"looks like JSON but cannot be read ({error})", parser=JSON_PARSER)
    if not isinstance(document, dict) or not str(document.get("version", "")).startswith("https://jsonfeed.org/"):
        return ParsedFeed(None, (), "is JSON but not a JSON Feed (no jsonfeed.org version)", parser=JSON_PARSER)
    feed_title = html_to_text(_text(document.get("title"))) or None
    feed_base = safe_http_url(_text(document.get("home_page_url")), url) or url
    feed_author = _json_author(document)
    items = document.get("items")
    if not isinstance(items, list):
        return ParsedFeed(feed_title, (), "is a JSON Feed without an items list", parser=JSON_PARSER)
    entries = _unique(
        _entry_from_json(item, url, feed_base, feed_author) for item in items[:max_items] if isinstance(item, dict)
    )
    return ParsedFeed(feed_title, entries, parser=JSON_PARSER)


def _entry_from_json(item: dict[str, Any], feed_url: str, feed_base: str, feed_author: str | None) -> Entry:
    link = safe_http_url(_text(item.get("url")), feed_url) or safe_http_url(_text(item.get("external_url")),
                                                                          feed_url)
    base = link or feed_base
    content_html = sanitize_html(_text(item.get("content_html")), base)
    content_text = _text(item.get("content_text"))
    summary_text = (html_to_text(_text(item.get("summary"))) or html_to_text(content_html)
                    or _WHITESPACE.sub(" ", content_text).strip())
    title = html_to_text(_text(item.get("title")))
    image_url = safe_http_url(_text(item.get("image")), base)
    image_alt = None
    if image_url is None:
        for attachment in item.get("attachments") or []:
            if isinstance(attachment, dict) and _text(attachment.get("mime_type")).startswith("image/"):
                image_url = safe_http_url(_text(attachment.get("url")), base)
                image_alt = html_to_text(_text(attachment.get("title"))) or None
                if image_url:
                    break
    if image_url is None:
        image_url, image_alt = _first_image(content_html)
    published = _rfc3339_to_iso(item.get("date_published")) or _rfc3339_to_iso(item.get("date_modified"))
    updated = _rfc3339_to_iso(item.get("date_modified"))
    author = _json_author(item) or feed_author
    key = _entry_key(_text(item.get("id")) or None, link, title, published, summary_text)
    return _finish(key, link, title, author, published, updated, summary_text, content_html, image_url, image_alt)


def _json_author(holder: dict[str, Any]) -> str | None:
    authors = holder.get("authors")
    if isinstance(authors, list) and authors and isinstance(authors[0], dict):
        return html_to_text(_text(authors[0].get("name"))) or None
    author = holder.get("author")
    if isinstance(author, dict):
        return html_to_text(_text(author.get("name"))) or None
    return None


# -- shared pieces --------------------------------------------------------------------------------------------


def _finish(key: str, link: str | None, title: str, author: str | None, published: str | None,
            updated: str | None, summary_text: str, content_html: str, image_url: str | None,
            image_alt: str | None, markup_digest: str | None = None) -> Entry:
    if image_url and image_alt is None:
        image_alt = _alt_in_html(content_html, image_url)
    derived = not title
    if derived:
        title = _derived_title(summary_text)
    return Entry(
        key=key,
        url=link,
        title=title,
        title_is_derived=derived,
        author=author,
        published_at=published,
        updated_at=updated,
        summary=_shorten(summary_text, SUMMARY_MAX_CHARS),
        content_html=content_html,
        image_url=image_url,
        image_alt=image_alt,
        markup_digest=markup_digest,
    )


def _person_name(text: str) -> str:
    """The name in RSS's "email (Name)" (or "Name (email)"); anything else as it is. feedparser's own reading of
    these misses addresses whose domain ends in more than four letters ("al (Ada" from "ada@bakery.social (Ada)")."""
    if (found := _EMAIL_AND_NAME.fullmatch(text)) is not None:
        return (found.group(1) or found.group(2)).strip()
    return text


def _derived_title(text: str) -> str:
    """A display title for a title-less post (Mastodon, Bluesky): its first words."""
    words = text.split()
    if not words:
        return "Untitled post"
    title = " ".join(words[:DERIVED_TITLE_WORDS])
    if len(words) > DERIVED_TITLE_WORDS or len(title) > DERIVED_TITLE_MAX_CHARS:
        return _shorten(title, DERIVED_TITLE_MAX_CHARS - 1).rstrip("…").rstrip(" ,.;:") + "…"
    return title


def _shorten(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0] or text[:limit]
    return cut + "…"


def _entry_key(identifier: str | None, link: str | None, title: str, published: str | None, text: str) -> str:
    """Stable per source: the feed's id/guid, else the link, else a hash of what the entry says."""
    if identifier and identifier.strip():
        return identifier.strip()
    if link:
        return link
    digest = hashlib.sha256("\x1f".join((title, published or "", text)).encode("utf-8")).hexdigest()
    return f"sha256:{digest}"


def _unique(entries: Any) -> tuple[Entry, ...]:
    """Drop repeated keys (a feed listing the same guid twice), keeping the first, which feeds list as newest,
    and entries with nothing to show (no title, link, text or image: what a broken feed's debris looks like)."""
    seen: dict[str, Entry] = {}
    for entry in entries:
        if entry.title_is_derived and not (entry.url or entry.summary or entry.image_url):
            continue
        seen.setdefault(entry.key, entry)
    return tuple(seen.values())


def _struct_to_iso(value: time.struct_time | None) -> str | None:
    if not value:
        return None
    try:
        return to_iso(datetime(*value[:6], tzinfo=UTC))
    except (ValueError, OverflowError):
        return None


def _rfc3339_to_iso(value: object) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return to_iso(datetime.fromisoformat(value.strip()))
    except ValueError:
        return None


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _looks_like_json(body: bytes, content_type: str) -> bool:
    if "json" in content_type.lower():
        return True
    return body.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"{"


def _not_a_feed_reason(body: bytes, parsed: Any) -> str:
    start = body.lstrip()[:512].lower()
    if b"<html" in start or b"<!doctype html" in start:
        return "is a web page, not a feed (try `amplify add` with this address to find its feed)"
    if not body.strip():
        return "is empty"
    error = parsed.get("bozo_exception")
    detail = _first_line(str(error)) if error else "no RSS, Atom or JSON Feed found"
    return f"is not a readable feed ({detail})"


def _first_line(text: str) -> str:
    lines = text.strip().splitlines()
    return lines[0][:200] if lines else ""
