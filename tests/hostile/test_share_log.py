"""The share log cannot be rewritten: UPDATE, DELETE and REPLACE are refused in the database itself, a dropped
trigger stops amplify writing, and `amplify verify` finds the first share that no longer matches its hash chain."""

import sqlite3

import pytest
import sqlite_utils
from audit_fixtures import add_share, add_source
from click.testing import CliRunner
from pages import open_page, use_files

from amplify.cli import cli
from amplify.store import Store, StoreError
from amplify.store.schema import MIGRATIONS, split_sql


@pytest.fixture
def logged(tmp_path):
    """A database with three shares of one source, each with its `share_recorded` event; closed."""
    path = tmp_path / "amplify.db"
    with Store(path) as store:
        source = add_source(store, "Ada Bakes")
        for day in (1, 2, 3):
            share_id = add_share(store, source, f"2026-11-0{day}T10:00:00+00:00")
            with store.transaction():
                store.log_event("share_recorded", share_id=share_id, source_id=source)
    return path


def other_program(path):
    """The file as any other SQLite program opens it: no amplify in between."""
    return sqlite3.connect(path, isolation_level=None)


def shares_in(path):
    conn = other_program(path)
    try:
        return conn.execute("SELECT id, text, shared_at FROM shares ORDER BY id").fetchall()
    finally:
        conn.close()


def verify(path):
    return CliRunner().invoke(cli, ["verify", "--db", str(path)])


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE shares SET text = 'rewritten' WHERE id = 2",
        "DELETE FROM shares WHERE id = 2",
        "INSERT OR REPLACE INTO shares (id, draft_id, item_id, source_id, network, text, shared_at, checklist)"
        " SELECT id, draft_id, item_id, source_id, network, 'rewritten', shared_at, checklist FROM shares WHERE id = 2",
        "REPLACE INTO shares (id, draft_id, item_id, source_id, network, text, shared_at, checklist, prev_hash,"
        " row_hash) SELECT id, draft_id, item_id, source_id, network, 'rewritten', shared_at, checklist, prev_hash,"
        " row_hash FROM shares WHERE id = 2",
        "INSERT INTO shares (id, draft_id, item_id, source_id, network, text, shared_at, checklist)"
        " SELECT 2, draft_id, item_id, source_id, network, 'x', shared_at, checklist FROM shares WHERE id = 2"
        " ON CONFLICT (id) DO UPDATE SET text = 'rewritten'",
    ],
    ids=["update", "delete", "insert-or-replace", "replace", "upsert"],
)
def test_another_program_cannot_change_a_share(logged, statement):
    before = shares_in(logged)
    conn = other_program(logged)
    with pytest.raises(sqlite3.IntegrityError, match="append-only|hash chain"):
        conn.execute(statement)
    conn.close()
    assert shares_in(logged) == before
    assert verify(logged).exit_code == 0


def test_sqlite_utils_replace_is_refused_too(logged):
    db = sqlite_utils.Database(logged)
    row = dict(next(db.query("SELECT * FROM shares WHERE id = 2")))
    with pytest.raises(sqlite3.IntegrityError):
        db["shares"].insert({**row, "text": "rewritten"}, replace=True)
    db.close()
    assert [text for _, text, _ in shares_in(logged)] == ["Read this by the creator"] * 3


def test_replace_into_events_is_refused(logged):
    conn = other_program(logged)
    first = conn.execute("SELECT id, at, kind, detail FROM events ORDER BY id LIMIT 1").fetchone()
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("REPLACE INTO events (id, at, kind, detail) VALUES (?, ?, 'nothing_happened', '{}')",
                     (first[0], first[1]))
    assert conn.execute("SELECT id, at, kind, detail FROM events WHERE id = ?", (first[0],)).fetchone() == first
    conn.close()


def test_an_insert_that_does_not_extend_the_chain_is_refused(logged):
    conn = other_program(logged)
    with pytest.raises(sqlite3.IntegrityError, match="hash chain"):
        conn.execute("INSERT INTO shares (draft_id, item_id, source_id, network, text, shared_at, checklist)"
                     " VALUES (1, 1, 1, 'mastodon', 'slipped in', '2026-11-04T10:00:00+00:00', '{}')")
    conn.close()
    assert len(shares_in(logged)) == 3


@pytest.mark.parametrize("trigger", ["shares_no_update", "shares_no_delete", "shares_no_replace", "shares_chain",
                                     "events_no_update", "events_no_delete", "events_no_replace"])
