"""The database schema, as numbered migrations.

Each migration is plain SQL, applied once, in order, inside one transaction; `PRAGMA user_version` records how far a
database has come. A migration that must compute something SQLite cannot (a SHA-256) is a list of SQL and Python
steps. Never edit a migration that has shipped: add the next one. docs/database.md documents every table, column
and trigger.
"""

import hashlib
import json
import sqlite3
from collections.abc import Callable, Mapping
from typing import Any

# The columns of a share its `row_hash` covers, in this order, after the previous row's hash.
SHARE_HASHED_COLUMNS = (
    "id", "draft_id", "item_id", "source_id", "network", "text", "post_url", "shared_at", "checklist",
)


def share_hash(previous: str | None, row: Mapping[str, Any]) -> str:
    """The `row_hash` of a share: SHA-256 of a JSON array of the previous row's hash ("" for the first row) and
    the row's own columns, so changing any share, or removing one, breaks every hash after it."""
    values = [previous or "", *(row[column] for column in SHARE_HASHED_COLUMNS)]
    payload = json.dumps(values, ensure_ascii=False, separators=(",", ":"), default=_blob)
    return hashlib.sha256(payload.encode("utf-8", "surrogatepass")).hexdigest()


def _blob(value: Any) -> Any:
    """How a BLOB (which amplify never writes to a share, but another program can) enters the hash: as its hex
    digits, so a row holding one is hashed, and reported as not matching, instead of stopping the check."""
    if isinstance(value, bytes):
        return {"blob": value.hex()}
    raise TypeError(f"a share cannot hold {type(value).__name__}")


def _chain_existing_shares(conn: sqlite3.Connection) -> None:
    """Migration 3's Python step: hash the shares recorded before the chain existed, oldest first."""
    previous: str | None = None
    updates = []
    for row in conn.execute(f"SELECT {', '.join(SHARE_HASHED_COLUMNS)} FROM shares ORDER BY id"):
        current = share_hash(previous, dict(zip(SHARE_HASHED_COLUMNS, row, strict=True)))
        updates.append((previous, current, row[0]))
        previous = current
    conn.executemany("UPDATE shares SET prev_hash = ?, row_hash = ? WHERE id = ?", updates)


# REPLACE deletes the row it replaces without firing a DELETE trigger (unless recursive_triggers is on).
_NO_REPLACE = """
CREATE TRIGGER {table}_no_replace BEFORE INSERT ON {table} WHEN EXISTS (SELECT 1 FROM {table} WHERE id = new.id)
BEGIN SELECT RAISE(ABORT, '{table} is append-only: a row with this id exists; append a new row instead'); END;
"""

# An append-only table's triggers against UPDATE and DELETE; `instead` says what to do.
_NO_CHANGE = """
CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} BEGIN
    SELECT RAISE(ABORT, '{table} is append-only: {instead}');
END;
CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} BEGIN
    SELECT RAISE(ABORT, '{table} is append-only: {instead}');
END;
"""

Step = str | Callable[[sqlite3.Connection], None]

# Reach: one row per reading of a share's public counts, appended and never changed (docs/database.md).
_REACH_TABLE = """
    CREATE TABLE reach (
        id INTEGER PRIMARY KEY,
        share_id INTEGER NOT NULL REFERENCES shares(id),
        taken_at TEXT NOT NULL,
        reposts INTEGER,
        likes INTEGER,
        replies INTEGER,
        quotes INTEGER,
        source TEXT NOT NULL CHECK (source IN ('api', 'typed')),
        deleted INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
        post_ref TEXT
    );
    CREATE INDEX reach_share ON reach(share_id, id);
""" + _NO_CHANGE.format(table="reach", instead="take a new snapshot instead") + """
    -- A reading that failed (an instance that keeps its numbers private, a handle no account has, a server that
    -- answered without numbers): when and why, so a share that cannot be read is not asked for again and again.
    CREATE TABLE reach_failures (
        id INTEGER PRIMARY KEY,
        share_id INTEGER NOT NULL REFERENCES shares(id),
        tried_at TEXT NOT NULL,
        reason TEXT NOT NULL
    );
    CREATE INDEX reach_failures_share ON reach_failures(share_id, id);
""" + _NO_CHANGE.format(table="reach_failures", instead="record a new attempt instead") \
    + _NO_REPLACE.format(table="reach") + _NO_REPLACE.format(table="reach_failures")

