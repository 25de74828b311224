"""The review queries: Today's pages, filters, safe search, state changes with events, query plans."""

import json
import threading
from datetime import date, timedelta

import pytest
from query_plans import query_plan
from review_fixtures import add_item, add_source, fill
from support import FIXED_NOW

from amplify.store import Store
from amplify.store.review import ReviewError, ReviewFilters, search_query

NETWORKS = ("mastodon", "bluesky")


def events(store, kind="item_state_changed"):
    return [dict(row, detail=json.loads(row["detail"]))
            for row in store.rows("SELECT * FROM events WHERE kind = ? ORDER BY id", (kind,))]


def titles(page):
    return [item.title for item in page.items]


def shown(store, **filters):
    return titles(store.today(filters=ReviewFilters(**filters)))


@pytest.fixture
def two_sources(store):
    bakery = add_source(store, "Ada's Bakery", kind="business", tags=["food", "local"],
                        labels=["Black-owned", "woman-owned"])
    poet = add_source(store, "Rosa Poems", kind="creator", tags=["poetry"], labels=["Latina"])
    return bakery, poet


def test_empty_database_has_an_empty_first_page(store):
    page = store.today()
    assert page.items == ()
    assert (page.total, page.page, page.page_count, page.first_number, page.last_number) == (0, 1, 1, 0, 0)
    assert store.review_counts().new == 0


def test_newest_first_and_only_unreviewed(store, two_sources):
    bakery, poet = two_sources
    add_item(store, bakery, title="older", sort_at=FIXED_NOW - timedelta(days=2))
    add_item(store, poet, title="newest", sort_at=FIXED_NOW)
    add_item(store, bakery, title="middle", sort_at=FIXED_NOW - timedelta(hours=5))
    add_item(store, bakery, title="skipped one", state="skipped")
    add_item(store, bakery, title="saved for later", state="later")
    page = store.today()
    assert titles(page) == ["newest", "middle", "older"]
    assert page.items[0].source_name == "Rosa Poems"
    assert page.items[0].source_kind == "creator"
    assert titles(store.today(filters=ReviewFilters(view="later"))) == ["saved for later"]
    counts = store.review_counts()
    assert (counts.new, counts.later, counts.queued, counts.by_state["skipped"]) == (3, 1, 0, 1)


def test_same_time_items_keep_a_stable_order(store, two_sources):
    ids = [add_item(store, two_sources[0], title=f"same {n}", sort_at=FIXED_NOW) for n in range(3)]
    assert [item.id for item in store.today().items] == sorted(ids, reverse=True)


def test_pages_of_fifty_and_a_page_past_the_end_shows_the_last(store):
    fill(store, sources=3, items=120, newest=FIXED_NOW)
    first, second, third = (store.today(page=number) for number in (1, 2, 3))
    assert [len(page.items) for page in (first, second, third)] == [50, 50, 20]
    assert first.total == 120 and first.page_count == 3
    assert (second.first_number, second.last_number) == (51, 100)
    assert not {item.id for item in first.items} & {item.id for item in second.items}
    assert first.items[-1].sort_at > second.items[0].sort_at
    beyond = store.today(page=99)
    assert beyond.page == 3 and titles(beyond) == titles(third)
    assert store.today(page=0).page == 1


def test_filters_by_source_kind_tag_and_label(store, two_sources):
    bakery, poet = two_sources
    add_item(store, bakery, title="fresh bread")
    add_item(store, poet, title="a sonnet")
    other = add_source(store, "Quiet Press", kind="organization", tags=["books", "local"])
    add_item(store, other, title="a zine fair")
    assert titles(store.today(filters=ReviewFilters(source_ids=(poet,)))) == ["a sonnet"]
    assert titles(store.today(filters=ReviewFilters(kinds=("business",)))) == ["fresh bread"]
    assert sorted(shown(store, tags=("local",))) == ["a zine fair", "fresh bread"]
    assert shown(store, labels=("Latina",)) == ["a sonnet"]
    assert shown(store, labels=("woman-owned",), tags=("local",)) == ["fresh bread"]
    assert shown(store, labels=("Latina",), kinds=("business",)) == []
    assert store.today(filters=ReviewFilters(tags=("no such tag",))).total == 0