def test_a_dropped_trigger_stops_every_write_but_not_reading(logged, trigger):
    conn = other_program(logged)
    conn.execute(f"DROP TRIGGER {trigger}")
    conn.close()
    with Store(logged) as store:
        assert store.write_refusal is not None and trigger in store.write_refusal
        with pytest.raises(StoreError, match=f"{trigger}.*removed.*will not write"), store.transaction():
            store.log_event("anything")
        assert store.scalar("SELECT count(*) FROM shares") == 3  # reading still works
    exported = CliRunner().invoke(cli, ["export", "shares", "--db", str(logged)])
    assert exported.exit_code == 0 and exported.output.count("Read this by the creator") == 3
    result = verify(logged)
    assert result.exit_code == 1
    assert trigger in result.output and "All is well" in result.output  # the shares themselves still match
    assert "Traceback" not in result.output


def test_the_app_says_it_will_not_write_when_a_trigger_is_gone(logged, tmp_path, monkeypatch):
    conn = other_program(logged)
    conn.execute("DROP TRIGGER shares_no_delete")
    conn.close()
    use_files(monkeypatch, logged, tmp_path / "feeds.yml")
    page = open_page("audit")  # fails on any exception: reading works
    shown = [error.value.replace("\\", "") for error in page.error]  # as Markdown: `_` escaped
    assert any("shares_no_delete" in text and "will not write" in text for text in shown)


def test_a_trigger_swapped_for_a_harmless_one_of_the_same_name_is_caught(logged):
    conn = other_program(logged)
    conn.execute("DROP TRIGGER shares_no_update")
    conn.execute("CREATE TRIGGER shares_no_update BEFORE UPDATE ON shares BEGIN SELECT 1; END")
    conn.close()
    with Store(logged) as store:
        assert store.write_refusal is not None and "shares_no_update" in store.write_refusal
    result = verify(logged)
    assert result.exit_code == 1 and "removed or changed" in result.output


def test_verify_says_all_is_well_when_every_share_matches(logged):
    result = verify(logged)
    assert result.exit_code == 0, result.output
    assert "All is well" in result.output and "3 shares" in result.output


