"""The search index (`items_fts`) holds exactly the stored items, with their current text: after a refresh, an edit
of an item by its feed, a delete, a crash in the middle of a batch, and an upgrade from a schema whose trigger
indexed a row at a time. New items enter it a transaction at a time (`Store.adding_items`)."""

import sqlite3

import pytest
from test_refresh import follow, rss

import amplify.store.base
from amplify.refresh import refresh
from amplify.store import Store
from amplify.store.review import ReviewFilters
from amplify.store.schema import MIGRATIONS
from amplify.types import Entry, FeedUpdate


def found(store: Store, words: str) -> list[str]:
    return sorted(item.title for item in store.today(filters=ReviewFilters(search=words)).items)


def assert_index_matches_items(store: Store) -> None:
    """The same rowids in the index as in `items`, and FTS5's own check of every indexed term against them."""
    indexed = [row[0] for row in store.execute("SELECT id FROM items_fts_docsize ORDER BY id")]
    assert indexed == [row[0] for row in store.execute("SELECT id FROM items ORDER BY id")]
    store.execute("INSERT INTO items_fts(items_fts, rank) VALUES ('integrity-check', 1)")


def entry(key: str, title: str) -> Entry:
    return Entry(key=key, url=f"https://ada.example/{key}", title=title, title_is_derived=False, author="Ada",
                 published_at="2026-11-01T10:00:00+00:00", updated_at=None, summary=f"About {title}",
                 content_html="", image_url=None, image_alt=None)


@pytest.fixture
def db(tmp_path):
    opened = Store(tmp_path / "amplify.db")
    yield opened
    opened.close()


def feed_ids(db: Store) -> list[tuple[int, int]]:
    return [(row["id"], row["source_id"]) for row in db.rows("SELECT id, source_id FROM feeds ORDER BY id")]


def test_search_finds_what_a_refresh_just_stored(server, db):
    server.route("/ada.xml", rss("Sourdough starter", "Rye loaf"))
    refresh(db, follow(("Ada", server.url("/ada.xml"))))
    assert found(db, "sourdough") == ["Sourdough starter"]
    assert found(db, "loaf") == ["Rye loaf"]
    assert_index_matches_items(db)


def test_search_follows_a_feed_that_edits_an_item(server, db):
    follow_list = follow(("Ada", server.url("/ada.xml")))
    server.route("/ada.xml", rss("Sourdough starter", "Rye loaf"))
    refresh(db, follow_list)
    server.route("/ada.xml", rss("Focaccia starter", "Rye loaf", "Pie crust"))
    refresh(db, follow_list)
    assert found(db, "sourdough") == []
    assert found(db, "focaccia") == ["Focaccia starter"]
    assert found(db, "crust") == ["Pie crust"]
    assert_index_matches_items(db)


def test_a_deleted_item_leaves_the_index(server, db):
    server.route("/ada.xml", rss("Sourdough starter", "Rye loaf"))
    refresh(db, follow(("Ada", server.url("/ada.xml"))))
    with db.transaction():
        db.execute("DELETE FROM items WHERE title = 'Rye loaf'")
    assert found(db, "loaf") == []
    assert found(db, "starter") == ["Sourdough starter"]
    assert_index_matches_items(db)


def test_a_crash_in_the_middle_of_a_batch_leaves_items_and_index_alike(db, monkeypatch):
    db.sync_sources(follow(("Ada", "https://ada.example/a.xml"),
                           ("Bea", ["https://bea.example/b.xml", "https://bea.example/c.xml"])))
    (first, ada), (second, bea), (third, _) = feed_ids(db)
    db.apply_feed_updates([FeedUpdate(first, ada, 200, entries=(entry("a", "Sourdough starter"),))])
    original = Store._store_entries
    rounds = []

    def crash_in_the_second_round(self, updates, now):
        rounds.append(original(self, updates, now))  # written; the first round is indexed when the second starts
        if len(rounds) == 2:
            raise RuntimeError("killed mid-batch")
        return rounds[-1]

    monkeypatch.setattr(Store, "_store_entries", crash_in_the_second_round)
    with pytest.raises(RuntimeError):
        db.apply_feed_updates([FeedUpdate(second, bea, 200, entries=(entry("b", "Pie crust"),)),
                               FeedUpdate(third, bea, 200, entries=(entry("c", "Pie filling"),))])
    assert rounds == [[1], [1]]
    assert db.scalar("SELECT COUNT(*) FROM items") == 1
    assert found(db, "pie") == []
    assert found(db, "sourdough") == ["Sourdough starter"]
    assert_index_matches_items(db)


