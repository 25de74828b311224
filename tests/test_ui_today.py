"""The Today page through Streamlit's AppTest: empty states, 10,000 items, hostile feed text, filters, paging,
and one-click actions that land in the database and `events`."""

from datetime import datetime, time, timedelta

import pytest
from pages import APP, follow_list_beside, open_page
from review_fixtures import add_item, add_source, fill
from streamlit.testing.v1 import AppTest
from support import FIXED_NOW

from amplify.clock import utcnow
from amplify.refresh import RefreshReport
from amplify.store import Store
from amplify.ui import components

FOLLOW_LIST = """\
settings:
  networks: [mastodon, bluesky]
sources:
  - name: Ada's Bakery
    feed: https://adasbakery.example/feed.xml
"""


@pytest.fixture
def follow_list(store, tmp_path, monkeypatch):
    return follow_list_beside(store, tmp_path, monkeypatch, FOLLOW_LIST)


@pytest.fixture
def open_today(follow_list):
    """Start the app on the test's database and follow list; returns the AppTest after its first run."""
    return open_page


def texts(app: AppTest) -> str:
    return "\n".join([element.value for element in app.markdown] + [element.value for element in app.caption])


def item_ids_shown(app: AppTest) -> list[int]:
    return [int(button.key.removeprefix("queue_")) for button in app.button
            if button.key.startswith("queue_")]


def state_of(store, item_id: int) -> str:
    return store.scalar("SELECT state FROM items WHERE id = ?", (item_id,))


def events_for(store, item_id: int) -> list[str]:
    found = store.rows("SELECT kind FROM events WHERE item_id = ? ORDER BY id", (item_id,))
    return [row["kind"] for row in found]


def test_empty_database_and_no_sources_says_how_to_add_one(open_today, follow_list):
    follow_list.write_text("sources: []\n")
    app = open_today()
    assert "No sources yet." in texts(app)
    assert "paste their homepage or feed address" in texts(app)
    link = app.get("page_link")[0].proto
    assert (link.label, link.page) == ("Add a source", "sources")
    assert item_ids_shown(app) == []


def test_nothing_new_says_when_the_last_refresh_was(open_today, store):
    # The app runs on the real clock, so the refresh is recorded relative to it.
    with Store(store.path, clock=lambda: utcnow() - timedelta(hours=3, minutes=5)) as earlier:
        earlier.record_refresh(RefreshReport().to_dict())
    app = open_today()
    assert "You're all caught up." in texts(app)
    assert "Nothing new since the last refresh, 3 hours ago." in texts(app)
    assert "last refreshed 3 hours ago" in texts(app)


def test_never_refreshed_asks_for_a_refresh(open_today):
    app = open_today()
    assert "Press Refresh to fetch" in texts(app)
    assert "not refreshed yet" in texts(app)


def test_ten_thousand_items_show_fifty_a_page_newest_first(open_today, store):
    fill(store, sources=100, items=10_000, newest=FIXED_NOW)
    app = open_today()
    shown = item_ids_shown(app)
    assert len(shown) == 50
    assert "10,000 to review" in texts(app)
    assert "**1–50 of 10,000 posts**" in texts(app)
    newest = store.today().items
    assert shown == [item.id for item in newest]
    app.button(key="page_next").click().run()
    assert "**51–100 of 10,000 posts**" in texts(app)
    second = item_ids_shown(app)
    assert len(second) == 50 and not set(second) & set(shown)
    assert app.button(key="page_prev").disabled is False
    app.button(key="page_prev").click().run()
    assert item_ids_shown(app) == shown
    assert app.button(key="page_prev").disabled is True


def test_hostile_title_and_summary_render_as_text(open_today, store):
    source = add_source(store, "Ada's Bakery")
    hostile = "<script>alert(1)</script> [x](javascript:alert(1)) **bold** :red[alarm] $x$ &lt;"
    item = add_item(store, source, title=hostile, summary=f"Summary {hostile}", url="javascript:alert(1)",
                    image_url="javascript:alert(2)", image_alt="alt")
    app = open_today()
    assert item_ids_shown(app) == [item]
    escaped = components.escape_markdown(hostile)
    rendered = texts(app)
    assert f"**{escaped}**" in rendered  # the title: escaped, and not a link (its URL is not http)
    assert f"Summary {escaped}" in rendered
    assert "](javascript" not in rendered and "<script>" not in rendered and "**bold**" not in rendered
    assert len(app.get("image")) == 0  # a javascript: image URL is never shown


