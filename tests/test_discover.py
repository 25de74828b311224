"""Feed discovery: the pure link finder, and discover_feed against real pages on a loopback server."""

import json
from pathlib import Path

import pytest

from amplify.discover import DiscoveryError, discover_feed, find_feed_links, looks_like_feed
from amplify.fetch import FetchLimits

HOMEPAGE = """<!doctype html>
<html><head>
  <title>Ada's  Bakery &amp; Café</title>
  <link rel="stylesheet" href="/style.css">
  <link rel="alternate" type="application/atom+xml" title="Posts" href="/blog.atom">
  <link rel="alternate" type="application/rss+xml" href="/blog.atom">
  <link rel="Alternate Home" type="application/feed+json; charset=utf-8" href="https://ada.example/feed.json">
  <link rel="alternate" type="text/html" href="/es/">
  <link rel="alternate" type="application/rss+xml" href="javascript:alert(1)">
  <link rel="alternate" type="application/json" href="//cdn.example/feed.json">
  <link rel="alternate" type="application/rss+xml">
</head><body><p>Fresh bread daily.</p></body></html>
"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Ada's &lt;b&gt;Bakery&lt;/b&gt; Blog</title>
  <link href="/" rel="alternate"/>
  <id>urn:ada</id><updated>2026-11-20T09:00:00Z</updated>
  <entry><title>Rye</title><id>urn:ada:1</id><updated>2026-11-20T09:00:00Z</updated></entry>
</feed>
"""

JSON_FEED = json.dumps(
    {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "Bea Builds",
        "home_page_url": "https://bea.example/",
        "items": [],
    }
)

LIMITS = FetchLimits(connect_timeout=2, total_timeout=5)


def test_find_feed_links_reads_alternates_in_order_resolved_and_deduplicated():
    links = find_feed_links(HOMEPAGE, "https://ada.example/home/index.html")

    assert links == [
        "https://ada.example/blog.atom",
        "https://ada.example/feed.json",
        "https://cdn.example/feed.json",
    ]


def test_find_feed_links_honours_base_href_and_accepts_bytes():
    page = (
        b'<html><head><base href="https://static.example/site/"><link rel="alternate" '
        b'type="application/rss+xml" href="rss.xml"></head></html>'
    )

    assert find_feed_links(page, "https://ada.example/") == ["https://static.example/site/rss.xml"]


def test_find_feed_links_on_a_page_without_feeds_is_empty():
    assert find_feed_links("<html><body><a href='/feed'>feed</a></body></html>", "https://x.example/") == []


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (ATOM.encode(), True),
        (b'\xef\xbb\xbf<?xml version="1.0"?>\n<!-- hi -->\n<rss version="2.0"><channel/></rss>', True),
        (JSON_FEED.encode(), True),
        (HOMEPAGE.encode(), False),
        (b"<html><body>see <rss> here</body></html>", False),
        (  # a stylesheet instruction after the declaration, as Blogger and many WordPress feeds have
            b'<?xml version="1.0"?><?xml-stylesheet href="/atom.css" type="text/css"?><feed xmlns="x"/>', True
        ),
        (
            b'<?xml version="1.0"?>\n<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN"\n'
            b' "http://my.netscape.com/publish/formats/rss-0.91.dtd">\n<rss version="0.91"><channel/></rss>',
            True,
        ),
        ((Path(__file__).parent / "fixtures" / "feeds" / "blogger.atom").read_bytes(), True),
        (b"<!DOCTYPE html><html><head><title>rss</title></head></html>", False),
        (b'{"version": "https://jsonfeed.org/version/1", ', False),
    ],
)
def test_looks_like_feed(body, expected):
    assert looks_like_feed(body) is expected


def test_discover_from_a_homepage_takes_the_first_working_feed(server):
    server.route("/", HOMEPAGE, headers={"Content-Type": "text/html; charset=utf-8"})
    server.route("/blog.atom", ATOM, headers={"Content-Type": "application/atom+xml"})

    found = discover_feed(server.url("/"), limits=LIMITS)

    assert found.feed_url == server.url("/blog.atom")
    assert found.homepage == server.url("/")
    assert found.title == "Ada's Bakery Blog"


def test_discover_skips_a_broken_feed_link_for_the_next_one(server):
    page = HOMEPAGE.replace("https://ada.example/feed.json", "/feed.json")
    server.route("/", page, headers={"Content-Type": "text/html"})
    server.route("/blog.atom", "<html>moved</html>", headers={"Content-Type": "text/html"})
    server.route("/feed.json", JSON_FEED, headers={"Content-Type": "application/feed+json"})

    found = discover_feed(server.url("/"), limits=LIMITS)

    assert found.feed_url == server.url("/feed.json")
    assert found.title == "Bea Builds"


def test_discover_a_feed_url_directly_after_a_redirect(server):
    server.redirect("/old.atom", server.url("/blog.atom"), status=301)
    server.route("/blog.atom", ATOM, headers={"Content-Type": "text/xml"})

    found = discover_feed(server.url("/old.atom"), limits=LIMITS)

    assert found.feed_url == server.url("/blog.atom")
    assert found.homepage == server.url("/")
    assert len(server.hits("/blog.atom")) == 1


def test_discover_a_json_feed_directly(server):
    server.route("/feed.json", JSON_FEED, headers={"Content-Type": "application/json"})

    found = discover_feed(server.url("/feed.json"), limits=LIMITS)

    assert (found.feed_url, found.homepage, found.title) == (
        server.url("/feed.json"),
        "https://bea.example/",
        "Bea Builds",
    )


def test_a_page_without_feed_links_says_what_to_do(server):
    server.route(
        "/", "<html><head><title>No feed</title></head></html>", headers={"Content-Type": "text/html"}
    )

    with pytest.raises(DiscoveryError, match="found no feed on this page.*ask them for their feed address"):
        discover_feed(server.url("/"), limits=LIMITS)


def test_feed_links_that_lead_nowhere_are_listed(server):
    server.route(
        "/",
        HOMEPAGE.replace("https://ada.example/feed.json", "/feed.json"),
        headers={"Content-Type": "text/html"},
    )

    with pytest.raises(DiscoveryError, match="did not lead to a feed") as raised:
        discover_feed(server.url("/"), limits=LIMITS)
    assert "blog.atom" in str(raised.value) and "feed.json" in str(raised.value)


def test_unreachable_and_non_web_urls_are_clear_errors(server):
    server.route("/gone", "gone", status=404)

    with pytest.raises(DiscoveryError, match="could not open"):
        discover_feed(server.url("/gone"), limits=LIMITS)
    with pytest.raises(DiscoveryError, match="not a web address"):
        discover_feed("file:///etc/passwd", limits=LIMITS)
