"""amplify.parse: real-world feeds, JSON Feed, hostile markup, broken input, and the hygiene helpers."""

import json
import re
from pathlib import Path

import pytest

from amplify.parse import html_to_text, parse_feed, sanitize_html
from amplify.urls import safe_http_url

FIXTURES = Path(__file__).parent / "fixtures" / "feeds"
FEED_URL = "https://creator.example/feed.xml"
ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$")

# file -> (entries, feed title)
REAL_WORLD = {
    "blogger.atom": (25, "Quiltville's Quips & Snips!!"),
    "comicfury-webcomic.rss": (15, "Lunar Phase"),
    "ghost.rss": (15, "Speaking Body"),
    "iso-8859-1.rss": (40, "Golem.de"),
    "jsonfeed-1.1.json": (20, "fboës - Der Blog | Startseite"),
    "mastodon-account-trimmed.rss": (2, "Chris Coyier"),
    "mastodon-account.rss": (20, "Nuclearpasta"),
    "medium.rss": (3, "Stories by Amelia Kusiak on Medium"),
    "peertube-channel.rss": (20, "Framasoft"),
    "podcast-itunes.rss": (4, "The Omni Show"),
    "rss10-rdf-iso-8859-1.rdf": (15, "davidbau.com"),
    "shopify-products.atom": (25, "Draw Down"),
    "substack.rss": (1, "HEATED"),
    "tumblr.rss": (20, "Sarah's Scribbles"),
    "windows-1251.rss": (50, "iBash.Org.Ru"),
    "wordpress.rss": (10, "David duChemin – Photographer, Author, Creative Instigator"),
    "youtube-channel.atom": (15, "Michael Rechtin"),
}


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def rss(items: str, *, channel: str = "<title>Ada's Bakery</title><link>https://ada.example/</link>") -> bytes:
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>{channel}{items}'
            f"</channel></rss>").encode()


@pytest.mark.parametrize("name", sorted(REAL_WORLD))
def test_real_world_feeds_parse_into_safe_entries(name):
    count, title = REAL_WORLD[name]
    parsed = parse_feed(fixture(name), url=FEED_URL)
    assert parsed.problem is None
    assert parsed.title == title
    assert len(parsed.entries) == count
    assert len({entry.key for entry in parsed.entries}) == count
    for entry in parsed.entries:
        assert entry.title and entry.title == entry.title.strip()
        assert "<" not in entry.title or "&lt;" not in entry.title
        assert entry.url is None or safe_http_url(entry.url) == entry.url
        assert entry.published_at is None or ISO_UTC.match(entry.published_at)
        assert "  " not in entry.summary and "\n" not in entry.summary
        assert not re.search(r"<script|<iframe|<style|\son\w+=|(href|src)=\"\s*javascript:", entry.content_html,
                             re.IGNORECASE)
        assert entry.image_url is None or entry.image_url.startswith(("http://", "https://"))


def test_iso_8859_1_and_windows_1251_are_decoded():
    golem = parse_feed(fixture("iso-8859-1.rss"), url=FEED_URL, headers={"Content-Type": "application/rss+xml"})
    assert any("ü" in entry.summary or "ü" in entry.title for entry in golem.entries)
    ibash = parse_feed(fixture("windows-1251.rss"), url=FEED_URL)
    assert ibash.entries[0].title == "Цитата #17703"
    assert "есть у кого" in ibash.entries[0].summary


def test_mastodon_posts_get_a_derived_title_and_the_image_description():
    entry = parse_feed(fixture("mastodon-account.rss"), url=FEED_URL).entries[0]
    assert entry.title_is_derived
    assert entry.title.startswith("Oh it's #WebcomicDay again!")
    assert entry.title.endswith("…")
    assert entry.image_url.startswith("https://cdn.masto.host/")
    assert entry.image_alt == "Raiders ride giant lizards across the desert."
    assert entry.published_at == "2025-05-12T16:17:47+00:00"


def test_json_feed_1_1_fixture():
    entry = parse_feed(fixture("jsonfeed-1.1.json"), url=FEED_URL).entries[0]
    assert entry.key == "user/posts/2020-02-21-lecker-lecker/index.md"
    assert entry.url == "https://journal.3960.org/posts/2020-02-21-lecker-lecker/"
    assert entry.title == "Lecker, lecker"
    assert entry.author == "Frank Boës"
    assert entry.published_at == "2020-02-21T17:08:06+00:00"


