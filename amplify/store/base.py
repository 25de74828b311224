"""Opening the database: connection settings, migrations, transactions and the event log.

One rule keeps concurrent writers safe (a browser tab, another tab, a cron `amplify refresh`): every write happens
inside `Store.transaction()`, which starts with `BEGIN IMMEDIATE`. The write lock is taken up front, so SQLite's busy
timeout applies and waits for the other writer, instead of failing with "database is locked" when a read
transaction tries to become a write one. WAL lets readers go on while a writer works.
"""

import json
import os
import shlex
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

from amplify.clock import Clock, to_iso, utcnow
from amplify.errors import AmplifyError
from amplify.store.schema import MIGRATIONS, TABLES, Step, append_only_triggers, split_sql

BUSY_TIMEOUT_SECONDS = 30


class StoreError(AmplifyError):
    """The database cannot be used: the message says what to do about it."""


# SQLite's primary result codes for the failures that are about the file, not about amplify's own SQL.
_SQLITE_READONLY, _SQLITE_CORRUPT, _SQLITE_FULL, _SQLITE_CANTOPEN, _SQLITE_NOTADB = 8, 11, 13, 14, 26


def _code(error: BaseException | None) -> int:
    """SQLite's primary result code of an error (0 for anything else)."""
    return (getattr(error, "sqlite_errorcode", 0) or 0) & 0xFF


def translate_error(path: str, error: sqlite3.Error) -> StoreError | None:
    """A StoreError that says in plain words what a failure of the file itself means (full disk, damage, a
    read-only file), or None for any other error."""
    code = _code(error)
    if code == _SQLITE_FULL:
        return StoreError(
            f"{path}: the disk is full, so this change was not saved. Nothing was half-written: what was saved "
            "before it stays as it was. Free some space and try again."
        )
    if code in (_SQLITE_CORRUPT, _SQLITE_NOTADB):
        return StoreError(
            f"{path}: the database file is damaged ({error}), so amplify cannot use it. Keep a copy of it, then "
            "put back your latest backup of it (see \"Backups and a damaged file\" in docs/database.md); "
            f"`sqlite3 {shlex.quote(path)} .recover | sqlite3 recovered.db` may save what is still readable."
        )
    if code == _SQLITE_READONLY:
        return StoreError(
            f"{path}: the database is read-only here, so amplify cannot save to it (reading it still works: "
            "`amplify export` and `amplify report`). Open it where you may write it to make changes."
        )
    return None


