import sqlite3

import pytest
from query_plans import read_plan

from amplify.store import Store, StoreError
from amplify.store.schema import MIGRATIONS


def test_new_database_is_migrated_to_the_latest_schema_in_wal_mode(tmp_path):
    with Store(tmp_path / "a.db") as store:
        assert store.schema_version == len(MIGRATIONS)
        assert store.scalar("PRAGMA journal_mode") == "wal"
        assert store.scalar("PRAGMA foreign_keys") == 1


def test_reopening_does_not_migrate_again(tmp_path):
    with Store(tmp_path / "a.db") as store:
        store.set_meta("kept", "yes")
        schema_cookie = store.scalar("PRAGMA schema_version")  # SQLite bumps it on every change of the schema
    with Store(tmp_path / "a.db") as store:
        assert store.schema_version == len(MIGRATIONS)
        assert store.scalar("PRAGMA schema_version") == schema_cookie
        assert store.get_meta("kept") == "yes"


def test_a_newer_schema_is_refused_with_a_clear_message(tmp_path):
    path = tmp_path / "a.db"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    conn.close()
    with pytest.raises(StoreError, match="newer amplify"):
        Store(path)


def test_a_file_that_is_not_a_database_is_refused(tmp_path):
    path = tmp_path / "notes.db"
    path.write_bytes(b"these are not the bytes of a database" * 100)
    with pytest.raises(StoreError, match="notes.db"):
        Store(path)


def test_a_failed_transaction_leaves_nothing_behind(store):
    with pytest.raises(RuntimeError), store.transaction():
        store.log_event("first")
        raise RuntimeError("boom")
    assert store.scalar("SELECT count(*) FROM events") == 0


def test_nested_transactions_join_the_outer_one(store):
    with pytest.raises(RuntimeError), store.transaction():
        with store.transaction():
            store.log_event("inner")
        raise RuntimeError("boom")
    assert store.scalar("SELECT count(*) FROM events") == 0


@pytest.mark.parametrize("statement", ["UPDATE events SET kind = 'x'", "DELETE FROM events"])
def test_events_are_append_only(store, statement):
    with store.transaction():
        store.log_event("queued", item_id=1)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        store.execute(statement)


def test_meta_round_trips(store):
    store.set_meta("last_refresh", "2026-11-20T09:30:00+00:00")
    store.set_meta("last_refresh", "2026-11-21T09:30:00+00:00")
    assert store.get_meta("last_refresh") == "2026-11-21T09:30:00+00:00"
    assert store.get_meta("missing") is None


@pytest.mark.parametrize("wording", [
    ("SEARCH TABLE items AS i USING INDEX items_state_sort (state=?)", "SCAN TABLE feeds AS f",
     "SCAN TABLE items_fts VIRTUAL TABLE INDEX 0:M1", "SEARCH TABLE shares USING COVERING INDEX shares_draft (x=?)"),
    ("SEARCH i USING INDEX items_state_sort (state=?)", "SCAN f",
     "SCAN items_fts VIRTUAL TABLE INDEX 0:M1", "SEARCH shares USING COVERING INDEX shares_draft (x=?)"),
], ids=["sqlite-3.35-and-before", "sqlite-3.36-and-after"])
def test_query_plans_read_the_same_in_every_sqlite_wording(wording):
    plan = read_plan(wording)
    assert plan.indexes == {"items_state_sort", "shares_draft"}
    assert plan.scanned & {"f", "feeds"} and not plan.scanned & {"i", "items", "shares"}
    assert plan.virtual
