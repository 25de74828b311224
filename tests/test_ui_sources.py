"""The Sources page through AppTest: health from the database, adding a source by discovery against a
loopback server, editing and unfollowing, each written back to feeds.yml with its comments kept."""

import pytest
from pages import follow_list_beside, open_page
from review_fixtures import add_item
from streamlit.testing.v1 import AppTest
from support import source_by_name

from amplify.follow.load import load_follow_list
from amplify.ui import components

FOLLOW_LIST = """\
# Whom I follow: kept by hand, and by amplify
settings:
  networks: [mastodon]
sources:
  # the bakery on the corner
  - name: Ada's Bakery
    feed: https://adasbakery.example/feed.xml
    url: https://adasbakery.example
    kind: business
    tags: [food]
  # poems on Sundays
  - name: Rosa Poems
    feed: https://rosa.example/feed.xml
"""
FEED = """<?xml version="1.0"?>
<rss version="2.0"><channel><title>Quilt Circle</title><link>{home}</link>
<item><title>Our first quilt</title><link>{home}posts/1</link><guid>1</guid></item>
</channel></rss>"""
HOMEPAGE = """<!doctype html><html><head><title>Quilt Circle</title>
<link rel="alternate" type="application/rss+xml" href="/feed.xml"></head><body>Welcome</body></html>"""


@pytest.fixture
def follow_list(store, tmp_path, monkeypatch):
    return follow_list_beside(store, tmp_path, monkeypatch, FOLLOW_LIST)


@pytest.fixture
def open_sources(follow_list):
    """Start the app on the test's database and follow list, on the Sources page."""
    return lambda: open_page("sources")


def checked(app: AppTest) -> AppTest:
    app.run()
    assert not app.exception, [exception.value for exception in app.exception]
    return app


def table_rows(app: AppTest) -> list[dict]:
    return app.dataframe[0].value.to_dict("records")


def source_id(store, name: str) -> int:
    return store.scalar("SELECT id FROM sources WHERE name = ?", (name,))


def test_lists_sources_with_their_health(open_sources, store):
    app = open_sources()
    assert app.title[0].value == "Sources"
    rows = table_rows(app)
    assert [row["Name"] for row in rows] == ["Ada's Bakery", "Rosa Poems"]  # the file's order
    ada = source_id(store, "Ada's Bakery")  # the page synced the file into the database
    add_item(store, ada, title="bread")
    with store.transaction():
        store.execute(
            "UPDATE feeds SET last_fetched_at = '2026-11-20T09:00:00+00:00', last_status = 500, "
            "last_error = '<script>alert(1)</script> server error', error_count = 2 WHERE source_id = ?",
            (ada,),
        )
    rows = table_rows(checked(app))
    assert rows[0]["Posts"] == 1
    assert rows[0]["Status"] == 500
    assert rows[0]["Problem"] == "<script>alert(1)</script> server error"  # a dataframe cell: plain text
    assert rows[0]["Homepage"] == "https://adasbakery.example"
    assert rows[0]["Last shared"] == "never"
    assert rows[1]["Last fetched"] == "not yet"
    assert "1 with a feed problem" in app.caption[-1].value


def test_missing_follow_list_opens_the_add_form(open_sources, follow_list):
    follow_list.unlink()
    app = open_sources()
    assert app.expander[0].label == "Follow someone new"
    assert len(app.dataframe) == 0
    assert app.text_input(key="add_url").value == ""


def test_add_a_source_from_its_homepage(open_sources, store, server, follow_list):
    server.route("/", HOMEPAGE, headers={"Content-Type": "text/html"})
    server.route("/feed.xml", FEED.format(home=server.url("/")),
                 headers={"Content-Type": "application/rss+xml"})
    app = open_sources()
    app.text_input(key="add_url").input(server.url("/"))
    app.selectbox(key="add_kind").select("organization")
    app.text_input(key="add_tags").input("craft, local")
    app.button(key="add_submit").click()
    checked(app)
    assert "Now following Quilt Circle" in app.success[0].value
    added = load_follow_list(follow_list).source("Quilt Circle")
    assert added.feeds == (server.url("/feed.xml"),)
    assert (added.kind, added.tags) == ("organization", ("craft", "local"))
    text = follow_list.read_text()
    assert text.startswith("# Whom I follow") and "# poems on Sundays" in text
    assert source_by_name(store, "Quilt Circle").followed is True
    assert [row["Name"] for row in table_rows(app)][-1] == "Quilt Circle"


