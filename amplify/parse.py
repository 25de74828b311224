"""Feed bytes -> normalized entries, and the link and HTML hygiene every module uses on untrusted feed text.

RSS, Atom and RDF go through feedparser (on the bytes, with the response headers so it sees the declared charset),
with its own sanitizing and relative-URI resolution switched off: we strip titles and summaries to plain text and
sanitize kept HTML with nh3 ourselves, and feedparser's passes cost about half its time. JSON Feed (1.0 and 1.1),
which feedparser cannot read, is parsed with `json` under the same hygiene.

What comes out is safe to store: titles and summaries are plain text, links are absolute http(s) or nothing, HTML
is sanitized (no script, style, iframe, event attributes or javascript: URLs; links get rel=noopener noreferrer).
"""

import hashlib
import html
import json
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser
import nh3

from amplify.clock import to_iso

DEFAULT_MAX_ITEMS = 200
SUMMARY_MAX_CHARS = 1000
DERIVED_TITLE_WORDS = 10
DERIVED_TITLE_MAX_CHARS = 80
# Headers feedparser gets with the bytes: the declared charset and language. Not Content-Location: with a base,
# feedparser joins every link and id against it, which costs time, and relative links are resolved here anyway.
PARSER_HEADERS = ("content-type", "content-language")

_BLOCK_TAG = re.compile(
    r"<(?=/?(?:p|div|br|li|ul|ol|h[1-6]|blockquote|tr|td|th|table|section|article|figure|figcaption|pre|hr|img)\b)",
    re.IGNORECASE,
)
_WHITESPACE = re.compile(r"\s+")
_FIRST_IMG = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
_ATTRIBUTE = re.compile(r'\b(src|alt)="([^"]*)"', re.IGNORECASE)
_TEXT_CLEANER = nh3.Cleaner(tags=set(), attributes={}, clean_content_tags={"script", "style"})


@dataclass(frozen=True)
class Entry:
    """One post, normalized and safe to store."""

    key: str
    url: str | None
    title: str
    title_is_derived: bool
    author: str | None
    published_at: str | None
    updated_at: str | None
    summary: str
    content_html: str
    image_url: str | None
    image_alt: str | None


@dataclass(frozen=True)
class ParsedFeed:
    """A parsed feed. `problem` says, in a line a user can act on, why nothing usable was found (else None)."""

    title: str | None
    entries: tuple[Entry, ...]
    problem: str | None = None


# -- hygiene helpers ------------------------------------------------------------------------------------------


def safe_http_url(url: str | None, base: str | None = None) -> str | None:
    """`url` as an absolute http(s) URL (resolved against `base` when relative), or None for anything else."""
    if not url:
        return None
    url = url.strip()
    if any(ord(character) < 32 for character in url):
        return None
    if base and not urlsplit(url).scheme:
        url = urljoin(base, url)
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return url


def html_to_text(markup: str) -> str:
    """Plain text from HTML: tags removed (script/style with their content), entities decoded, whitespace
    collapsed to single spaces."""
    if not markup:
        return ""
    if "<" in markup:
        markup = _TEXT_CLEANER.clean(_BLOCK_TAG.sub(" <", markup))
    return _WHITESPACE.sub(" ", html.unescape(markup)).strip()


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
               max_items: int = DEFAULT_MAX_ITEMS) -> ParsedFeed:
    """Parse RSS, Atom, RDF or JSON Feed bytes fetched from `url`. Never raises for bad input: a feed with nothing
    usable comes back with no entries and a `problem`. At most `max_items` entries (the first in the feed)."""
    lowered = {name.lower(): value for name, value in (headers or {}).items()}
    if _looks_like_json(body, lowered.get("content-type", "")):
        return _parse_json_feed(body, url, max_items)
    parser_headers = {name: lowered[name] for name in PARSER_HEADERS if name in lowered}
    parsed = feedparser.parse(body, response_headers=parser_headers, sanitize_html=False,
                              resolve_relative_uris=False)
    feed_title = html_to_text(parsed.feed.get("title", "")) or None
    feed_base = safe_http_url(parsed.feed.get("link"), url) or url
    entries = _unique(_entry_from_feedparser(raw, url, feed_base) for raw in parsed.entries[:max_items])
    problem = None
    if not entries and (parsed.get("bozo") or not parsed.get("version")):
        problem = _not_a_feed_reason(body, parsed)
    return ParsedFeed(feed_title, entries, problem)


def _entry_from_feedparser(parsed_entry: Any, feed_url: str, feed_base: str) -> Entry:
    # A plain dict view: FeedParserDict's key aliasing costs time on every lookup and maps dates with a warning.
    raw = dict(parsed_entry)
    link = safe_http_url(raw.get("link"), feed_url)
    base = link or feed_base
    content_parts = raw.get("content") or []
    html_parts = [part.get("value", "") for part in content_parts if part.get("type") != "text/plain"]
    plain_parts = [part.get("value", "") for part in content_parts if part.get("type") == "text/plain"]
    raw_summary = raw.get("summary", "")
    content = html_parts[0] if html_parts else raw_summary
    summary_text = html_to_text(raw_summary) or html_to_text(content)
    content_html = sanitize_html(content, base)
    # Titles go through the HTML stripper even when the feed calls them plain text: RSS titles often carry
    # escaped markup, and a stored title must never hold a tag.
    title = html_to_text(raw.get("title", ""))
    image_url, image_alt = _feedparser_image(raw, base)
    if image_url and image_alt is None and plain_parts and raw.get("media_content"):
        # feedparser files media:description (Mastodon's image description) under `content` as plain text.
        image_alt = html_to_text(plain_parts[0]) or None
    if image_url is None:
        image_url, image_alt = _first_image(content_html)
    published = _struct_to_iso(raw.get("published_parsed")) or _struct_to_iso(raw.get("updated_parsed"))
    updated = _struct_to_iso(raw.get("updated_parsed"))
    author = html_to_text((raw.get("author_detail") or {}).get("name") or raw.get("author", "")) or None
    key = _entry_key(raw.get("id"), link, title, published, summary_text)
    return _finish(key, link, title, author, published, updated, summary_text, content_html, image_url, image_alt)


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
        return ParsedFeed(None, (), f"looks like JSON but cannot be read ({error})")
    if not isinstance(document, dict) or not str(document.get("version", "")).startswith("https://jsonfeed.org/"):
        return ParsedFeed(None, (), "is JSON but not a JSON Feed (no jsonfeed.org version)")
    feed_title = html_to_text(_text(document.get("title"))) or None
    feed_base = safe_http_url(_text(document.get("home_page_url")), url) or url
    feed_author = _json_author(document)
    items = document.get("items")
    if not isinstance(items, list):
        return ParsedFeed(feed_title, (), "is a JSON Feed without an items list")
    entries = _unique(
        _entry_from_json(item, url, feed_base, feed_author) for item in items[:max_items] if isinstance(item, dict)
    )
    return ParsedFeed(feed_title, entries)


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
            image_alt: str | None) -> Entry:
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
    )


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