def test_date_range_is_inclusive_whole_days(store, two_sources):
    bakery = two_sources[0]
    add_item(store, bakery, title="the 18th, late", sort_at="2026-11-18T23:59:59+00:00")
    add_item(store, bakery, title="the 19th, early", sort_at="2026-11-19T00:00:00+00:00")
    add_item(store, bakery, title="the 20th", sort_at="2026-11-20T09:00:00+00:00")
    only_19th = ReviewFilters(since=date(2026, 11, 19), until=date(2026, 11, 19))
    assert titles(store.today(filters=only_19th)) == ["the 19th, early"]
    assert titles(store.today(filters=ReviewFilters(until=date(2026, 11, 18)))) == ["the 18th, late"]
    assert shown(store, since=date(2026, 11, 19)) == ["the 20th", "the 19th, early"]


def test_search_finds_words_prefixes_and_ignores_accents(store, two_sources):
    bakery, poet = two_sources
    add_item(store, bakery, title="Sourdough Saturday", summary="Our crème brûlée is back")
    add_item(store, poet, title="New chapbook", summary="Poems about the river")
    add_item(store, poet, title="Reading night", author="Rosa Méndez")
    assert titles(store.today(filters=ReviewFilters(search="creme"))) == ["Sourdough Saturday"]
    assert titles(store.today(filters=ReviewFilters(search="chap"))) == ["New chapbook"]
    assert titles(store.today(filters=ReviewFilters(search="poems river"))) == ["New chapbook"]
    assert titles(store.today(filters=ReviewFilters(search="mendez"))) == ["Reading night"]
    assert titles(store.today(filters=ReviewFilters(search="river bread"))) == []


@pytest.mark.parametrize("typed", ['"', 'bread"', "AND", "OR NOT", "(bread", "bread*)", "NEAR(a b)", "x:y",
                                   "^start", "a - b", "'; DROP TABLE items; --", "{title}: x", "*"])
def test_search_text_is_never_fts_syntax(store, two_sources, typed):
    add_item(store, two_sources[0], title="bread and butter")
    page = store.today(filters=ReviewFilters(search=typed))  # must not raise
    assert page.total in (0, 1)
    assert store.scalar("SELECT COUNT(*) FROM items") == 1


def test_search_without_words_filters_nothing(store, two_sources):
    add_item(store, two_sources[0], title="bread")
    assert search_query("  !!! ** ") is None
    assert store.today(filters=ReviewFilters(search="!!!")).total == 1
    assert ReviewFilters(search="!!!").narrowed is False
    assert ReviewFilters(search="bread").narrowed is True


def test_search_query_quotes_each_word():
    assert search_query('crème "brûlée" OR') == '"crème" "brûlée" "OR"*'


def test_later_and_skip_are_recorded_and_repeat_is_a_no_op(store, two_sources):
    item = add_item(store, two_sources[0], title="bread")
    store.set_item_state(item, "later")
    store.set_item_state(item, "later")
    assert store.scalar("SELECT state FROM items WHERE id = ?", (item,)) == "later"
    store.set_item_state(item, "skipped")
    recorded = events(store)
    assert [(event["detail"]["previous_state"], event["detail"]["state"]) for event in recorded] == [
        ("new", "later"), ("later", "skipped")]
    assert recorded[0]["item_id"] == item and recorded[0]["source_id"] == two_sources[0]
    assert recorded[0]["at"] == "2026-11-20T09:30:00+00:00"
    assert store.today().total == 0


def test_queue_creates_one_draft_and_taking_it_back_discards_it(store, two_sources):
    item = add_item(store, two_sources[0], title="bread")
    store.set_item_state(item, "queued", networks=NETWORKS)
    draft = store.row("SELECT id, state FROM drafts WHERE item_id = ?", (item,))
    assert draft["state"] == "open"
    assert set(store.draft_posts(draft["id"])) == set(NETWORKS)
    assert events(store)[-1]["draft_id"] == draft["id"]
    store.set_item_state(item, "queued", networks=NETWORKS)  # a double click makes no second draft
    assert store.scalar("SELECT COUNT(*) FROM drafts WHERE item_id = ?", (item,)) == 1
    store.set_item_state(item, "new")
    assert store.scalar("SELECT state FROM drafts WHERE id = ?", (draft["id"],)) == "discarded"
    assert store.scalar("SELECT state FROM items WHERE id = ?", (item,)) == "new"
    assert titles(store.today()) == ["bread"]