def test_title_links_to_a_safe_original_and_image_has_alt_text(open_today, store):
    source = add_source(store, "Ada's Bakery")
    add_item(store, source, title="Fresh (rye) bread", url="https://adasbakery.example/rye_(new)<1>",
             image_url="https://adasbakery.example/rye.jpg", image_alt="A loaf on a board", author="Ada")
    app = open_today()
    assert "**[Fresh \\(rye\\) bread](https://adasbakery.example/rye_%28new%29%3C1%3E)**" in texts(app)
    image = app.get("image")[0].proto.imgs[0]
    assert (image.url, image.alt) == ("https://adasbakery.example/rye.jpg", "A loaf on a board")


def test_an_image_the_feed_did_not_describe_is_named_by_its_post(open_today, store):
    source = add_source(store, "Ada's Bakery")
    add_item(store, source, title="Rye is back", image_url="https://adasbakery.example/rye.jpg", image_alt="  ")
    image = open_today().get("image")[0].proto.imgs[0]
    assert image.alt == "Image from the post “Rye is back”"


def test_queue_skip_later_are_recorded_and_survive_a_rerun(open_today, store):
    source = add_source(store, "Ada's Bakery")
    first, second, third = (add_item(store, source, title=f"post {n}", sort_at=FIXED_NOW - timedelta(hours=n))
                            for n in range(3))
    app = open_today()
    app.button(key=f"queue_{first}").click().run()
    app.button(key=f"skip_{second}").click().run()
    app.button(key=f"later_{third}").click().run()
    assert not app.exception
    assert item_ids_shown(app) == []
    assert (state_of(store, first), state_of(store, second), state_of(store, third)) == (
        "queued", "skipped", "later")
    assert events_for(store, first) == ["draft_created", "item_state_changed"]
    assert events_for(store, second) == ["item_state_changed"]
    assert store.scalar("SELECT COUNT(*) FROM drafts WHERE item_id = ? AND state = 'open'", (first,)) == 1
    reloaded = open_today()  # a fresh session, as after a browser reload
    assert item_ids_shown(reloaded) == []
    assert "1 saved for later" in texts(reloaded) and "1 in your queue" in texts(reloaded)


def test_later_view_brings_an_item_back(open_today, store):
    source = add_source(store, "Ada's Bakery")
    item = add_item(store, source, title="for another day", state="later")
    app = open_today()
    assert item_ids_shown(app) == []
    app.radio(key="view").set_value("Saved for later").run()
    assert item_ids_shown(app) == [item]
    app.button(key=f"new_{item}").click().run()
    assert state_of(store, item) == "new"
    assert "Nothing saved for later." in texts(app)


def test_skip_all_shown_skips_only_this_page(open_today, store):
    fill(store, sources=3, items=60, newest=FIXED_NOW)
    app = open_today()
    shown = item_ids_shown(app)
    app.button(key="skip_all_shown").click().run()
    assert all(state_of(store, item_id) == "skipped" for item_id in shown)
    assert store.review_counts().new == 10
    assert len(item_ids_shown(app)) == 10
    assert store.scalar("SELECT COUNT(*) FROM events WHERE kind = 'item_state_changed'") == 50


def test_filters_narrow_the_list(open_today, store):
    bakery = add_source(store, "Ada's Bakery", kind="business", tags=["food"], labels=["Black-owned"])
    poet = add_source(store, "Rosa Poems", tags=["poetry"], labels=["Latina"])
    bread = add_item(store, bakery, title="Sourdough Saturday", sort_at="2026-11-19T08:00:00+00:00")
    poem = add_item(store, poet, title="A chapbook launch", sort_at="2026-11-20T08:00:00+00:00")
    app = open_today()
    assert item_ids_shown(app) == [poem, bread]
    app.multiselect(key="source").set_value(["Rosa Poems"]).run()
    assert item_ids_shown(app) == [poem]
    app.multiselect(key="source").set_value([]).run()
    app.multiselect(key="kind").set_value(["business"]).run()
    assert item_ids_shown(app) == [bread]
    app.multiselect(key="kind").set_value([]).run()
    app.multiselect(key="tag").set_value(["poetry"]).run()
    assert item_ids_shown(app) == [poem]
    app.multiselect(key="tag").set_value([]).run()
    app.multiselect(key="label").set_value(["Black-owned"]).run()
    assert item_ids_shown(app) == [bread]
    app.multiselect(key="label").set_value([]).run()
    app.text_input(key="search").input("sourdough").run()
    assert item_ids_shown(app) == [bread]
    app.text_input(key="search").input('chap"book OR (').run()  # FTS syntax typed by a user: no error
    assert not app.exception