def test_json_feed_1_0_with_relative_links_attachments_and_hostile_html():
    document = {
        "version": "https://jsonfeed.org/version/1",
        "title": "Kofi's <b>Kitchen</b>",
        "home_page_url": "https://kofi.example/",
        "author": {"name": "Kofi"},
        "items": [
            {"id": 1, "url": "/posts/1", "content_text": "No title here, just a long post about bread and butter"},
            {"id": "2", "url": "javascript:alert(1)", "title": "<img src=x onerror=alert(1)>Jollof",
             "content_html": '<p onclick="x()">Rice <script>alert(1)</script><a href="/menu">menu</a></p>',
             "attachments": [{"url": "https://kofi.example/rice.jpg", "mime_type": "image/jpeg",
                              "title": "A pot of jollof rice"}],
             "date_published": "2026-11-01T10:00:00-05:00"},
        ],
    }
    parsed = parse_feed(json.dumps(document).encode(), url="https://kofi.example/feed.json",
                        headers={"Content-Type": "application/feed+json"})
    assert parsed.title == "Kofi's Kitchen"
    first, second = parsed.entries
    assert first.key == "https://kofi.example/posts/1"  # a numeric id is not a JSON Feed id: the link is used
    assert first.url == "https://kofi.example/posts/1"
    assert first.title_is_derived and first.title.startswith("No title here")
    assert first.author == "Kofi"
    assert second.url is None
    assert second.title == "Jollof"
    assert second.published_at == "2026-11-01T15:00:00+00:00"
    assert "script" not in second.content_html and "onclick" not in second.content_html
    assert 'href="https://kofi.example/menu"' in second.content_html
    assert second.summary == "Rice menu"
    assert (second.image_url, second.image_alt) == ("https://kofi.example/rice.jpg", "A pot of jollof rice")


def test_an_image_named_apart_from_the_post_takes_the_alt_text_its_img_tag_gives_it():
    document = {
        "version": "https://jsonfeed.org/version/1.1",
        "items": [
            {"id": "quilt", "title": "Star quilt", "image": "https://quilts.example/star.svg",
             "content_html": '<p><img src="https://quilts.example/other.png" alt="Not this one">'
                             '<img src="/star.svg" alt="A quilt of  blue triangles"></p>'},
            {"id": "plain", "title": "No description", "image": "https://quilts.example/plain.svg",
             "content_html": '<p><img src="https://quilts.example/other.png" alt="Another picture"></p>'},
        ],
    }
    described, undescribed = parse_feed(json.dumps(document).encode(), url="https://quilts.example/feed.json",
                                        headers={"Content-Type": "application/feed+json"}).entries
    assert (described.image_url, described.image_alt) == ("https://quilts.example/star.svg",
                                                          "A quilt of blue triangles")
    assert (undescribed.image_url, undescribed.image_alt) == ("https://quilts.example/plain.svg", None)


def test_hostile_titles_summaries_and_links_are_neutralized():
    body = rss("""
      <item><title>&lt;script&gt;alert(1)&lt;/script&gt;Sale today</title>
        <link>javascript:alert(document.cookie)</link><guid>evil-1</guid>
        <description>&lt;img src=x onerror=alert(1)&gt;&lt;a href="javascript:alert(2)"&gt;Click&lt;/a&gt;
          &lt;iframe src="https://evil.example"&gt;&lt;/iframe&gt;&lt;style&gt;body{}&lt;/style&gt;Fresh bread
        </description>
      </item>
      <item><title>Data link</title><link>data:text/html,hi</link><guid>evil-2</guid></item>""")
    first, second = parse_feed(body, url=FEED_URL).entries
    assert first.title == "Sale today"
    assert first.url is None and second.url is None
    assert first.summary == "Click Fresh bread"
    for field in (first.title, first.summary, first.content_html):
        assert not re.search(r"script|onerror|javascript:|iframe|<style", field, re.IGNORECASE)
    assert 'rel="noopener noreferrer"' in first.content_html