def test_queue_needs_networks(store, two_sources):
    item = add_item(store, two_sources[0])
    with pytest.raises(ReviewError, match="network"):
        store.set_item_state(item, "queued")
    assert store.scalar("SELECT state FROM items WHERE id = ?", (item,)) == "new"


@pytest.mark.parametrize("state", ["shared", "deleted", ""])
def test_unknown_or_gate_only_states_are_refused(store, two_sources, state):
    item = add_item(store, two_sources[0])
    with pytest.raises(ReviewError, match="can be moved to"):
        store.set_item_state(item, state)


def test_shared_items_stay_shared(store, two_sources):
    item = add_item(store, two_sources[0], state="shared")
    with pytest.raises(ReviewError, match="already shared"):
        store.set_item_state(item, "new")
    assert store.scalar("SELECT state FROM items WHERE id = ?", (item,)) == "shared"


def test_skip_all_shown_is_one_transaction(store, two_sources):
    shown = [add_item(store, two_sources[0], title=f"post {n}") for n in range(3)]
    kept = add_item(store, two_sources[1], title="not shown")
    assert store.set_state_for(shown, "skipped") == 3
    assert titles(store.today()) == ["not shown"]
    assert [event["item_id"] for event in events(store)] == shown
    assert all(event["detail"]["bulk"] for event in events(store))
    with pytest.raises(ReviewError, match="no item with id 999"):
        store.set_state_for([kept, 999], "later")
    assert store.scalar("SELECT state FROM items WHERE id = ?", (kept,)) == "new"
    assert len(events(store)) == 3
    assert store.set_state_for([], "skipped") == 0


def test_filter_options_offer_what_sources_have(store, two_sources):
    add_source(store, "Gone Source", kind="organization", tags=["old"], followed=False)
    options = store.filter_options()
    assert [name for _id, name in options.sources] == ["Ada's Bakery", "Rosa Poems"]
    assert options.kinds == ("business", "creator", "organization")
    assert options.tags == ("food", "local", "old", "poetry")
    assert options.labels == ("Black-owned", "Latina", "woman-owned")


def query_plans(store, action):
    """EXPLAIN QUERY PLAN of every SELECT `action` runs (SQLite hands the trace its SQL with values bound)."""
    seen: list[str] = []
    store.conn.set_trace_callback(seen.append)
    try:
        action()
    finally:
        store.conn.set_trace_callback(None)
    return {sql: query_plan(store, sql) for sql in seen if sql.lstrip().upper().startswith("SELECT")}


@pytest.mark.parametrize("filters", [
    ReviewFilters(),
    ReviewFilters(view="later"),
    ReviewFilters(since=date(2026, 11, 1), until=date(2026, 11, 10)),
    ReviewFilters(tags=("tag-3",), labels=("label-1",)),
    ReviewFilters(kinds=("business",), source_ids=(1, 2, 3)),
    ReviewFilters(search="bakery"),
], ids=["default", "later", "dates", "tag-label", "kind-source", "search"])
def test_today_reads_items_through_an_index(store, filters):
    fill(store, sources=40, items=400, newest=FIXED_NOW)
    plans = query_plans(store, lambda: store.today(filters=filters, page=2))
    assert plans
    for sql, plan in plans.items():
        if "FROM items" in sql:
            assert not plan.scanned & {"i", "items"}, (sql, plan.steps)
            assert plan.indexes or plan.virtual, (sql, plan.steps)


def test_an_action_waits_for_another_writer_instead_of_failing(store, two_sources):
    """A cron refresh (or another tab) holding the write lock makes a click wait, never fail as "locked"."""
    item = add_item(store, two_sources[0], title="bread")
    other = Store(store.path)
    clicked = threading.Event()
    outcome: list[object] = []

    def click() -> None:
        with Store(store.path) as tab:
            clicked.set()
            try:
                tab.set_item_state(item, "later")
                outcome.append("done")
            except Exception as error:  # any failure ("database is locked") is what the test reports
                outcome.append(error)

    with other.transaction():
        other.execute("UPDATE items SET title = 'bread, warm' WHERE id = ?", (item,))
        worker = threading.Thread(target=click)
        worker.start()
        clicked.wait()
        worker.join(0.5)  # the click is blocked on the lock while this transaction is open
        assert outcome == []
    worker.join()
    other.close()
    assert outcome == ["done"]
    assert store.row("SELECT title, state FROM items WHERE id = ?", (item,)) == {"title": "bread, warm",
                                                                                "state": "later"}
