"""Finding a source's feed from its homepage (or a feed URL itself), for `amplify add` and the Sources page.

`find_feed_links` is pure: it reads the `<link rel="alternate">` tags of a page. `discover_feed` does the I/O
through `amplify.fetch`: if the URL answers with a feed it is used as is; otherwise the page's alternate links
are tried in order and the first one that answers with a feed wins. Titles come from untrusted pages: they are
returned as plain, single-line text and are only ever shown as text.
"""

import json
import re
from dataclasses import dataclass
from html import unescape
from html.parser import HTMLParser
from urllib.parse import urljoin

import feedparser
import nh3

from amplify.errors import AmplifyError
from amplify.fetch import DEFAULT_LIMITS, FetchError, FetchLimits, Page, fetch_page
from amplify.names import one_line
from amplify.urls import is_http_url

FEED_TYPES = frozenset(
    {"application/rss+xml", "application/atom+xml", "application/feed+json", "application/json"}
)
# A feed announces itself in its first bytes; an HTML page that merely mentions "<rss" later does not count.
# Before the root element: the XML declaration, processing instructions (a stylesheet, as Blogger and many
# WordPress feeds have), comments and a doctype (RSS 0.91).
_FEED_START = re.compile(
    rb"^(?:\xef\xbb\xbf)?\s*(?:(?:<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>\[]*(?:\[.*?\])?\s*>)\s*)*"
    rb"<(?:rss|feed|rdf:RDF)\b",
    re.S | re.I,
)
_SNIFF_BYTES = 4096


@dataclass(frozen=True)
class DiscoveredFeed:
    """A feed found for a URL: its own URL, the source's homepage (when known) and the feed's title."""

    feed_url: str
    homepage: str | None
    title: str | None


class DiscoveryError(AmplifyError):
    """No feed could be found for a URL; the message says what was tried."""


class _AlternateLinks(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.base: str | None = None
        self.title_parts: list[str] = []
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name.lower(): (value or "") for name, value in attrs}
        if tag == "base" and self.base is None and values.get("href"):
            self.base = values["href"].strip()
        elif tag == "link":
            rels = values.get("rel", "").lower().split()
            kind = values.get("type", "").split(";")[0].strip().lower()
            if "alternate" in rels and kind in FEED_TYPES and values.get("href", "").strip():
                self.links.append(values["href"].strip())
        elif tag == "title":
            self._in_title = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title_parts.append(data)


def _read_page(html: str | bytes) -> _AlternateLinks:
    parser = _AlternateLinks()
    parser.feed(html.decode("utf-8", errors="replace") if isinstance(html, bytes) else html)
    parser.close()
    return parser


def find_feed_links(html: str | bytes, base_url: str) -> list[str]:
    """The page's feed links (`<link rel="alternate" type="application/rss+xml|atom+xml|feed+json|json">`), in
    page order, resolved against `<base href>` or `base_url`, http(s) only, without duplicates."""
    page = _read_page(html)
    base = urljoin(base_url, page.base) if page.base else base_url
    found: list[str] = []
    for href in page.links:
        url = urljoin(base, href)
        if is_http_url(url) and url not in found:
            found.append(url)
    return found


def looks_like_feed(body: bytes) -> bool:
    """True when the bytes are an RSS, Atom, RDF or JSON Feed document, whatever the server calls them."""
    head = body[:_SNIFF_BYTES]
    if _FEED_START.match(head):
        return True
    if b"jsonfeed.org/version" in head:
        try:
            return isinstance(json.loads(body), dict)
        except ValueError:
            return False
    return False


def discover_feed(url: str, *, limits: FetchLimits = DEFAULT_LIMITS) -> DiscoveredFeed:
    """The feed for `url`: the URL itself when it is a feed, else the first working feed its page links to.

    Raises DiscoveryError with a plain reason (not reachable, no feed links, none of them a feed).
    """
    url = url.strip()
    if not is_http_url(url):
        raise DiscoveryError(f"{url!r} is not a web address: give the http(s) address of their site or feed")
    page = _fetch(url, limits)
    if looks_like_feed(page.body):
        title, homepage = _feed_title_and_homepage(page)
        return DiscoveredFeed(feed_url=page.url, homepage=homepage, title=title)

    candidates = find_feed_links(page.body, page.url)
    if not candidates:
        raise DiscoveryError(
            f'{url}: found no feed on this page (no <link rel="alternate"> to RSS, Atom or JSON Feed); '
            "ask them for their feed address and add that instead"
        )
    tried: list[str] = []
    for candidate in candidates:
        try:
            feed_page = fetch_page(candidate, limits=limits)
        except FetchError as error:
            tried.append(str(error))
            continue
        if looks_like_feed(feed_page.body):
            title, _ = _feed_title_and_homepage(feed_page)
            return DiscoveredFeed(feed_url=feed_page.url, homepage=page.url, title=title or _page_title(page))
        tried.append(f"{candidate}: not a feed")
    raise DiscoveryError(f"{url}: its feed links did not lead to a feed ({'; '.join(tried)})")


def _fetch(url: str, limits: FetchLimits) -> Page:
    try:
        return fetch_page(url, limits=limits)
    except FetchError as error:
        raise DiscoveryError(f"could not open {error}") from error


def _feed_title_and_homepage(page: Page) -> tuple[str | None, str | None]:
    if _FEED_START.match(page.body[:_SNIFF_BYTES]):
        parsed = feedparser.parse(page.body, sanitize_html=False, resolve_relative_uris=False)
        title, homepage = parsed.feed.get("title"), parsed.feed.get("link")
    else:
        document = json.loads(page.body)
        title, homepage = document.get("title"), document.get("home_page_url")
    homepage = urljoin(page.url, homepage) if isinstance(homepage, str) else None
    return _plain_title(title), homepage if homepage and is_http_url(homepage) else None


def _page_title(page: Page) -> str | None:
    return _plain_title("".join(_read_page(page.body).title_parts))


def _plain_title(title: object) -> str | None:
    """One line of plain text: markup and control characters removed, length capped."""
    if not isinstance(title, str):
        return None
    return one_line(unescape(nh3.clean(title, tags=set()))) or None
