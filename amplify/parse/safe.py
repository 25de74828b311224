"""The safety net, and the reference the fast path is held to: feedparser reads anything it can."""

import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from amplify.clock import to_iso
from amplify.parse.clean import DEFAULT_MAX_ITEMS, SAFE_PARSER, ParsedFeed, entry_from_parts, html_to_text, unique
from amplify.types import Entry
from amplify.urls import safe_http_url

# Headers feedparser gets with the bytes: the declared charset and language. Not Content-Location: with a base,
# feedparser joins every link and id against it, which costs time, and relative links are resolved here anyway.
PARSER_HEADERS = ("content-type", "content-language")


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
    entries = unique(_entry_from_feedparser(raw, url, feed_base) for raw in parsed.entries[:max_items])
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
    return entry_from_parts(raw.get("id"), link, base, raw.get("title", ""), author, published, updated,
                             raw.get("summary", ""), html_parts[0] if html_parts else None, image_url, image_alt)


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


def _struct_to_iso(value: time.struct_time | None) -> str | None:
    if not value:
        return None
    try:
        return to_iso(datetime(*value[:6], tzinfo=UTC))
    except (ValueError, OverflowError):
        return None


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