def test_a_page_without_a_feed_is_a_clear_error_and_nothing_is_written(open_sources, server, follow_list):
    server.route("/", "<html><head><title>No feed</title></head></html>",
                 headers={"Content-Type": "text/html"})
    before = follow_list.read_text()
    app = open_sources()
    app.text_input(key="add_url").input(server.url("/"))
    app.button(key="add_submit").click()
    checked(app)
    assert "found no feed on this page" in app.error[0].value
    assert follow_list.read_text() == before


def test_edit_tags_handles_and_self_described_labels(open_sources, store, follow_list):
    app = open_sources()
    app.selectbox(key="edit_source").select("Ada's Bakery")
    checked(app)
    ada = source_id(store, "Ada's Bakery")
    assert app.text_input(key=f"edit_handle_linkedin_{ada}").label == "LinkedIn"
    app.text_input(key=f"edit_tags_{ada}").input("food, bread")
    app.selectbox(key=f"edit_credit_{ada}").select("name")
    app.text_input(key=f"edit_handle_mastodon_{ada}").input("@ada@bakers.social")
    app.text_input(key=f"edit_labels_{ada}").input("Black-owned, woman-owned")
    app.button(key=f"edit_save_{ada}").click()
    checked(app)
    assert "page where they describe themselves" in app.error[0].value  # labels need their statement URL
    assert load_follow_list(follow_list).source("Ada's Bakery").identity_labels == ()
    app.text_input(key=f"edit_statement_{ada}").input("https://adasbakery.example/about")
    app.button(key=f"edit_save_{ada}").click()
    checked(app)
    assert app.success[0].value == "Saved Ada\\'s Bakery\\."
    saved = load_follow_list(follow_list).source("Ada's Bakery")
    assert saved.tags == ("food", "bread")
    assert saved.credit == "name"
    assert saved.handles["mastodon"] == "@ada@bakers.social"
    assert saved.identity_labels == ("Black-owned", "woman-owned")
    assert saved.identity_source == "https://adasbakery.example/about"
    assert "# the bakery on the corner" in follow_list.read_text()
    row = source_by_name(store, "Ada's Bakery")
    assert row.identity_labels == ("Black-owned", "woman-owned") and row.credit == "name"
    assert ("Self-described as Black\\-owned\\, woman\\-owned ([where they said it]"
            "(https://adasbakery.example/about))") in "\n".join(element.value for element in app.markdown)
    (ada_row,) = [row for row in table_rows(app) if row["Name"] == "Ada's Bakery"]
    assert ada_row["Self-described"] == "Black-owned, woman-owned"
    assert ada_row["Where they said it"] == "https://adasbakery.example/about"


def test_unfollow_keeps_history_and_comments(open_sources, store, follow_list):
    app = open_sources()
    rosa = source_id(store, "Rosa Poems")
    item = add_item(store, rosa, title="a sonnet")
    app.selectbox(key="edit_source").select("Rosa Poems")
    checked(app)
    app.button(key=f"unfollow_{rosa}").click()
    checked(app)
    assert "Unfollowed Rosa Poems" in app.success[0].value
    assert load_follow_list(follow_list).source("Rosa Poems") is None
    assert "# the bakery on the corner" in follow_list.read_text()
    assert store.source_by_id(rosa).followed is False
    assert store.scalar("SELECT COUNT(*) FROM items WHERE id = ?", (item,)) == 1
    assert [row["Name"] for row in table_rows(app)] == ["Ada's Bakery"]


def test_a_hostile_feed_title_is_shown_as_text(open_sources, server, follow_list):
    title = "**Evil** [x](javascript:alert(1)) :red[shop] $x$"
    server.route("/feed.xml", FEED.replace("Quilt Circle", title).format(home=server.url("/")),
                 headers={"Content-Type": "application/rss+xml"})
    app = open_sources()
    app.text_input(key="add_url").input(server.url("/feed.xml"))
    app.button(key="add_submit").click()
    checked(app)
    added = load_follow_list(follow_list).sources[-1]
    assert added.name == title
    assert components.escape_markdown(title) in app.success[0].value
    assert "](javascript" not in app.success[0].value
    assert table_rows(app)[-1]["Name"] == title


def test_follow_list_problems_show_here_too(open_sources, follow_list):
    follow_list.write_text(FOLLOW_LIST + "  - name: Broken\n    feed: ftp://nope.example/feed\n")
    app = open_sources()
    assert "1 entry needs a look in your follow list" in app.expander[0].label
    assert [row["Name"] for row in table_rows(app)] == ["Ada's Bakery", "Rosa Poems"]
    follow_list.write_text("sources: [unclosed\n")
    app = open_sources()
    assert "could not be read, so it cannot be shown or changed here" in app.warning[0].value
    assert len(app.dataframe) == 0
