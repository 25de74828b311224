"""JSON Feed (1.0 and 1.1), read with `json` under the same hygiene as the XML feeds."""

import json
from typing import Any

from amplify.parse.clean import (
    JSON_PARSER,
    ParsedFeed,
    as_text,
    entry_key,
    finish_entry,
    first_image,
    html_to_text,
    rfc3339_to_iso,
    sanitize_html,
    squeeze,
    unique,
)
from amplify.types import Entry
from amplify.urls import safe_http_url


def parse_json_feed(body: bytes, url: str, max_items: int) -> ParsedFeed:
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as error:
        return ParsedFeed(None, (), f"looks like JSON but cannot be read ({error})", parser=JSON_PARSER)
    if not isinstance(document, dict) or not str(document.get("version", "")).startswith("https://jsonfeed.org/"):
        return ParsedFeed(None, (), "is JSON but not a JSON Feed (no jsonfeed.org version)", parser=JSON_PARSER)
    feed_title = html_to_text(as_text(document.get("title"))) or None
    feed_base = safe_http_url(as_text(document.get("home_page_url")), url) or url
    feed_author = _json_author(document)
    items = document.get("items")
    if not isinstance(items, list):
        return ParsedFeed(feed_title, (), "is a JSON Feed without an items list", parser=JSON_PARSER)
    entries = unique(
        _entry_from_json(item, url, feed_base, feed_author) for item in items[:max_items] if isinstance(item, dict)
    )
    return ParsedFeed(feed_title, entries, parser=JSON_PARSER)


def _entry_from_json(item: dict[str, Any], feed_url: str, feed_base: str, feed_author: str | None) -> Entry:
    link = safe_http_url(as_text(item.get("url")), feed_url) or safe_http_url(as_text(item.get("external_url")),
                                                                          feed_url)
    base = link or feed_base
    content_html = sanitize_html(as_text(item.get("content_html")), base)
    content_text = as_text(item.get("content_text"))
    summary_text = (html_to_text(as_text(item.get("summary"))) or html_to_text(content_html)
                    or squeeze(content_text))
    title = html_to_text(as_text(item.get("title")))
    image_url = safe_http_url(as_text(item.get("image")), base)
    image_alt = None
    if image_url is None:
        for attachment in item.get("attachments") or []:
            if isinstance(attachment, dict) and as_text(attachment.get("mime_type")).startswith("image/"):
                image_url = safe_http_url(as_text(attachment.get("url")), base)
                image_alt = html_to_text(as_text(attachment.get("title"))) or None
                if image_url:
                    break
    if image_url is None:
        image_url, image_alt = first_image(content_html)
    published = rfc3339_to_iso(item.get("date_published")) or rfc3339_to_iso(item.get("date_modified"))
    updated = rfc3339_to_iso(item.get("date_modified"))
    author = _json_author(item) or feed_author
    key = entry_key(as_text(item.get("id")) or None, link, title, published, summary_text)
    return finish_entry(key, link, title, author, published, updated, summary_text, content_html, image_url, image_alt)


def _json_author(holder: dict[str, Any]) -> str | None:
    authors = holder.get("authors")
    if isinstance(authors, list) and authors and isinstance(authors[0], dict):
        return html_to_text(as_text(authors[0].get("name"))) or None
    author = holder.get("author")
    if isinstance(author, dict):
        return html_to_text(as_text(author.get("name"))) or None
    return None


def looks_like_json(body: bytes, content_type: str) -> bool:
    if "json" in content_type.lower():
        return True
    return body.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"{"