MIGRATIONS: list[str | list[Step]] = [
    # 1: the whole first schema.
    """
    CREATE TABLE sources (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        url TEXT,
        kind TEXT NOT NULL DEFAULT 'creator',
        tags TEXT NOT NULL DEFAULT '[]',
        handles TEXT NOT NULL DEFAULT '{}',
        domains TEXT NOT NULL DEFAULT '[]',
        identity_labels TEXT NOT NULL DEFAULT '[]',
        identity_source TEXT,
        credit TEXT NOT NULL DEFAULT 'tag',
        notes TEXT,
        followed INTEGER NOT NULL DEFAULT 1,
        forgotten INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );

    CREATE TABLE feeds (
        id INTEGER PRIMARY KEY,
        url TEXT NOT NULL UNIQUE,
        source_id INTEGER NOT NULL REFERENCES sources(id),
        title TEXT,
        etag TEXT,
        last_modified TEXT,
        body_hash TEXT,
        last_status INTEGER,
        last_error TEXT,
        error_count INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT,
        last_fetched_at TEXT,
        last_success_at TEXT,
        moved_to TEXT,
        followed INTEGER NOT NULL DEFAULT 1
    );
    CREATE INDEX feeds_source ON feeds(source_id);

    CREATE TABLE items (
        id INTEGER PRIMARY KEY,
        source_id INTEGER NOT NULL REFERENCES sources(id),
        feed_id INTEGER REFERENCES feeds(id),
        entry_key TEXT NOT NULL,
        url TEXT,
        title TEXT NOT NULL,
        title_is_derived INTEGER NOT NULL DEFAULT 0,
        author TEXT,
        published_at TEXT,
        updated_at TEXT,
        summary TEXT NOT NULL DEFAULT '',
        content_html TEXT NOT NULL DEFAULT '',
        image_url TEXT,
        image_alt TEXT,
        first_seen_at TEXT NOT NULL,
        sort_at TEXT NOT NULL,
        state TEXT NOT NULL DEFAULT 'new'
            CHECK (state IN ('new', 'queued', 'skipped', 'later', 'shared')),
        state_changed_at TEXT,
        UNIQUE (source_id, entry_key)
    );
    -- source_id last: Today's source filters are checked inside the index while it is read in date order.
    CREATE INDEX items_state_sort ON items(state, sort_at DESC, id DESC, source_id);
    -- Counting what Today's source filters match, and the state counts, without reading item rows.
    CREATE INDEX items_state_source ON items(state, source_id);
    CREATE INDEX items_source_sort ON items(source_id, sort_at DESC, id DESC);

    CREATE VIRTUAL TABLE items_fts USING fts5(
        title, summary, author, content='items', content_rowid='id', tokenize='unicode61 remove_diacritics 2'
    );
    CREATE TRIGGER items_fts_ai AFTER INSERT ON items BEGIN
        INSERT INTO items_fts(rowid, title, summary, author) VALUES (new.id, new.title, new.summary, new.author);
    END;
    CREATE TRIGGER items_fts_ad AFTER DELETE ON items BEGIN
        INSERT INTO items_fts(items_fts, rowid, title, summary, author)
            VALUES ('delete', old.id, old.title, old.summary, old.author);
    END;
    CREATE TRIGGER items_fts_au AFTER UPDATE OF title, summary, author ON items BEGIN
        INSERT INTO items_fts(items_fts, rowid, title, summary, author)
            VALUES ('delete', old.id, old.title, old.summary, old.author);
        INSERT INTO items_fts(rowid, title, summary, author) VALUES (new.id, new.title, new.summary, new.author);
    END;

    CREATE TABLE drafts (
        id INTEGER PRIMARY KEY,
        item_id INTEGER NOT NULL REFERENCES items(id),
        position INTEGER NOT NULL DEFAULT 0,
        state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'shared', 'discarded')),
        alt_text TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX drafts_state_position ON drafts(state, position);
    CREATE INDEX drafts_item ON drafts(item_id);

    CREATE TABLE draft_posts (
        draft_id INTEGER NOT NULL REFERENCES drafts(id),
        network TEXT NOT NULL,
        template TEXT,
        text TEXT NOT NULL DEFAULT '',
        version INTEGER NOT NULL DEFAULT 1,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (draft_id, network)
    );

    CREATE TABLE attestations (
        id INTEGER PRIMARY KEY,
        draft_id INTEGER NOT NULL REFERENCES drafts(id),
        network TEXT NOT NULL,
        check_id TEXT NOT NULL,
        text_version INTEGER NOT NULL,
        attested_at TEXT NOT NULL,
        UNIQUE (draft_id, network, check_id, text_version)
    );

    CREATE TABLE link_probes (
        url TEXT PRIMARY KEY,
        ok INTEGER NOT NULL,
        status INTEGER,
        final_url TEXT,
        redirects INTEGER NOT NULL DEFAULT 0,
        error TEXT,
        checked_at TEXT NOT NULL
    );

    CREATE TABLE shares (
        id INTEGER PRIMARY KEY,
        draft_id INTEGER NOT NULL REFERENCES drafts(id),
        item_id INTEGER NOT NULL REFERENCES items(id),
        source_id INTEGER NOT NULL REFERENCES sources(id),
        network TEXT NOT NULL,
        text TEXT NOT NULL,
        post_url TEXT,
        shared_at TEXT NOT NULL,
        checklist TEXT NOT NULL
    );
    -- With source_id, the audit reads a window's shares from the index alone (the rows carry big snapshots).
    CREATE INDEX shares_shared_at ON shares(shared_at, source_id);
    CREATE INDEX shares_source ON shares(source_id, shared_at);
    -- The gate and the Queue ask, per draft, which networks already have a share.
    CREATE INDEX shares_draft ON shares(draft_id, network);
    CREATE TRIGGER shares_no_update BEFORE UPDATE ON shares BEGIN
        SELECT RAISE(ABORT, 'shares is append-only: record a retraction event instead');
    END;
    CREATE TRIGGER shares_no_delete BEFORE DELETE ON shares BEGIN
        SELECT RAISE(ABORT, 'shares is append-only: record a retraction event instead');
    END;

    -- The checks a share's snapshot records as not passed (advisory flags), filled from `shares.checklist` as
    -- each share is inserted, so the audit's checklist health never parses every snapshot again.
    CREATE TABLE share_flags (
        share_id INTEGER NOT NULL REFERENCES shares(id),
        check_id TEXT NOT NULL,
        label TEXT,
        PRIMARY KEY (share_id, check_id)
    ) WITHOUT ROWID;
    CREATE TRIGGER shares_flags_ai AFTER INSERT ON shares BEGIN
        INSERT OR IGNORE INTO share_flags (share_id, check_id, label)
        SELECT new.id, json_extract(c.value, '$.id'), json_extract(c.value, '$.label')
        FROM json_each(CASE WHEN json_valid(new.checklist) THEN new.checklist ELSE '{}' END, '$.checks') AS c
        WHERE c.type = 'object' AND json_extract(c.value, '$.id') IS NOT NULL
            AND NOT coalesce(json_extract(c.value, '$.passed'), 0);
    END;

    CREATE TABLE events (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        kind TEXT NOT NULL,
        source_id INTEGER,
        item_id INTEGER,
        draft_id INTEGER,
        share_id INTEGER,
        detail TEXT NOT NULL DEFAULT '{}'
    );
    CREATE INDEX events_kind_at ON events(kind, at);
    CREATE INDEX events_share ON events(share_id) WHERE share_id IS NOT NULL;
    CREATE TRIGGER events_no_update BEFORE UPDATE ON events BEGIN
        SELECT RAISE(ABORT, 'events is append-only');
    END;
    CREATE TRIGGER events_no_delete BEFORE DELETE ON events BEGIN
        SELECT RAISE(ABORT, 'events is append-only');
    END;

    CREATE TABLE meta (
        key TEXT PRIMARY KEY,
        value TEXT
    );
    """,
    # 2: whatever changes whom the tables follow, other than a sync (which writes the key again last), makes them
    # forget which feeds.yml text they match, so that text is synced again. Refresh's own writes to feeds (HTTP
    # state) leave it.
    """
    CREATE TRIGGER sources_unsynced_ai AFTER INSERT ON sources
        BEGIN DELETE FROM meta WHERE key = 'follow_list_synced'; END;
    CREATE TRIGGER sources_unsynced_au AFTER UPDATE ON sources
        BEGIN DELETE FROM meta WHERE key = 'follow_list_synced'; END;
    CREATE TRIGGER sources_unsynced_ad AFTER DELETE ON sources
        BEGIN DELETE FROM meta WHERE key = 'follow_list_synced'; END;
    CREATE TRIGGER feeds_unsynced_ai AFTER INSERT ON feeds
        BEGIN DELETE FROM meta WHERE key = 'follow_list_synced'; END;
    CREATE TRIGGER feeds_unsynced_au AFTER UPDATE OF url, source_id, followed ON feeds
        BEGIN DELETE FROM meta WHERE key = 'follow_list_synced'; END;
    CREATE TRIGGER feeds_unsynced_ad AFTER DELETE ON feeds
        BEGIN DELETE FROM meta WHERE key = 'follow_list_synced'; END;
    """,
    # 3: the share log cannot be rewritten. REPLACE deletes the old row without firing a DELETE trigger (unless
    # recursive_triggers is on), so an insert whose id exists is refused; and `shares` becomes a hash chain, its
    # rows before this migration hashed in place (with the UPDATE trigger out of the way for that moment only).
    [
        """
        ALTER TABLE shares ADD COLUMN prev_hash TEXT;
        ALTER TABLE shares ADD COLUMN row_hash TEXT;
        DROP TRIGGER shares_no_update;
        """,
        _chain_existing_shares,
        """
        CREATE TRIGGER shares_no_update BEFORE UPDATE ON shares BEGIN
            SELECT RAISE(ABORT, 'shares is append-only: record a retraction event instead');
        END;
        """ + _NO_REPLACE.format(table="shares") + """
        CREATE TRIGGER shares_chain BEFORE INSERT ON shares
            WHEN new.row_hash IS NULL
                OR new.id <= coalesce((SELECT max(id) FROM shares), 0)
                OR new.prev_hash IS NOT (SELECT row_hash FROM shares ORDER BY id DESC LIMIT 1) BEGIN
            SELECT RAISE(ABORT, 'shares is a hash chain: a share is appended after the last one, with its hashes');
        END;
        """ + _NO_REPLACE.format(table="events") + """
        """,
    ],
    # 4: importing a follow list from Mastodon or Bluesky, page by page, so a half-finished import can go on where it
    # stopped. The accounts fetched wait here until the user chooses whom to follow; no token is ever stored.
    """
    CREATE TABLE follow_imports (
        id INTEGER PRIMARY KEY,
        network TEXT NOT NULL CHECK (network IN ('mastodon', 'bluesky')),
        account TEXT NOT NULL,
        server TEXT NOT NULL,
        account_id TEXT,
        expected INTEGER,
        next_page TEXT,
        state TEXT NOT NULL DEFAULT 'fetching' CHECK (state IN ('fetching', 'fetched')),
        fetched INTEGER NOT NULL DEFAULT 0,
        note TEXT,
        started_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        UNIQUE (network, account, server)
    );

    CREATE TABLE follow_import_accounts (
        import_id INTEGER NOT NULL REFERENCES follow_imports(id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        handle TEXT NOT NULL,
        name TEXT NOT NULL,
        bio TEXT NOT NULL DEFAULT '',
        avatar_url TEXT,
        feed_url TEXT NOT NULL,
        profile_url TEXT,
        website TEXT,
        website_verified INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (import_id, handle)
    ) WITHOUT ROWID;
    """,
    # 5: a digest of the markup each entry came from, so an entry a feed sends again unchanged is not cleaned again;
    # and the search index is rewritten only when an indexed field changed, not whenever the upsert sets one (a
    # digest filled in, or an edit of the HTML alone).
    """
    ALTER TABLE items ADD COLUMN markup_digest TEXT;
    DROP TRIGGER items_fts_au;
    CREATE TRIGGER items_fts_au AFTER UPDATE OF title, summary, author ON items
    WHEN old.title IS NOT new.title OR old.summary IS NOT new.summary OR old.author IS NOT new.author BEGIN
        INSERT INTO items_fts(items_fts, rowid, title, summary, author)
            VALUES ('delete', old.id, old.title, old.summary, old.author);
        INSERT INTO items_fts(rowid, title, summary, author) VALUES (new.id, new.title, new.summary, new.author);
    END;
    """,
    # Reach snapshots: what each share reached, read from the networks' public counts or typed by hand.
    _REACH_TABLE,
    # The accounts migration: the Mastodon and Bluesky accounts the user connected, one a network, without their
    # secrets (amplify.secrets keeps those outside the database), with the Mastodon server's rules for a post.
    """
    CREATE TABLE accounts (
        network TEXT PRIMARY KEY,
        server TEXT NOT NULL,
        handle TEXT NOT NULL,
        did TEXT,
        account_id TEXT,
        display_name TEXT NOT NULL DEFAULT '',
        connected_at TEXT NOT NULL,
        rules TEXT,
        rules_checked_at TEXT,
        secret_from TEXT NOT NULL DEFAULT 'kept' CHECK (secret_from IN ('kept', 'environment'))
    );
    """,
    # The outbox: each attempt to post a draft to Mastodon or Bluesky, with the key that makes a retry safe, stored
    # before the network is called. At most one attempt per draft and network is open (scheduled, pending or sent).
    """
    CREATE TABLE outbox (
        id INTEGER PRIMARY KEY,
        draft_id INTEGER NOT NULL REFERENCES drafts(id),
        network TEXT NOT NULL CHECK (network IN ('mastodon', 'bluesky')),
        text_version INTEGER NOT NULL,
        text TEXT NOT NULL,
        key TEXT NOT NULL UNIQUE,
        state TEXT NOT NULL CHECK (state IN ('scheduled', 'pending', 'sent', 'recorded', 'failed')),
        account TEXT,
        checklist TEXT NOT NULL,
        claimed_by TEXT,
        claimed_at TEXT,
        scheduled_for TEXT,
        post_id TEXT,
        post_url TEXT,
        share_id INTEGER REFERENCES shares(id),
        error TEXT,
        created_at TEXT NOT NULL,
        attempted_at TEXT,
        updated_at TEXT NOT NULL
    );
    CREATE UNIQUE INDEX outbox_open ON outbox(draft_id, network) WHERE state IN ('scheduled', 'pending', 'sent');
    CREATE INDEX outbox_state ON outbox(state, scheduled_for);
    """,
    # New items enter the search index a transaction at a time, in one statement, from whatever inserts them
    # (`Store.adding_items`), instead of one row at a time from a trigger: FTS5 writes out its pending terms at the
    # end of every statement, and each statement of a trigger counts. The index already holds every item.
    """
    DROP TRIGGER items_fts_ai;
    """,
]