class StoreBase:
    def __init__(self, path: str | Path, *, clock: Clock = utcnow) -> None:
        self.path = str(path)
        self.clock = clock
        # Why this file must not be written to (an append-only trigger is gone), or None.
        self.write_refusal: str | None = None
        try:
            conn = self._connect()
        except sqlite3.DatabaseError as error:
            raise translate_error(self.path, error) or StoreError(
                f"{self.path}: cannot open the database ({error})"
            ) from error
        self.conn = conn
        self._depth = 0
        try:
            self._migrate()
            self._check_complete()
        except sqlite3.DatabaseError as error:
            conn.close()
            raise translate_error(self.path, error) or StoreError(
                f"{self.path}: not a usable amplify database ({error})"
            ) from error
        except StoreError:
            conn.close()
            raise

    def _connect(self) -> sqlite3.Connection:
        try:
            conn = self._open()
        except sqlite3.OperationalError as error:
            if not self._readable_as_immutable(error):
                raise
            # A folder nobody may write to (a read-only disk, a backup) leaves no room for WAL's shared-memory
            # file. With no unsaved WAL content beside it, the file alone is the whole database: read it as is.
            conn = self._open(f"file:{quote(os.path.abspath(self.path))}?mode=ro&immutable=1")
        return conn

    def _use_wal(self) -> None:
        if self.path != ":memory:" and self.conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            try:
                self.conn.execute("PRAGMA journal_mode = WAL")
            except sqlite3.OperationalError as error:  # a read-only file stays as it is; reading still works
                if _code(error) != _SQLITE_READONLY:
                    raise

    def _open(self, uri: str | None = None) -> sqlite3.Connection:
        conn = sqlite3.connect(
            uri or self.path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None, check_same_thread=False,
            uri=uri is not None,
        )
        try:
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()  # reads the file: fails here if it must
        except sqlite3.Error:
            conn.close()
            raise
        return conn

    def _readable_as_immutable(self, error: sqlite3.OperationalError) -> bool:
        if _code(error) not in (_SQLITE_CANTOPEN, _SQLITE_READONLY) or self.path == ":memory:":
            return False
        path = Path(self.path)
        wal = path.with_name(path.name + "-wal")
        unsaved = wal.exists() and wal.stat().st_size > 0
        # access() says no on a read-only disk even to root.
        return path.is_file() and not unsaved and not os.access(path.parent, os.W_OK)

    # -- lifecycle -------------------------------------------------------------------------------------------

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> "StoreBase":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

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
        if current == 0:
            foreign = self.scalar("SELECT group_concat(name, ', ') FROM sqlite_master WHERE type = 'table'")
            if foreign:
                raise StoreError(
                    f"{self.path} is not an amplify database: it holds tables of another program ({foreign}). "
                    "Give amplify a file of its own with --db (a new one is created for you)."
                )
        self._use_wal()
        self._check_append_only()
        if self.write_refusal is not None:
            return  # nothing is written to a file whose log may have been rewritten, not even a migration
        for number in range(current, len(MIGRATIONS)):
            try:
                with self.transaction():
                    if self.schema_version != number:  # another process migrated meanwhile
                        continue
                    for step in _steps(MIGRATIONS[number]):
                        if callable(step):
                            step(self.conn)
                        else:
                            self.conn.execute(step)
                    self.conn.execute(f"PRAGMA user_version = {number + 1}")
            except StoreError as error:
                if _code(error.__cause__) != _SQLITE_READONLY:
                    raise
                raise StoreError(
                    f"{self.path} was made by an earlier amplify and needs upgrading before this one can read it, "
                    "but it is read-only here. Open it once where it can be written (any amplify command will "
                    "upgrade it), then it can be read from anywhere."
                ) from error
            except sqlite3.OperationalError as error:
                if "already exists" not in str(error) and "duplicate column" not in str(error):
                    raise
                raise StoreError(
                    f"{self.path} is half-upgraded: it says schema {number}, yet already has part of what "
                    f"upgrade {number + 1} adds ({error}). It was changed outside amplify, or by an amplify "
                    "stopped mid-upgrade long ago. Put back a backup of it (see \"Backups and a damaged file\" "
                    "in docs/database.md); amplify leaves this file as it is."
                ) from error
        self._check_append_only()

    def _check_complete(self) -> None:
        """Every amplify table is there: a file cut short (a table dropped by hand) is refused by name."""
        present = {row[0] for row in self.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        missing = [table for table in TABLES if table not in present]
        if missing:
            raise StoreError(
                f"{self.path} is not a complete amplify database: it has no {', '.join(missing)} table. "
                "Put back a backup of it (see \"Backups and a damaged file\" in docs/database.md)."
            )

    def _check_append_only(self) -> None:
        """Refuse to write to a file whose share or event log has lost an append-only trigger, or has one of that
        name that is not amplify's (a trigger swapped for one that lets changes through)."""
        present = {
            name: " ".join((sql or "").split())
            for name, sql in self.conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
        }
        broken = [
            name for name, sql in append_only_triggers(self.schema_version).items() if present.get(name) != sql
        ]
        several = len(broken) > 1
        self.write_refusal = None if not broken else (
            f"{self.path}: {'the triggers' if several else 'the trigger'} {', '.join(broken)}, which "
            f"{'keep' if several else 'keeps'} the share log and the event log append-only, "
            f"{'were' if several else 'was'} removed or changed in this database outside amplify, so amplify will "
            "not write to it (reading still works). Run `amplify verify` to see whether your shares were changed, "
            "then put back a backup (see \"Backups and a damaged file\" in docs/database.md)."
        )

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
        if self.write_refusal is not None:
            raise StoreError(self.write_refusal)
        with self._plain_errors():
            self.conn.execute("BEGIN IMMEDIATE")
        self._depth = 1
        try:
            yield
            self.conn.execute("COMMIT")
        except BaseException as error:
            if self.conn.in_transaction:  # SQLite may have rolled back already (a full disk, say)
                self.conn.execute("ROLLBACK")
            translated = translate_error(self.path, error) if isinstance(error, sqlite3.Error) else None
            if translated is None:
                raise
            raise translated from error
        finally:
            self._depth = 0

    def execute(self, sql: str, params: Any = ()) -> sqlite3.Cursor:
        with self._plain_errors():
            return self.conn.execute(sql, params)

    def rows(self, sql: str, params: Any = ()) -> list[dict[str, Any]]:
        with self._plain_errors():
            return [dict(row) for row in self.conn.execute(sql, params)]

    def row(self, sql: str, params: Any = ()) -> dict[str, Any] | None:
        with self._plain_errors():
            found = self.conn.execute(sql, params).fetchone()
        return dict(found) if found is not None else None

    def scalar(self, sql: str, params: Any = ()) -> Any:
        with self._plain_errors():
            found = self.conn.execute(sql, params).fetchone()
        return found[0] if found is not None else None

    @contextmanager
    def _plain_errors(self) -> Iterator[None]:
        """A damaged, full or read-only file raises StoreError in plain words; amplify's own SQL errors pass."""
        try:
            yield
        except sqlite3.DatabaseError as error:
            translated = translate_error(self.path, error)
            if translated is None:
                raise
            raise translated from error

    def every_network_shared(self, draft_id: int) -> bool:
        """Whether each of the draft's networks has a share that was not retracted (drafts and the share log
        both finish a draft on it)."""
        return not self.scalar(
            "SELECT COUNT(*) FROM draft_posts p WHERE p.draft_id = ? AND NOT EXISTS ("
            " SELECT 1 FROM shares sh WHERE sh.draft_id = p.draft_id AND sh.network = p.network"
            f" AND {not_retracted('sh')})",
            (draft_id,),
        )

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


# -- what several areas share ----------------------------------------------------------------------------------
# The mixins beside this module import these from here and call only StoreBase, never each other.

# A share is retracted by appending this event naming it; the row itself stays (the log is append-only).
RETRACTION_EVENT = "share_retracted"



def not_retracted(share_alias: str) -> str:
    """SQL that holds for a share (`share_alias`) unless a retraction event names it (events_share index)."""
    return (
        f"NOT EXISTS (SELECT 1 FROM events r WHERE r.share_id = {share_alias}.id"
        f" AND r.kind = '{RETRACTION_EVENT}')"
    )


# `amplify forget --redact-shares` appends one per share of the forgotten source; the row itself cannot change.
REDACTION_EVENT = "share_redacted"
REDACTED_TEXT = "[redacted: you asked amplify to forget this source]"


def redacted_at(share_alias: str) -> str:
    """SQL for when a share (`share_alias`) was redacted, NULL when it was not (events_share index)."""
    return (
        f"(SELECT MIN(rd.at) FROM events rd WHERE rd.share_id = {share_alias}.id"
        f" AND rd.kind = '{REDACTION_EVENT}') AS redacted_at"
    )


def honour_redaction(share: dict[str, Any]) -> dict[str, Any]:
    """A share row as displays and exports show it: a redacted share's words, the check details recorded with it
    (a credit check names the handle) and the reason it was retracted, if it was, replaced by REDACTED_TEXT."""
    if not share.get("redacted_at"):
        return share
    shown = {**share, "text": REDACTED_TEXT}
    if share.get("retraction_reason"):
        shown["retraction_reason"] = REDACTED_TEXT
    if isinstance(share.get("checklist"), str):
        snapshot = json_object(share["checklist"])
        for check in snapshot.get("checks") or []:
            if isinstance(check, dict) and check.get("detail"):
                check["detail"] = REDACTED_TEXT
        shown["checklist"] = json.dumps(snapshot, sort_keys=True, ensure_ascii=False)
    return shown


# Where `refresh` keeps its last report (`last_refresh`), which renaming a source also edits.
LAST_REFRESH_META_KEY = "last_refresh"
# Where the review buttons can move an item. 'shared' is only ever set by the share gate.
REVIEW_STATES = ("new", "queued", "skipped", "later")


class ReviewError(AmplifyError, ValueError):
    """A review action that cannot be done; the message says why."""


def json_value(text: str | None, default: Any) -> Any:
    """A JSON column's value; NULL or empty reads as `default` (a fresh `[]` or `{}` the caller may change)."""
    return json.loads(text) if text else default


def with_json(row: dict[str, Any] | None, **defaults: Any) -> dict[str, Any] | None:
    """`row` with each named JSON column decoded (NULL reads as its default), so no reader decodes JSON itself."""
    if row is None:
        return None
    return {**row, **{column: json_value(row[column], default) for column, default in defaults.items()}}


def json_object(text: str | None) -> dict[str, Any]:
    """A stored JSON object; anything else (old or damaged) reads as empty rather than failing the reader."""
    try:
        value = json.loads(text or "{}")
    except json.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {}


def marks(values: "Sequence[Any]") -> str:
    """One `?` per value, for `IN (...)`."""
    return ", ".join("?" for _ in values)


def _steps(migration: "str | list[Step]") -> list["Step"]:
    """A migration's statements and Python steps, in order."""
    steps: list[Step] = []
    for part in [migration] if isinstance(migration, str) else migration:
        steps += split_sql(part) if isinstance(part, str) else [part]
    return steps
