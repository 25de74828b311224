"""Store.sync_sources, source health, lookups and forgetting, on a real database file."""

import json

import pytest
from query_plans import query_plan
from support import source_by_name

from amplify.follow import sync as follow_sync
from amplify.follow.load import parse_follow_list, text_digest
from amplify.follow.sync import sync_follow_list
from amplify.types import FollowList, Settings, Source


def _follow(*sources: Source) -> FollowList:
    return FollowList(tuple(sources), Settings())


ADA = Source(
    name="Ada's Bakery",
    feeds=("https://adasbakery.example/blog.atom",),
    url="https://adasbakery.example",
    kind="business",
    handles={"mastodon": "@ada@bakers.social"},
    tags=("food", "local"),
    identity_labels=("Black-owned",),
    identity_source="https://adasbakery.example/about",
    notes="met at the market",
)
BEA = Source(name="Bea Builds", feeds=("https://bea.example/a.rss", "https://bea.example/b.rss"))


def _events(store, kind):
    return store.rows("SELECT * FROM events WHERE kind = ?", (kind,))


def _add_item(store, source_id, key):
    with store.adding_items():
        store.execute(
            "INSERT INTO items (source_id, entry_key, title, first_seen_at, sort_at) "
            "VALUES (?, ?, 't', 'x', 'x')",
            (source_id, key),
        )


def _set_feed_state(store, url, fetched_at, status, error, error_count):
    store.execute(
        "UPDATE feeds SET last_fetched_at = ?, last_status = ?, last_error = ?, error_count = ? "
        "WHERE url = ?",
        (fetched_at, status, error, error_count, url),
    )


def test_sync_creates_sources_and_feeds_with_json_columns(store):
    store.sync_sources(_follow(ADA, BEA))

    ada = source_by_name(store, "Ada's Bakery")
    assert ada.kind == "business"
    assert ada.tags == ("food", "local")
    assert ada.handles == {"mastodon": "@ada@bakers.social"}
    assert ada.identity_labels == ("Black-owned",)
    assert ada.feeds == ("https://adasbakery.example/blog.atom",)
    assert ada.followed is True
    raw = store.row("SELECT tags, handles FROM sources WHERE id = ?", (ada.id,))
    assert json.loads(raw["tags"]) == ["food", "local"]
    assert store.source_by_id(ada.id).name == "Ada's Bakery"
    assert source_by_name(store, "Bea Builds").feeds == (
        "https://bea.example/a.rss",
        "https://bea.example/b.rss",
    )
    assert source_by_name(store, "nobody") is None
    assert len(_events(store, "sources_synced")) == 1


def test_sync_is_idempotent_and_logs_only_changes(store):
    store.sync_sources(_follow(ADA, BEA))
    before = store.rows("SELECT * FROM sources ORDER BY id")

    store.sync_sources(_follow(ADA, BEA))

    assert store.rows("SELECT * FROM sources ORDER BY id") == before
    assert store.scalar("SELECT COUNT(*) FROM feeds") == 3
    assert len(_events(store, "sources_synced")) == 1


def test_changed_fields_are_updated(store):
    store.sync_sources(_follow(ADA))
    source_id = source_by_name(store, "Ada's Bakery").id

    store.sync_sources(_follow(Source(name="Ada's Bakery", feeds=ADA.feeds, tags=("bread",), credit="ask")))

    ada = store.source_by_id(source_id)
    assert ada.tags == ("bread",)
    assert ada.credit == "ask"
    assert ada.identity_labels == ()
    detail = json.loads(_events(store, "sources_synced")[-1]["detail"])
    assert detail == {"updated": [source_id]}


def test_unfollow_keeps_history_and_refollow_brings_the_same_row_back(store):
    store.sync_sources(_follow(ADA, BEA))
    bea_id = source_by_name(store, "Bea Builds").id
    _add_item(store, bea_id, "k")

    store.sync_sources(_follow(ADA))

    assert store.source_by_id(bea_id).followed is False
    assert [row.name for row in store.source_health()] == ["Ada's Bakery"]
    assert store.scalar("SELECT COUNT(*) FROM items WHERE source_id = ?", (bea_id,)) == 1
    assert store.scalar("SELECT COUNT(*) FROM feeds WHERE source_id = ? AND followed = 1", (bea_id,)) == 0

    store.sync_sources(_follow(ADA, BEA))

    assert source_by_name(store, "Bea Builds").id == bea_id
    assert store.source_by_id(bea_id).followed is True
    assert store.source_by_id(bea_id).feeds == BEA.feeds
    details = [json.loads(event["detail"]) for event in _events(store, "sources_synced")]
    assert details[1]["unfollowed"] == [bea_id]
    assert details[2]["refollowed"] == [bea_id]