# The first schema whose shares carry `prev_hash` and `row_hash`.
CHAINED_SCHEMA = 3

# The triggers that keep the share log and the event log append-only, by the migration that made them. Every open
# checks that those of the file's schema are all there; a file missing one is not written to.
APPEND_ONLY_TRIGGERS: dict[int, tuple[str, ...]] = {
    1: ("shares_no_update", "shares_no_delete", "events_no_update", "events_no_delete"),
    3: ("shares_no_replace", "shares_chain", "events_no_replace"),
}
APPEND_ONLY_TRIGGERS[MIGRATIONS.index(_REACH_TABLE) + 1] = (
    "reach_no_update", "reach_no_delete", "reach_no_replace",
    "reach_failures_no_update", "reach_failures_no_delete", "reach_failures_no_replace")


def append_only_triggers(version: int) -> dict[str, str]:
    """The append-only triggers a file at schema `version` must have: name -> its CREATE TRIGGER statement with
    runs of white space made one space (how the open compares it with the file's, so a trigger swapped for one
    of the same name that lets changes through is caught too)."""
    created: dict[str, str] = {}
    for migration in MIGRATIONS:
        for part in [migration] if isinstance(migration, str) else migration:
            for statement in split_sql(part) if isinstance(part, str) else ():
                words = statement.split()
                if words[:2] == ["CREATE", "TRIGGER"]:
                    created[words[2]] = " ".join(words).removesuffix(";")
    wanted = [name for number, names in APPEND_ONLY_TRIGGERS.items() if number <= version for name in names]
    return {name: created[name] for name in wanted}


# Tables every amplify database has once migrated; a file without one of them is not (or no longer) amplify's.
TABLES = ("sources", "feeds", "items", "drafts", "draft_posts", "attestations", "link_probes", "shares",
          "share_flags", "events", "meta", "reach", "reach_failures", "accounts", "outbox")


def split_sql(script: str) -> list[str]:
    """Split a migration into statements (`executescript` would commit the open transaction)."""
    statements: list[str] = []
    buffer = ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            if buffer.strip():
                statements.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        statements.append(buffer.strip())
    return statements
