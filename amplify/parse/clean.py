"""What both parse paths share: the hygiene every module uses on untrusted feed text (plain text, sanitized HTML,
absolute http(s) links), and the last steps of making an `Entry` (the first image, a derived title, a stable key)."""

import hashlib
import html
import re
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import nh3

from amplify.clock import to_iso
from amplify.types import Entry
from amplify.urls import safe_http_url

DEFAULT_MAX_ITEMS = 200
SUMMARY_MAX_CHARS = 1000
DERIVED_TITLE_WORDS = 10
DERIVED_TITLE_MAX_CHARS = 80


FAST_PARSER = "fastfeedparser"
SAFE_PARSER = "feedparser"
JSON_PARSER = "json"

_BLOCK_TAG = re.compile(
    r"<(?=/?(?:p|div|br|li|ul|ol|h[1-6]|blockquote|tr|td|th|table|section|article|figure|figcaption|pre|hr|img)\b)",
    re.IGNORECASE,
)
_TAG_OPENING = re.compile(r"<[A-Za-z/!?]")  # what an HTML parser reads as the start of a tag or comment
_EMAIL = r"[^\s()<>@]+@[^\s()<>@]+"
_EMAIL_AND_NAME = re.compile(rf"{_EMAIL}\s*\(([^()]+)\)|([^()]+?)\s*\({_EMAIL}\)")
_FIRST_IMG = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
_ATTRIBUTE = re.compile(r'\b(src|alt)="([^"]*)"', re.IGNORECASE)
_ISO_UTC_SECONDS = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]\+00:00")
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
    if "<" not in markup and "&" not in markup:
        return squeeze(markup)  # what the steps below come to for text with no tag or entity (most titles)
    text = markup
    for _ in range(2):
        if not text:
            return ""
        if "<" in text:
            text = _TEXT_CLEANER.clean(_BLOCK_TAG.sub(" <", text))
        text = squeeze(html.unescape(text))
        if not _TAG_OPENING.search(text):
            return text
    return text.replace("<", "")


def squeeze(text: str) -> str:
    """Runs of white space (what `str.isspace` calls space, as a regex's \\s does) as one space, none at the ends."""
    return " ".join(text.split())


def sanitize_html(markup: str, base: str | None = None) -> str:
    """HTML safe to show: nh3's allow-list (no script, style, iframe, event attributes), only http(s) and mailto
    URLs, relative URLs resolved against `base` (dropped without one), links with rel=noopener noreferrer."""
    if not markup:
        return ""
    if not safe_http_url(base):
        return _DROP_RELATIVE.clean(markup).strip()
    # A cleaner for one base costs as much to build as a cleaning. Most markup has no relative URL, and then what
    # keeping them gives is what resolving them would: that is tried first, with a cleaner built once.
    _relative_seen.found = False
    cleaned = _KEEP_RELATIVE.clean(markup)
    if _relative_seen.found:
        cleaned = nh3.clean(markup, url_relative=("rewrite_with_base", base), **_SANITIZE)
    return cleaned.strip()


def _note_relative(element: str, attribute: str, value: str) -> str:
    """nh3's attribute filter, which sees every attribute a cleaning keeps, before relative URLs are resolved."""
    if attribute in _URL_ATTRIBUTES and not _SCHEME.match(value):
        _relative_seen.found = True
    return value


_SANITIZE: dict[str, Any] = {"url_schemes": {"http", "https", "mailto"}, "link_rel": "noopener noreferrer"}
# The attributes ammonia reads as URLs (on some elements only; these names on any element, to be safe), and the
# start of an absolute URL, with which ammonia leaves a URL as it is whatever it does with relative ones.
_URL_ATTRIBUTES = frozenset({"href", "src", "action", "data", "formaction", "ping", "poster"})
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
_relative_seen = threading.local()  # per thread: the pages and fetch threads may clean at the same time
_KEEP_RELATIVE = nh3.Cleaner(url_relative="pass_through", attribute_filter=_note_relative, **_SANITIZE)
_DROP_RELATIVE = nh3.Cleaner(url_relative="deny", **_SANITIZE)


def entry_from_parts(identifier: str | None, link: str | None, base: str, raw_title: str, raw_author: str,
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
        image_url, image_alt = first_image(content_html)
    author = _person_name(html_to_text(raw_author)) or None
    key = entry_key(identifier, link, title, published, summary_text)
    return finish_entry(key, link, title, author, published, updated, summary_text, content_html, image_url, image_alt,
                   markup_digest)


def first_image(sanitized_html: str) -> tuple[str | None, str | None]:
    tag = _FIRST_IMG.search(sanitized_html)
    if tag is None:
        return None, None
    attributes = {name.lower(): html.unescape(value) for name, value in _ATTRIBUTE.findall(tag.group(0))}
    source = safe_http_url(attributes.get("src"))
    if source is None:
        return None, None
    return source, (squeeze(attributes.get("alt", "")) or None)


def _alt_in_html(sanitized_html: str, image_url: str) -> str | None:
    """The alt text the post's own HTML gives the same image (a feed's `image` or media entry often repeats an
    `<img alt>` of its content, and only the `<img>` says what it shows)."""
    for tag in _FIRST_IMG.finditer(sanitized_html):
        attributes = {name.lower(): html.unescape(value) for name, value in _ATTRIBUTE.findall(tag.group(0))}
        if safe_http_url(attributes.get("src")) == image_url:
            return squeeze(attributes.get("alt", "")) or None
    return None


# -- shared pieces --------------------------------------------------------------------------------------------


def finish_entry(key: str, link: str | None, title: str, author: str | None, published: str | None,
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


def entry_key(identifier: str | None, link: str | None, title: str, published: str | None, text: str) -> str:
    """Stable per source: the feed's id/guid, else the link, else a hash of what the entry says."""
    if identifier and identifier.strip():
        return identifier.strip()
    if link:
        return link
    digest = hashlib.sha256("\x1f".join((title, published or "", text)).encode("utf-8")).hexdigest()
    return f"sha256:{digest}"


def unique(entries: Any) -> tuple[Entry, ...]:
    """Drop repeated keys (a feed listing the same guid twice), keeping the first, which feeds list as newest,
    and entries with nothing to show (no title, link, text or image: what a broken feed's debris looks like)."""
    seen: dict[str, Entry] = {}
    for entry in entries:
        if entry.title_is_derived and not (entry.url or entry.summary or entry.image_url):
            continue
        seen.setdefault(entry.key, entry)
    return tuple(seen.values())


def rfc3339_to_iso(value: object) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    try:
        moment = datetime.fromisoformat(text)
        # Already as amplify writes a time (UTC, whole seconds), as fastfeedparser gives most: `to_iso` gives it back.
        return text if _ISO_UTC_SECONDS.fullmatch(text) else to_iso(moment)
    except ValueError:
        return None


def as_text(value: object) -> str:
    return value if isinstance(value, str) else ""