def _rewrite(path, statement):
    """What someone who removes the trigger, edits and puts the trigger back leaves behind."""
    conn = other_program(path)
    conn.execute("BEGIN")
    sql = {name: text for name, text in conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")}
    for name in ("shares_no_update", "shares_no_delete"):
        conn.execute(f"DROP TRIGGER {name}")
    conn.execute(statement)
    for name in ("shares_no_update", "shares_no_delete"):
        conn.execute(sql[name])
    conn.execute("COMMIT")
    conn.close()


@pytest.mark.parametrize(
    ("statement", "first_bad", "why"),
    [
        ("UPDATE shares SET text = 'I never said this' WHERE id = 2", 2, "changed"),
        ("UPDATE shares SET shared_at = '2026-10-01T10:00:00+00:00' WHERE id = 1", 1, "changed"),
        ("DELETE FROM shares WHERE id = 2", 2, "removed"),
        ("DELETE FROM shares WHERE id = 3", 3, "gone"),
    ],
    ids=["text", "date", "middle-row", "last-row"],
)
def test_verify_reports_the_first_share_that_does_not_match(logged, statement, first_bad, why):
    _rewrite(logged, statement)
    result = verify(logged)
    assert result.exit_code == 1
    assert f"Share {first_bad} does not match" in result.output and why in result.output
    assert "All is well" not in result.output


def test_verify_sees_a_share_whose_hash_was_recomputed_too(logged):
    """Rewriting a row and its own hash still breaks the next row's link to it."""
    from amplify.store.schema import share_hash

    conn = other_program(logged)
    conn.row_factory = sqlite3.Row
    row = dict(conn.execute("SELECT * FROM shares WHERE id = 2").fetchone())
    row["text"] = "I never said this"
    conn.close()
    _rewrite(logged, f"UPDATE shares SET text = 'I never said this', row_hash = '{share_hash(row['prev_hash'], row)}'"
                     " WHERE id = 2")
    result = verify(logged)
    assert result.exit_code == 1 and "Share 3 does not match" in result.output


def database_before_the_chain(path) -> None:
    """A database as amplify wrote it before the hash chain (schema 2), with two shares; WAL, closed."""
    conn = other_program(path)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("BEGIN")
    for migration in MIGRATIONS[:2]:
        for statement in split_sql(migration):
            conn.execute(statement)
    conn.execute("PRAGMA user_version = 2")
    conn.execute("INSERT INTO sources (id, name, created_at, updated_at) VALUES (1, 'Ada', 'x', 'x')")
    conn.execute("INSERT INTO items (id, source_id, entry_key, title, first_seen_at, sort_at)"
                 " VALUES (1, 1, 'k', 'A post', 'x', 'x')")
    conn.execute("INSERT INTO drafts (id, item_id, created_at, updated_at) VALUES (1, 1, 'x', 'x')")
    for number in (1, 2):
        conn.execute("INSERT INTO shares (draft_id, item_id, source_id, network, text, shared_at, checklist)"
                     " VALUES (1, 1, 1, 'mastodon', ?, ?, '{}')", (f"share {number}", f"2026-11-0{number}"))
    conn.execute("COMMIT")
    conn.close()


def test_the_upgrade_hashes_shares_recorded_before_the_chain(tmp_path):
    path = tmp_path / "old.db"
    database_before_the_chain(path)
    with Store(path) as store:
        hashes = store.rows("SELECT prev_hash, row_hash FROM shares ORDER BY id")
        assert hashes[0]["prev_hash"] is None and hashes[1]["prev_hash"] == hashes[0]["row_hash"]
        assert all(row["row_hash"] for row in hashes)
        assert store.verify_share_log() is None
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            store.execute("UPDATE shares SET text = 'x'")



@pytest.mark.parametrize("table", ["items", "sources", "drafts"])
def test_verify_sees_a_share_hidden_by_removing_what_it_belongs_to(logged, table):
    """Another program enforces no foreign keys by default: removing a share's item, source or draft hides the
    share from History and the export (they join them), so verify must report it."""
    column = {"items": "item_id", "sources": "source_id", "drafts": "draft_id"}[table]
    conn = other_program(logged)
    conn.execute(f"DELETE FROM {table} WHERE id = (SELECT {column} FROM shares WHERE id = 2)")
    conn.close()
    result = verify(logged)
    assert result.exit_code == 1, result.output
    first = 1 if table == "sources" else 2  # the three shares have one source
    assert f"Share {first} " in result.output and f"its {table[:-1]} was removed" in result.output
    assert "All is well" not in result.output


def test_verify_reports_a_share_with_bytes_where_text_belongs(logged):
    """A row no amplify writes (a blob for its words), slipped in at the end: reported, not a traceback."""
    conn = other_program(logged)
    conn.execute(
        "INSERT INTO shares (id, draft_id, item_id, source_id, network, text, shared_at, checklist, prev_hash,"
        " row_hash)"
        " SELECT 4, draft_id, item_id, source_id, network, X'00ff', shared_at, checklist,"
        " (SELECT row_hash FROM shares WHERE id = 3), 'made up' FROM shares WHERE id = 3"
    )
    conn.close()
    result = verify(logged)
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.exception
    assert "Share 4 does not match" in result.output and "changed" in result.output


@pytest.mark.parametrize(
    ("statements", "said"),
    [
        (["DROP TRIGGER shares_chain",
          "INSERT INTO shares (id, draft_id, item_id, source_id, network, text, shared_at, checklist, prev_hash,"
          " row_hash) SELECT 4, draft_id, item_id, source_id, network, CAST(X'ff' AS TEXT), shared_at, checklist,"
          " (SELECT row_hash FROM shares WHERE id = 3), 'made up' FROM shares WHERE id = 3"],
         "Share 4 does not match"),
        (["ALTER TABLE shares RENAME COLUMN text TO words"], "the shares table was changed outside amplify"),
    ],
    ids=["text-that-is-not-utf8", "renamed-column"],
)
def test_verify_reports_a_tampered_table_without_a_traceback(logged, statements, said):
    conn = other_program(logged)
    for statement in statements:
        conn.execute(statement)
    conn.close()
    result = verify(logged)
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.exception
    assert said in result.output and "All is well" not in result.output


def test_verify_of_a_file_that_is_not_there_says_so_and_creates_nothing(tmp_path):
    """A mistyped --db must not read as "All is well"."""
    result = verify(tmp_path / "amplfy.db")
    assert result.exit_code == 1 and "All is well" not in result.output
    assert "no database" in result.output
    assert list(tmp_path.iterdir()) == []
