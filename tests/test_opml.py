"""OPML: reading the feedfarm's shape and other readers' folders, refusing XML bombs, and the round trip."""

from datetime import UTC, datetime

import pytest

from amplify.opml import OPMLError, read_opml, write_opml
from amplify.types import Source

# The shape /work/shared/feedfarm writes with --write-list (first three outlines of a 1000-feed farm).
FEEDFARM_OPML = b"""<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0">
<head><title>feedfarm (3 feeds)</title><dateCreated>Mon, 01 Jan 2024 00:00:00 GMT</dateCreated></head>
<body>
<outline type="rss" text="Noble Saddle 0" title="Noble Saddle 0" xmlUrl="http://127.0.0.1:36245/feed/0.json" \
htmlUrl="http://127.0.0.1:36245/site/0/" category="maker,food"/>
<outline type="rss" text="Misty Thistle 1" title="Misty Thistle 1" \
xmlUrl="http://127.0.0.1:36245/feed/1.xml" \
htmlUrl="http://127.0.0.1:36245/site/1/" category="food,books"/>
<outline type="rss" text="Tom &amp; Jo&apos;s" title="Tom &amp; Jo&apos;s" \
xmlUrl="http://127.0.0.1:36245/feed/2.xml" \
htmlUrl="http://127.0.0.1:36245/site/2/" category="books,tech"/>
</body>
</opml>
"""

FOLDERS_OPML = b"""<?xml version="1.0"?>
<opml version="1.0"><head><title>Exported</title></head><body>
  <outline text="Food">
    <outline text="Local bakers">
      <outline type="rss" text="Ada's   Bakery" xmlUrl="https://adasbakery.example/blog.atom"
               htmlUrl="https://adasbakery.example" category="/Bread/Rye"/>
    </outline>
    <outline type="rss" title="Only a title" xmlUrl="https://title.example/feed"/>
  </outline>
  <outline type="rss" text="Bad link" xmlUrl="javascript:alert(1)"/>
  <outline type="rss" text="Home not http" xmlUrl="https://nohome.example/feed" htmlUrl="ftp://nohome.example"/>
  <outline type="rss" text="Ada's Bakery" xmlUrl="https://adasbakery.example/podcast.rss"/>
  <outline type="rss" text="Duplicate" xmlUrl="https://title.example/feed"/>
  <outline type="rss" text="Esc&#x9b;31m&#x7f;ape&#10;d" xmlUrl="https://escape.example/feed"/>
</body></opml>
"""


def test_reads_the_feedfarm_shape():
    sources = read_opml(FEEDFARM_OPML)

    assert [source.name for source in sources] == ["Noble Saddle 0", "Misty Thistle 1", "Tom & Jo's"]
    first = sources[0]
    assert first.feeds == ("http://127.0.0.1:36245/feed/0.json",)
    assert first.url == "http://127.0.0.1:36245/site/0/"
    assert first.tags == ("maker", "food")


def test_reads_nested_folders_as_tags_and_skips_what_is_not_a_web_feed():
    sources = {source.name: source for source in read_opml(FOLDERS_OPML)}

    assert list(sources) == ["Ada's Bakery", "Only a title", "Home not http", "Esc31mape d"]
    ada = sources["Ada's Bakery"]
    assert ada.tags == ("Food", "Local bakers", "Bread", "Rye")
    assert ada.feeds == ("https://adasbakery.example/blog.atom", "https://adasbakery.example/podcast.rss")
    assert ada.url == "https://adasbakery.example"
    assert sources["Only a title"].tags == ("Food",)
    assert sources["Home not http"].url is None


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (
            b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]>'
            b'<opml><body><outline xmlUrl="https://x.example/&lol2;"/></body></opml>',
            "declares a DTD or entities",
        ),
        (b'<!DOCTYPE opml SYSTEM "file:///etc/passwd"><opml/>', "declares a DTD"),
        (b'<!doctype opml SYSTEM "file:///etc/passwd"><opml/>', "not valid XML"),  # not XML at all, so not read
        (  # the same in UTF-16, where the bytes of "<!ENTITY" are interleaved with zeros
            '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE opml [<!ENTITY a "aaaaaaaa">]>'
            '<opml><body><outline text="&a;" xmlUrl="https://x.example/f"/></body></opml>'.encode("utf-16"),
            "declares a DTD or entities",
        ),
        (b"<opml><body><outline", "not valid XML"),
        (b"<rss><channel/></rss>", "not an OPML file"),
    ],
)
def test_untrusted_or_broken_files_are_refused(data, fragment):
    with pytest.raises(OPMLError, match=fragment):
        read_opml(data)


def test_round_trip_keeps_names_feeds_homepages_and_tags():
    sources = [
        Source(
            name='Ada\'s <Bakery> & "Friends"',
            feeds=("https://adasbakery.example/blog.atom",),
            url="https://adasbakery.example",
            tags=("food", "local"),
        ),
        Source(name="Bea Builds", feeds=("https://bea.example/a.rss", "https://bea.example/b.rss")),
    ]

    data = write_opml(sources, created=datetime(2026, 11, 20, 9, 30, tzinfo=UTC))

    assert data.startswith(b"<?xml version='1.0' encoding='utf-8'?>\n<opml version=\"2.0\">")
    assert b"<dateCreated>Fri, 20 Nov 2026 09:30:00 GMT</dateCreated>" in data
    assert [(source.name, source.feeds, source.url, source.tags) for source in read_opml(data)] == [
        (source.name, source.feeds, source.url, source.tags) for source in sources
    ]