def test_a_dropped_feed_is_no_longer_followed(store):
    store.sync_sources(_follow(BEA))

    store.sync_sources(_follow(Source(name="Bea Builds", feeds=("https://bea.example/a.rss",))))

    assert source_by_name(store, "Bea Builds").feeds == ("https://bea.example/a.rss",)
    assert store.scalar("SELECT followed FROM feeds WHERE url = 'https://bea.example/b.rss'") == 0


def test_a_renamed_source_keeps_its_row_when_its_feed_stays(store):
    store.sync_sources(_follow(ADA))
    source_id = source_by_name(store, "Ada's Bakery").id

    store.sync_sources(_follow(Source(name="Ada's Bakehouse", feeds=ADA.feeds)))

    assert source_by_name(store, "Ada's Bakehouse").id == source_id
    assert source_by_name(store, "Ada's Bakery") is None
    assert store.scalar("SELECT COUNT(*) FROM sources") == 1


def test_a_feed_moved_to_another_source_follows_the_file(store):
    store.sync_sources(_follow(ADA, BEA))

    store.sync_sources(_follow(ADA, Source(name="Bea Builds", feeds=BEA.feeds + ADA.feeds)))

    assert sorted(source_by_name(store, "Bea Builds").feeds) == sorted(BEA.feeds + ADA.feeds)
    assert source_by_name(store, "Ada's Bakery").feeds == ()


def test_sync_of_a_thousand_unchanged_sources_writes_nothing(store):
    many = _follow(*(Source(name=f"Creator {n}", feeds=(f"https://c{n}.example/feed",)) for n in range(1000)))
    store.sync_sources(many)
    changes_before = store.conn.total_changes

    store.sync_sources(many)

    assert store.conn.total_changes == changes_before
    assert store.scalar("SELECT COUNT(*) FROM sources WHERE followed = 1") == 1000


def test_source_health_reports_feeds_items_and_shares(store):
    store.sync_sources(_follow(ADA, BEA))
    bea_id = source_by_name(store, "Bea Builds").id
    _set_feed_state(store, "https://bea.example/a.rss", "2026-11-20T09:00:00+00:00", 200, None, 0)
    _set_feed_state(
        store, "https://bea.example/b.rss", "2026-11-20T09:05:00+00:00", 404, "the feed is gone (404)", 2
    )
    for key in ("one", "two"):
        _add_item(store, bea_id, key)

    health = {row.name: row for row in store.source_health()}

    bea = health["Bea Builds"]
    assert bea.feed_count == 2
    assert bea.last_fetched_at == "2026-11-20T09:05:00+00:00"
    assert bea.last_status == 404
    assert bea.last_error == "the feed is gone (404)"
    assert bea.error_count == 2
    assert bea.item_count == 2
    assert bea.last_shared_at is None
    ada = health["Ada's Bakery"]
    assert (ada.feed_count, ada.item_count, ada.last_status, ada.last_error) == (1, 0, None, None)
    assert ada.tags == ("food", "local")


def test_source_health_uses_indexes(store):
    plan = query_plan(
        store,
        "SELECT COUNT(*) FROM items WHERE source_id = 1 UNION ALL "
        "SELECT MAX(shared_at) FROM shares WHERE source_id = 1 UNION ALL "
        "SELECT COUNT(*) FROM feeds WHERE source_id = 1",
    )
    assert not plan.scanned & {"items", "shares", "feeds"}, plan.steps
    assert len(plan.indexes) >= 3, plan.steps  # each of the three reads its source's rows through an index


def test_forget_clears_identity_and_renames_in_the_store(store):
    store.sync_sources(_follow(ADA))
    source_id = source_by_name(store, "Ada's Bakery").id

    store.forget_source(source_id, "forgotten source 1")

    forgotten = store.source_by_id(source_id)
    assert forgotten.name == "forgotten source 1"
    assert forgotten.forgotten is True
    assert (forgotten.identity_labels, forgotten.identity_source, forgotten.handles) == (
        (),
        None,
        {},
    )
    assert forgotten.notes is None
    event = _events(store, "source_forgotten")[0]
    assert event["source_id"] == source_id
    assert "Ada" not in event["detail"]