def test_relative_links_resolve_against_the_feed():
    body = rss('<item><title>Post</title><link>/2026/post</link><description>&lt;img src="pic.png" alt="Our '
               'new oven"&gt;Hello</description></item>')
    entry = parse_feed(body, url="https://ada.example/blog/feed.xml").entries[0]
    assert entry.url == "https://ada.example/2026/post"
    assert entry.key == "https://ada.example/2026/post"
    assert (entry.image_url, entry.image_alt) == ("https://ada.example/2026/pic.png", "Our new oven")


def test_id_less_entries_get_stable_keys_and_duplicates_collapse():
    items = """<item><title>Same guid</title><guid>dup</guid><description>first</description></item>
        <item><title>Same guid again</title><guid>dup</guid></item>
        <item><title>No id, no link</title><pubDate>Mon, 02 Nov 2026 10:00:00 GMT</pubDate>
          <description>text only</description></item>"""
    first = parse_feed(rss(items), url=FEED_URL).entries
    again = parse_feed(rss(items), url=FEED_URL).entries
    assert [entry.key for entry in first] == [entry.key for entry in again]
    assert len(first) == 2
    assert first[0].title == "Same guid"
    assert first[1].key.startswith("sha256:")


def test_dates_are_utc_and_missing_dates_are_none():
    items = """<item><title>a</title><guid>a</guid><pubDate>Mon, 02 Nov 2026 10:00:00 +0200</pubDate></item>
        <item><title>b</title><guid>b</guid></item>"""
    dated, undated = parse_feed(rss(items), url=FEED_URL).entries
    assert dated.published_at == "2026-11-02T08:00:00+00:00"
    assert undated.published_at is None and undated.updated_at is None


def test_items_per_feed_are_capped():
    items = "".join(f"<item><title>Post {n}</title><guid>{n}</guid></item>" for n in range(50))
    parsed = parse_feed(rss(items), url=FEED_URL, max_items=10)
    assert [entry.title for entry in parsed.entries] == [f"Post {n}" for n in range(10)]


@pytest.mark.parametrize(("body", "reason"), [
    (b"<!DOCTYPE html><html><head><title>Shop</title></head><body>hi</body></html>", "web page, not a feed"),
    (b"<rss><channel><item><title>unclosed", "not a readable feed"),
    (b"", "is empty"),
    (b"{not json", "cannot be read"),
    (b'{"title": "just json"}', "not a JSON Feed"),
    (b"\x00\xff\xfe garbage", "not a readable feed"),
    (b'{"a": ' * 100_000, "cannot be read"),
], ids=["html", "cut-off-xml", "empty", "bad-json", "json-not-feed", "binary", "deep-json"])
def test_broken_input_is_a_problem_not_an_exception(body, reason):
    parsed = parse_feed(body, url=FEED_URL)
    assert parsed.entries == ()
    assert reason in parsed.problem


@pytest.mark.parametrize(("url", "base", "expected"), [
    ("https://a.example/x", None, "https://a.example/x"),
    ("  http://a.example/x ", None, "http://a.example/x"),
    ("/x", "https://a.example/feed", "https://a.example/x"),
    ("/x", None, None),
    ("javascript:alert(1)", "https://a.example/", None),
    ("JaVaScRiPt:alert(1)", None, None),
    ("data:text/html,hi", None, None),
    ("ftp://a.example/f", None, None),
    ("https://", None, None),
    ("https://a.example/\nx", None, None),
    ("", None, None),
    (None, None, None),
])
def test_safe_http_url(url, base, expected):
    assert safe_http_url(url, base) == expected


def test_html_to_text_and_sanitize_html():
    assert html_to_text("<p>One&amp;<b>two</b></p><p>three</p><script>evil()</script>\n  four") == "One&two three four"
    assert html_to_text("a < b and c > d") == "a < b and c > d"
    cleaned = sanitize_html('<a href="https://a.example" onclick="x()">a</a><a href="javascript:x()">b</a>'
                            '<iframe src="https://a.example"></iframe><img src="/i.png">', "https://a.example/p/")
    assert cleaned == ('<a href="https://a.example" rel="noopener noreferrer">a</a><a rel="noopener noreferrer">b</a>'
                       '<img src="https://a.example/i.png">')
    assert sanitize_html('<img src="/i.png">') == "<img>"