def test_published_narrows_to_a_period_back_from_today(open_today, store):
    source = add_source(store, "Ada's Bakery")
    midnight = datetime.combine(utcnow().date(), time.min)
    today, yesterday, five, twenty, sixty = (add_item(store, source, title=f"{days} days ago",
                                                      sort_at=midnight - timedelta(days=days))
                                             for days in (0, 1, 5, 20, 60))
    app = open_today()
    assert app.selectbox(key="published").value == "Any time"
    assert item_ids_shown(app) == [today, yesterday, five, twenty, sixty]
    for period, shown in (("Today", [today]), ("Since yesterday", [today, yesterday]),
                          ("Last 7 days", [today, yesterday, five]),
                          ("Last 30 days", [today, yesterday, five, twenty])):
        app.selectbox(key="published").select(period).run()
        assert item_ids_shown(app) == shown, period


def test_published_is_a_query_parameter(open_today, store):
    source = add_source(store, "Ada's Bakery")
    fresh = add_item(store, source, title="fresh", sort_at=datetime.combine(utcnow().date(), time.min))
    add_item(store, source, title="old", sort_at=utcnow() - timedelta(days=3))
    app = AppTest.from_file(APP, default_timeout=60)
    app.query_params["published"] = "Today"
    app.run()
    assert not app.exception
    assert app.selectbox(key="published").value == "Today"
    assert item_ids_shown(app) == [fresh]


def test_no_match_offers_to_clear_filters(open_today, store):
    source = add_source(store, "Ada's Bakery")
    item = add_item(store, source, title="bread")
    app = open_today()
    app.text_input(key="search").input("nothing like this").run()
    app.selectbox(key="published").select("Today").run()
    assert "Nothing matches these filters." in texts(app)
    app.button(key="clear_filters").click().run()
    assert item_ids_shown(app) == [item]
    assert app.selectbox(key="published").value == "Any time"


def test_follow_list_problems_are_a_gentle_warning(open_today, follow_list):
    follow_list.write_text(FOLLOW_LIST + "  - name: Broken\n    feed: ftp://nope.example/feed\n")
    app = open_today()
    expander = app.expander[0]
    assert "1 entry needs a look in your follow list" in expander.label
    shown = components.escape_markdown("ftp://nope.example/feed")
    assert any(shown in element.value for element in expander.caption)
    assert not app.error


def test_a_refused_action_is_a_notice_not_a_traceback(open_today, store):
    source = add_source(store, "Ada's Bakery")
    item = add_item(store, source, title="bread")
    app = open_today()
    with store.transaction():  # another tab shared it meanwhile
        store.execute("UPDATE items SET state = 'shared' WHERE id = ?", (item,))
    app.button(key=f"skip_{item}").click().run()
    assert not app.exception
    assert "already shared" in app.warning[0].value
    assert state_of(store, item) == "shared"


RSS = """<?xml version="1.0"?><rss version="2.0"><channel><title>Ada's Bakery</title><link>{site}/</link>
<item><title>Rye is back on Saturdays</title><link>{site}/rye</link><guid>rye</guid></item>
<item><title>Free classes for teenagers</title><link>{site}/classes</link><guid>classes</guid></item>
</channel></rss>"""


def test_refresh_button_fetches_and_lists_failed_feeds(open_today, follow_list, server):
    server.route("/feed.xml", RSS.format(site=server.url("")), headers={"Content-Type": "application/rss+xml"})
    follow_list.write_text(
        "sources:\n"
        f"  - name: Ada's Bakery\n    feed: {server.url('/feed.xml')}\n"
        f"  - name: Gone Away\n    feed: {server.url('/missing.xml')}\n"
    )
    app = open_today()
    assert "Press Refresh to fetch" in texts(app)
    app.button(key="refresh").click().run()
    assert not app.exception
    status = app.get("status")[0]
    assert status.label == "2 new posts; 1 feed could not be read"
    problem = next(element.value for element in status.caption)
    assert problem.startswith("Gone Away") and "404" in problem
    assert "Refreshed: 2 new posts." in app.toast[0].value
    assert len(item_ids_shown(app)) == 2
    assert "last refreshed just now" in texts(app)
    assert len(server.hits("/feed.xml")) == 1


def test_refresh_waits_for_a_readable_follow_list(open_today, store, follow_list):
    source = add_source(store, "Ada's Bakery")
    follow_list.write_text("sources: [unclosed\n")
    app = open_today()
    assert "could not be read" in app.warning[0].value
    assert app.button(key="refresh").disabled
    follow_list.unlink()
    assert open_today().button(key="refresh").disabled
    assert store.source_by_id(source).followed is True