def test_followed_feeds_are_what_the_file_lists_now(store):
    store.sync_sources(_follow(ADA, BEA))
    store.sync_sources(_follow(Source(name="Bea Builds", feeds=("https://bea.example/b.rss",))))

    feeds = store.followed_feeds()

    assert [(feed.url, feed.source_name) for feed in feeds] == [
        ("https://bea.example/b.rss", "Bea Builds")
    ]
    assert feeds[0].etag is None and feeds[0].error_count == 0


def test_source_health_last_shared_leaves_out_retracted_shares_as_the_audit_does(store):
    from audit_fixtures import add_share, retract

    store.sync_sources(_follow(ADA, BEA))
    bea_id = source_by_name(store, "Bea Builds").id
    add_share(store, bea_id, "2026-11-10T09:00:00+00:00")
    retract(store, add_share(store, bea_id, "2026-11-12T09:00:00+00:00"))

    health = {row.name: row for row in store.source_health()}

    assert health["Bea Builds"].last_shared_at == "2026-11-10T09:00:00+00:00"


# -- the synced text ------------------------------------------------------------------------------------------

BAD_AND_GOOD = """\
sources:
  - name: Ada's Bakery
    feed: https://adasbakery.example/blog.atom
  - name: No Feed
"""


def test_the_same_text_is_not_synced_twice(store):
    follow_list = parse_follow_list(BAD_AND_GOOD)
    store.sync_sources(follow_list)
    statements = []
    store.conn.set_trace_callback(statements.append)
    store.sync_sources(follow_list)
    store.conn.set_trace_callback(None)
    assert not [statement for statement in statements if "FROM sources" in statement or "UPDATE" in statement]

    store.sync_sources(parse_follow_list(BAD_AND_GOOD + "  - name: Bea\n    feed: https://bea.example/a.rss\n"))
    assert store.scalar("SELECT COUNT(*) FROM sources") == 2


def test_a_change_made_outside_a_sync_means_the_same_text_is_synced_again(store):
    follow_list = parse_follow_list(BAD_AND_GOOD)
    store.sync_sources(follow_list)
    store.execute("UPDATE sources SET url = 'https://elsewhere.example'")  # by hand, or by another program
    assert store.synced_problems(follow_list.digest) is None
    store.sync_sources(follow_list)
    assert store.scalar("SELECT url FROM sources") is None  # the file says none
    assert store.synced_problems(follow_list.digest) is not None

    store.execute("UPDATE feeds SET etag = 'x', last_status = 304")  # what refresh writes keeps it
    assert store.synced_problems(follow_list.digest) is not None
    store.execute("UPDATE feeds SET followed = 0")
    assert store.synced_problems(follow_list.digest) is None


def test_sync_follow_list_parses_only_a_changed_text(store, monkeypatch):
    first = sync_follow_list(store, BAD_AND_GOOD, file_name="mine.yml")
    assert [str(problem) for problem in first] == [
        "mine.yml line 4: `feed` is required: the URL of the source's RSS, Atom or JSON feed"
    ]

    def must_not_parse(*args, **kwargs):
        raise AssertionError("parsed an unchanged follow list")

    monkeypatch.setattr(follow_sync, "parse_follow_list", must_not_parse)
    assert sync_follow_list(store, BAD_AND_GOOD, file_name="mine.yml") == first
    with pytest.raises(AssertionError):  # another name is in the messages, so it counts as another text
        sync_follow_list(store, BAD_AND_GOOD, file_name="feeds.yml")
    with pytest.raises(AssertionError):
        sync_follow_list(store, BAD_AND_GOOD + "\n", file_name="mine.yml")


def test_a_follow_list_built_in_code_or_a_forgotten_source_means_the_next_text_is_synced(store, monkeypatch):
    sync_follow_list(store, BAD_AND_GOOD)
    store.sync_sources(_follow(BEA))  # no text behind it
    assert store.synced_problems(text_digest(BAD_AND_GOOD)) is None

    sync_follow_list(store, BAD_AND_GOOD)
    assert store.synced_problems(text_digest(BAD_AND_GOOD)) is not None
    store.forget_source(source_by_name(store, "Ada's Bakery").id, "forgotten source 1")
    assert store.synced_problems(text_digest(BAD_AND_GOOD)) is None