def test_two_feeds_of_one_source_listing_one_entry_in_a_batch(db):
    db.sync_sources(follow(("Ada", ["https://ada.example/a.xml", "https://ada.example/b.xml"])))
    (a_feed, source), (b_feed, _) = feed_ids(db)
    new = db.apply_feed_updates([
        FeedUpdate(a_feed, source, 200, entries=(entry("same", "Sourdough starter"), entry("a", "Rye loaf"))),
        FeedUpdate(b_feed, source, 200, entries=(entry("same", "Focaccia starter"), entry("b", "Pie crust"))),
    ])
    assert new == [2, 1]
    assert found(db, "starter") == ["Focaccia starter"]
    assert found(db, "sourdough") == []
    assert found(db, "loaf") == ["Rye loaf"] and found(db, "crust") == ["Pie crust"]
    assert_index_matches_items(db)


def test_an_entry_listed_twice_in_one_update_keeps_its_first_appearance(db):
    db.sync_sources(follow(("Ada", "https://ada.example/a.xml")))
    [(feed, source)] = feed_ids(db)
    entries = (entry("x", "Sourdough starter"), entry("y", "Rye loaf"), entry("x", "Focaccia starter"))
    assert db.apply_feed_updates([FeedUpdate(feed, source, 200, entries=entries)]) == [2]
    assert [row["title"] for row in db.rows("SELECT title FROM items ORDER BY id")] == [
        "Sourdough starter", "Rye loaf"]
    assert found(db, "starter") == ["Sourdough starter"]
    assert_index_matches_items(db)


def test_an_item_inserted_by_another_program_is_found_after_a_rebuild(db, tmp_path):
    db.sync_sources(follow(("Ada", "https://ada.example/a.xml")))
    other = sqlite3.connect(tmp_path / "amplify.db", isolation_level=None)
    other.execute("INSERT INTO items (source_id, entry_key, title, first_seen_at, sort_at)"
                  " VALUES (1, 'k', 'Sourdough starter', 'x', 'x')")
    assert found(db, "sourdough") == []
    with pytest.raises(sqlite3.DatabaseError):  # the check the other tests lean on sees an item left out
        db.conn.execute("INSERT INTO items_fts(items_fts, rank) VALUES ('integrity-check', 1)")
    other.execute("INSERT INTO items_fts(items_fts) VALUES ('rebuild')")  # as docs/database.md says
    other.close()
    assert found(db, "sourdough") == ["Sourdough starter"]
    assert_index_matches_items(db)


def test_the_upgrade_keeps_what_the_old_trigger_indexed(server, tmp_path, monkeypatch):
    path = tmp_path / "old.db"
    server.route("/ada.xml", rss("Sourdough starter"))
    follow_list = follow(("Ada", server.url("/ada.xml")))
    monkeypatch.setattr(amplify.store.base, "MIGRATIONS", MIGRATIONS[:-1])
    with Store(path) as old:
        old.sync_sources(follow_list)
        with old.transaction():  # as an amplify of that schema stored items: its trigger indexed them
            old.execute("INSERT INTO items (source_id, entry_key, title, first_seen_at, sort_at)"
                        " VALUES (1, 'old', 'Rye loaf', 'x', 'x')")
    monkeypatch.undo()
    with Store(path) as store:
        assert store.schema_version == len(MIGRATIONS)
        assert store.scalar("SELECT COUNT(*) FROM sqlite_master WHERE name = 'items_fts_ai'") == 0
        refresh(store, follow_list)
        assert found(store, "loaf") == ["Rye loaf"]
        assert found(store, "sourdough") == ["Sourdough starter"]
        assert_index_matches_items(store)


def test_a_feed_longer_than_one_statement_takes_is_stored_whole_and_in_order(db):
    db.sync_sources(follow(("Ada", "https://ada.example/a.xml")))
    [(feed, source)] = feed_ids(db)
    entries = tuple(entry(f"k{n}", f"Loaf number{n}") for n in range(150))
    assert db.apply_feed_updates([FeedUpdate(feed, source, 200, entries=entries)]) == [150]
    assert [row["entry_key"] for row in db.rows("SELECT entry_key FROM items ORDER BY id")] == [
        f"k{n}" for n in range(150)]
    assert found(db, "number149") == ["Loaf number149"]
    assert db.today(filters=ReviewFilters(search="loaf")).total == 150
    assert_index_matches_items(db)
