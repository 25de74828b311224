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

The package: `fast` (the fast path, and when not to trust it), `safe` (the feedparser fallback), `jsonfeed`, and
`clean` (the hygiene and the last steps of an entry, shared by all three); `parse_feed` here picks the path.
"""

from collections.abc import Collection, Mapping

from amplify.parse.clean import (
    DEFAULT_MAX_ITEMS,
    FAST_PARSER,
    JSON_PARSER,
    SAFE_PARSER,
    SUMMARY_MAX_CHARS,
    ParsedFeed,
    html_to_text,
    sanitize_html,
)
from amplify.parse.fast import parse_fast
from amplify.parse.jsonfeed import looks_like_json, parse_json_feed
from amplify.parse.safe import parse_with_feedparser

__all__ = ["DEFAULT_MAX_ITEMS", "FAST_PARSER", "JSON_PARSER", "SAFE_PARSER", "SUMMARY_MAX_CHARS", "ParsedFeed",
           "html_to_text", "parse_fast", "parse_feed", "parse_with_feedparser", "sanitize_html"]


def parse_feed(body: bytes, *, url: str, headers: Mapping[str, str] | None = None,
               max_items: int = DEFAULT_MAX_ITEMS, known_digests: Collection[str] = frozenset()) -> ParsedFeed:
    """Parse RSS, Atom, RDF or JSON Feed bytes fetched from `url`. Never raises for bad input: a feed with nothing
    usable comes back with no entries and a `problem`. At most `max_items` entries (the first in the feed).
    Entries whose `markup_digest` is in `known_digests` (stored from an earlier read) are left out."""
    lowered = {name.lower(): value for name, value in (headers or {}).items()}
    if looks_like_json(body, lowered.get("content-type", "")):
        return parse_json_feed(body, url, max_items)
    fast, doubt = parse_fast(body, url=url, headers=lowered, max_items=max_items, known_digests=known_digests)
    if fast is not None and doubt is None:
        return fast
    return parse_with_feedparser(body, url=url, headers=lowered, max_items=max_items)
