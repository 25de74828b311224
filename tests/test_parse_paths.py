"""The two parse paths: fastfeedparser serves what it reads as well as feedparser would, and the rule that hands a
document to feedparser catches every document where it does not.

For every real-world fixture and a sample of the feedfarm's feeds, both paths run on the same bytes, and what
amplify would store (after its own sanitizing and plain-texting) is compared field by field."""

import importlib.util
from dataclasses import asdict
from pathlib import Path

import pytest

from amplify.parse import FAST_PARSER, SAFE_PARSER, parse_fast, parse_feed, parse_with_feedparser

FIXTURES = Path(__file__).parent / "fixtures" / "feeds"
FEED_URL = "https://creator.example/feed.xml"
XML_FIXTURES = sorted(path.name for path in FIXTURES.iterdir() if path.suffix not in (".md", ".json"))
# Fixtures the fast path serves today. More may join with a newer fastfeedparser; none may leave unnoticed.
SERVED_FAST = {
    "blogger.atom", "comicfury-webcomic.rss", "ghost.rss", "iso-8859-1.rss", "mastodon-account-trimmed.rss",
    "mastodon-account.rss", "medium.rss", "shopify-products.atom", "substack.rss", "tumblr.rss", "windows-1251.rss",
    "wordpress.rss",
}
FARM_SAMPLE = 90


def stored(parsed) -> list[dict]:
    """What is stored of each entry, less the fast path's markup digest (bookkeeping, not content)."""
    return [{**asdict(entry), "markup_digest": None} for entry in parsed.entries]


def assert_same_fields(fast, safe) -> None:
    """Equal, field by field, so a failure names the entry and the field."""
    assert fast.title == safe.title
    assert len(fast.entries) == len(safe.entries)
    for number, (ours, theirs) in enumerate(zip(stored(fast), stored(safe), strict=True), start=1):
        for name, value in theirs.items():
            assert ours[name] == value, f"entry {number}, {name}"


def check_document(body: bytes, headers: dict[str, str] | None = None) -> str:
    """Both paths on `body`; returns the path `parse_feed` took, having checked that it stored what feedparser
    would have."""
    fast, doubt = parse_fast(body, url=FEED_URL, headers=headers)
    safe = parse_with_feedparser(body, url=FEED_URL, headers=headers)
    chosen = parse_feed(body, url=FEED_URL, headers=headers)
    if doubt is None:
        assert fast is not None
        assert_same_fields(fast, safe)
        assert chosen == fast
    else:
        assert chosen == safe  # the rule sent it to feedparser
    assert stored(chosen) == stored(safe)
    return chosen.parser


@pytest.mark.parametrize("name", XML_FIXTURES)
def test_every_real_world_feed_stores_the_same_whichever_path_reads_it(name):
    served_by = check_document((FIXTURES / name).read_bytes())
    if name in SERVED_FAST:
        assert served_by == FAST_PARSER
    else:
        assert served_by == SAFE_PARSER


def test_where_the_fast_path_falls_short_the_rule_notices():
    """The documents the fast path reads differently are exactly the ones handed over, each for its reason."""
    reasons = {}
    for name in XML_FIXTURES:
        body = (FIXTURES / name).read_bytes()
        fast, doubt = parse_fast(body, url=FEED_URL)
        if fast is None or stored(fast) != stored(parse_with_feedparser(body, url=FEED_URL)):
            reasons[name] = doubt
    # YouTube's media:description, PeerTube's thumbnail in a media:group, RSS 1.0's content:encoded and dc:date.
    assert set(reasons) == {"youtube-channel.atom", "peertube-channel.rss", "rss10-rdf-iso-8859-1.rdf"}
    assert "media description" in reasons["youtube-channel.atom"]
    assert "image" in reasons["peertube-channel.rss"]
    assert "content" in reasons["rss10-rdf-iso-8859-1.rdf"]


def feedfarm():
    for folder in Path(__file__).resolve().parents:
        script = folder / "shared" / "feedfarm" / "feedfarm.py"
        if script.exists():
            spec = importlib.util.spec_from_file_location("feedfarm", script)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            return module
    pytest.skip("shared/feedfarm is not beside this checkout")


def test_a_sample_of_the_feedfarm_is_served_fast_and_stored_the_same():
    farm = feedfarm().Farm(FARM_SAMPLE, 20, 1, 0, "http://127.0.0.1:8080")
    farm.advance(3)  # items 4..23: every fifth has an image, so some entries have one and some not
    paths = [path for path in farm.bodies if path.endswith(".xml")]
    assert len(paths) == FARM_SAMPLE
    for path in paths:
        body = farm.bodies[path]
        served_by = check_document(body.raw, {"Content-Type": body.ctype})
        assert served_by == FAST_PARSER, path


