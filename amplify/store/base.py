"""Opening the database: connection settings, migrations, transactions and the event log.

One rule keeps concurrent writers safe (a browser tab, another tab, a cron `amplify refresh`): every write happens
inside `Store.transaction()`, which starts with `BEGIN IMMEDIATE`. The write lock is taken up front, so SQLite's busy
timeout applies and waits for the other writer, instead of failing with "database is locked" when a read
transaction tries to become a write one. WAL lets readers go on while a writer works.

sqlite-utils' table write helpers (`insert`, `upsert`, `update`) commit on their own, so inside a transaction use
`self.execute` with SQL; `self.db` (a sqlite-utils Database on the same connection) is there for reads and
introspection.
"""

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from amplify.clock import Clock, to_iso, utcnow
from amplify.store.schema import MIGRATIONS

if TYPE_CHECKING:
    import sqlite_utils

BUSY_TIMEOUT_SECONDS = 30


class StoreError(Exception):
    """The database cannot be used: the message says what to do about it."""


class StoreBase:
    def __init__(self, path: str | Path, *, clock: Clock = utcnow) -> None:
        self.path = str(path)
        self.clock = clock
        try:
            conn = sqlite3.connect(
                self.path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None, check_same_thread=False
            )
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA synchronous = NORMAL")
            if self.path != ":memory:" and conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                conn.execute("PRAGMA journal_mode = WAL")
        except sqlite3.DatabaseError as error:
            raise StoreError(f"{self.path}: cannot open the database ({error})") from error
        self.conn = conn
        self._depth = 0
        try:
            self._migrate()
        except sqlite3.DatabaseError as error:
            conn.close()
            raise StoreError(f"{self.path}: not a usable amplify database ({error})") from error

    # -- lifecycle -------------------------------------------------------------------------------------------

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> "StoreBase":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @cached_property
    def db(self) -> "sqlite_utils.Database":
        # Imported on first use: importing sqlite-utils imports pandas when it is installed (Streamlit brings it),
        # about half a second that every `amplify refresh` from cron would otherwise pay.
        import sqlite_utils

        return sqlite_utils.Database(self.conn)

    def now(self) -> str:
        return to_iso(self.clock())

    # -- schema ----------------------------------------------------------------------------------------------

    @property
    def schema_version(self) -> int:
        return self.conn.execute("PRAGMA user_version").fetchone()[0]

    def _migrate(self) -> None:
        current = self.schema_version
        if current > len(MIGRATIONS):
            raise StoreError(
                f"{self.path} was written by a newer amplify (schema {current}); upgrade amplify to open it"
            )
        for number in range(current, len(MIGRATIONS)):
            with self.transaction():
                if self.schema_version != number:  # another process migrated meanwhile
                    continue
                for statement in _split_sql(MIGRATIONS[number]):
                    self.conn.execute(statement)
                self.conn.execute(f"PRAGMA user_version = {number + 1}")

    # -- transactions ----------------------------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One atomic write: all of it lands, or none of it does. Nested calls join the outer transaction."""
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        self.conn.execute("BEGIN IMMEDIATE")
        self._depth = 1
        try:
            yield
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        else:
            self.conn.execute("COMMIT")
        finally:
            self._depth = 0

    def execute(self, sql: str, params: Any = ()) -> sqlite3.Cursor:
        return self.conn.execute(sql, params)

    def rows(self, sql: str, params: Any = ()) -> list[dict[str, Any]]:
        return [dict(row) for row in self.conn.execute(sql, params)]

    def row(self, sql: str, params: Any = ()) -> dict[str, Any] | None:
        found = self.conn.execute(sql, params).fetchone()
        return dict(found) if found is not None else None

    def scalar(self, sql: str, params: Any = ()) -> Any:
        found = self.conn.execute(sql, params).fetchone()
        return found[0] if found is not None else None

    # -- the event log and settings --------------------------------------------------------------------------

    def log_event(self, kind: str, *, source_id: int | None = None, item_id: int | None = None,
                  draft_id: int | None = None, share_id: int | None = None, **detail: Any) -> int:
        """Append to `events`, the record of every action (append-only: triggers refuse UPDATE and DELETE)."""
        cursor = self.execute(
            "INSERT INTO events (at, kind, source_id, item_id, draft_id, share_id, detail)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (self.now(), kind, source_id, item_id, draft_id, share_id, json.dumps(detail, sort_keys=True)),
        )
        return int(cursor.lastrowid or 0)

    def get_meta(self, key: str) -> str | None:
        return self.scalar("SELECT value FROM meta WHERE key = ?", (key,))

    def set_meta(self, key: str, value: str) -> None:
        with self.transaction():
            self.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, value),
            )


def _split_sql(script: str) -> list[str]:
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
