import sqlite3

import pytest

from amplify.store import Store, StoreError
from amplify.store.schema import MIGRATIONS


def test_new_database_is_migrated_to_the_latest_schema_in_wal_mode(tmp_path):
    with Store(tmp_path / "a.db") as store:
        assert store.schema_version == len(MIGRATIONS)
        assert store.scalar("PRAGMA journal_mode") == "wal"
        assert store.scalar("PRAGMA foreign_keys") == 1


def test_reopening_does_not_migrate_again(tmp_path):
    Store(tmp_path / "a.db").close()
    with Store(tmp_path / "a.db") as store:
        assert store.schema_version == len(MIGRATIONS)


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