@pytest.mark.parametrize(("body", "headers", "reason"), [
    # RSS 1.0 keeps its full text in content:encoded, which fastfeedparser leaves out.
    (b'<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
     b'xmlns="http://purl.org/rss/1.0/" xmlns:content="http://purl.org/rss/1.0/modules/content/">'
     b'<channel rdf:about="https://a.example/"><title>A</title><link>https://a.example/</link></channel>'
     b'<item rdf:about="https://a.example/1"><title>One</title><link>https://a.example/1</link>'
     b"<description>Short</description><content:encoded>&lt;p&gt;Long&lt;/p&gt;</content:encoded></item>"
     b"</rdf:RDF>", None, "content"),
    # A thumbnail inside a media:group, beside a video.
    (b'<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"><channel><title>A</title><item>'
     b"<title>One</title><link>https://a.example/1</link><media:group>"
     b'<media:content url="https://a.example/1.mp4" type="video/mp4"/>'
     b'<media:thumbnail url="https://a.example/1.jpg"/></media:group></item></channel></rss>', None, "image"),
    # Cut off: fastfeedparser recovers what it can; feedparser's verdict is the one users know.
    (b"<rss><channel><item><title>unclosed", None, "closing tag"),
    # The response's charset wins over the document's for feedparser; fastfeedparser reads only the bytes.
    ('<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Café</title><item>'
     "<title>Crème</title><guid>1</guid></item></channel></rss>".encode("latin-1"),
     {"Content-Type": "application/rss+xml; charset=ISO-8859-1"}, "declares"),
    # A feed title fastfeedparser did not read (here an empty CDATA section; a false alarm costs only time).
    (b'<rss version="2.0"><channel><title><![CDATA[]]></title><item><title>One</title>'
     b"<link>https://a.example/1</link></item></channel></rss>", None, "the feed has no title"),
    # More items in the markup than fastfeedparser returned (here: an item nested where it looks for none).
    (b'<rss version="2.0"><channel><title>A</title><item><title>One</title><guid>1</guid></item>'
     b"<x><item><title>Two</title><guid>2</guid></item></x></channel></rss>", None, "entries where the markup has"),
])
def test_documents_the_fast_path_would_read_short_go_to_feedparser(body, headers, reason):
    fast, doubt = parse_fast(body, url=FEED_URL, headers=headers)
    assert doubt is not None and reason in doubt
    parsed = parse_feed(body, url=FEED_URL, headers=headers)
    assert parsed.parser == SAFE_PARSER
    assert stored(parsed) == stored(parse_with_feedparser(body, url=FEED_URL, headers=headers))


def test_rss_authors_written_as_email_and_name_keep_the_name_on_both_paths():
    body = (b'<rss version="2.0"><channel><title>A</title><item><title>One</title><link>https://a.example/1</link>'
            b"<author>ada@bakery.social (Ada Lovelace)</author></item><item><title>Two</title>"
            b"<link>https://a.example/2</link>"
            b"<author>Grace Hopper (grace@navy.example)</author></item></channel></rss>")
    fast, doubt = parse_fast(body, url=FEED_URL)
    assert doubt is None
    assert [entry.author for entry in fast.entries] == ["Ada Lovelace", "Grace Hopper"]
    assert stored(fast) == stored(parse_with_feedparser(body, url=FEED_URL))


def test_json_feeds_are_read_by_their_own_path():
    parsed = parse_feed((FIXTURES / "jsonfeed-1.1.json").read_bytes(), url=FEED_URL)
    assert parsed.parser == "json" and parsed.entries


def test_entries_sent_again_unchanged_are_skipped_and_new_or_edited_ones_are_not():
    farm = feedfarm().Farm(3, 20, 1, 0, "http://127.0.0.1:8080")
    first = farm.bodies["/feed/1.xml"].raw
    before = parse_feed(first, url=FEED_URL)
    known = {entry.markup_digest for entry in before.entries}
    assert len(known) == 20 and None not in known
    assert parse_feed(first, url=FEED_URL, known_digests=known).entries == ()

    farm.advance(2)
    edited = farm.bodies["/feed/1.xml"].raw.replace(before.entries[5].title.encode(), b"A New Title", 1)
    again = parse_feed(edited, url=FEED_URL, known_digests=known)
    whole = parse_feed(edited, url=FEED_URL)
    assert [entry.title for entry in again.entries] == [entry.title for entry in whole.entries[:2]] + ["A New Title"]
    assert set(again.entries) <= set(whole.entries)
    # Read against another address, the same markup may mean other links: nothing is skipped.
    assert len(parse_feed(first, url="https://elsewhere.example/feed.xml", known_digests=known).entries) == 20


def test_the_safety_net_and_json_feeds_keep_no_digest():
    rdf = parse_feed((FIXTURES / "rss10-rdf-iso-8859-1.rdf").read_bytes(), url=FEED_URL)
    json_feed = parse_feed((FIXTURES / "jsonfeed-1.1.json").read_bytes(), url=FEED_URL)
    assert rdf.parser == SAFE_PARSER
    assert {entry.markup_digest for entry in rdf.entries + json_feed.entries} == {None}
