"""Queries for refresh: per-feed HTTP state and storing parsed entries.

Refresh decides (amplify.refresh) and this module writes what was decided: one `FeedUpdate` per fetched feed, a
batch of them applied in one transaction, so a crash mid-refresh leaves every feed either fully updated or
untouched. A batch costs a few statements, not a few a feed: one looks up what is stored of its entries, multi-row
INSERTs write the new and changed ones, one puts the new items in the search index (`adding_items`), and two write
the feeds' own rows.
"""

import json
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import fields, replace
from functools import cache
from itertools import chain
from operator import attrgetter
from typing import Any

from amplify.store.base import LAST_REFRESH_META_KEY, StoreBase, json_value
from amplify.types import Entry, FailedFeed, FeedUpdate, LastRefresh

_ITEM_FIELDS = ("url", "title", "title_is_derived", "author", "published_at", "updated_at", "summary",
                "content_html", "image_url", "image_alt", "markup_digest")
# The newest entries of a source whose digests a refresh hands the parser: more than a feed lists at once.
KNOWN_DIGESTS = 400
LAST_REFRESH_FIELDS = frozenset(field.name for field in fields(LastRefresh))

# New entries are inserted; known ones get their text refreshed when the feed changed it, but never their review
# `state` or `first_seen_at`, so an edit by the creator cannot pull an item back into or out of the queue.
# A batch's new and changed entries go in multi-row INSERTs, many feeds' entries a statement: few statements, which
# matters because every statement step gives up Python's lock, and refresh's fetch threads want it too. Plain
# parameters, because SQLite reads each once, where a JSON array read with json_each was parsed again for every field
# taken from it (measured on the 1000-feed farm's 20,000 items: 0.2 s of CPU instead of 0.38 s).
_item_values = attrgetter(*_ITEM_FIELDS)  # an entry's fields as a tuple, in that order
_ITEM_COLUMNS = ("source_id", "feed_id", "entry_key", *_ITEM_FIELDS, "first_seen_at", "sort_at")
_ITEM_ROW = f"({', '.join('?' for _ in _ITEM_COLUMNS)})"
# Entries a statement: SQLite before 3.32 (Ubuntu 20.04 has 3.31) takes at most 999 parameters in one. What is left
# after the full statements goes in halves, so a refresh prepares at most seven statements of different lengths.
_UPSERT_SIZES = (999 // len(_ITEM_COLUMNS), 32, 16, 8, 4, 2, 1)


@cache
def _upsert_items_sql(rows: int) -> str:
    return f"""
        INSERT INTO items ({", ".join(_ITEM_COLUMNS)}) VALUES {", ".join([_ITEM_ROW] * rows)}
        ON CONFLICT (source_id, entry_key) DO UPDATE SET
            {", ".join(f"{name} = excluded.{name}" for name in _ITEM_FIELDS)},
            sort_at = COALESCE(excluded.published_at, items.first_seen_at)
        WHERE {" OR ".join(f"items.{name} IS NOT excluded.{name}" for name in _ITEM_FIELDS)}
    """


# The stored entries among [source_id, entry_key] pairs, each found by the unique index (json_each first).
_STORED_ENTRIES_SQL = f"""
    SELECT i.source_id, i.entry_key, {", ".join(f"i.{name}" for name in _ITEM_FIELDS)}
    FROM json_each(?) AS k CROSS JOIN items AS i
    WHERE i.source_id = json_extract(k.value, '$[0]') AND i.entry_key = json_extract(k.value, '$[1]')
"""


def _rounds(updates: Sequence[FeedUpdate]) -> list[list[tuple[int, FeedUpdate]]]:
    """The updates with entries, with their positions, in order, cut into rounds wherever a source comes again, so
    that no round holds two feeds of one source (they may list the same entry)."""
    rounds: list[list[tuple[int, FeedUpdate]]] = []
    sources: set[int] = set()
    for position, update in enumerate(updates):
        if not update.entries:
            continue
        if not rounds or update.source_id in sources:
            rounds.append([])
            sources.clear()
        rounds[-1].append((position, update))
        sources.add(update.source_id)
    return rounds


# A batch's feed rows are written from one JSON array of FeedUpdate fields, two statements in all (one for the feeds
# that answered, one for those that failed) instead of one a feed. The array is read once, as `u`, and each feed
# finds its update there: a row-value SET rather than UPDATE ... FROM, which would need SQLite 3.33 (Ubuntu 20.04
# has 3.31). On SQLite 3.35 and later `u` is built once a statement; before, once a feed, which is slower but right.
_UPDATE_FIELDS = ("feed_id", "status", "error", "error_count", "next_attempt_at", "etag", "last_modified",
                  "body_hash", "title", "moved_to")


def _record_sql(assignments: dict[str, str]) -> str:
    return f"""
        WITH u AS (SELECT {", ".join(f"json_extract(value, '$.{name}') AS {name}" for name in _UPDATE_FIELDS)}
                   FROM json_each(:updates))
        UPDATE feeds SET ({", ".join(assignments)}) = (
            SELECT {", ".join(assignments.values())} FROM u WHERE u.feed_id = feeds.id
        )
        WHERE id IN (SELECT feed_id FROM u)
    """


_RECORD_SUCCESS_SQL = _record_sql({
    "last_status": "u.status", "last_error": "NULL", "error_count": "0", "next_attempt_at": "NULL",
    "last_fetched_at": ":now", "last_success_at": ":now",
    **{name: f"COALESCE(u.{name}, feeds.{name})"
       for name in ("etag", "last_modified", "body_hash", "title", "moved_to")},
})
_RECORD_FAILURE_SQL = _record_sql({
    "last_status": "u.status", "last_error": "u.error", "error_count": "u.error_count",
    "next_attempt_at": "u.next_attempt_at", "last_fetched_at": ":now",
    "moved_to": "COALESCE(u.moved_to, feeds.moved_to)",
})


_SURROGATE = re.compile("[\ud800-\udfff]")

# Items enter the search index a transaction at a time, in one statement: FTS5 writes out its pending terms at the
# end of every statement, and an insert trigger would make each row a statement of its own (measured on the
# 1000-feed farm: 0.84 s to store 20,000 items that way, 0.31 s this way). Updates and deletes keep their triggers.
_INDEX_NEW_ITEMS_SQL = """
    INSERT INTO items_fts (rowid, title, summary, author) SELECT id, title, summary, author FROM items WHERE id > ?
"""


class NewItems:
    """The items a transaction is adding, until they are in the search index (see `IngestQueries.adding_items`)."""

    def __init__(self, store: StoreBase) -> None:
        self.store = store
        self.after = newest_item_id(store)

    def index(self) -> None:
        """Put the items added so far into the search index, in one statement."""
        self.store.execute(_INDEX_NEW_ITEMS_SQL, (self.after,))
        self.after = newest_item_id(self.store)


def storable(value: Any) -> Any:
    """`value`, with any half of a character (a lone surrogate, which SQLite cannot hold as text) made U+FFFD."""
    if not isinstance(value, str) or value.isascii():
        return value
    return _SURROGATE.sub("\ufffd", value)


def newest_item_id(store: StoreBase) -> int:
    # New rows take the highest id plus one (INTEGER PRIMARY KEY without AUTOINCREMENT): those added are above it.
    return int(store.scalar("SELECT COALESCE(MAX(id), 0) FROM items"))


class IngestQueries(StoreBase):
    """Mixed into Store; see amplify.store."""

    def apply_feed_updates(self, updates: Sequence[FeedUpdate]) -> list[int]:
        """Record several feeds' refreshes in one transaction (each feed complete, so a crash leaves every feed
        either fully updated or untouched; one commit per batch keeps a 1000-feed refresh cheap). Returns how
        many items were new, per update. A feed appears at most once in a batch (refresh fetches it once)."""
        now = self.now()
        new_counts = [0] * len(updates)
        rounds = _rounds(updates)
        with self.transaction():
            if rounds:  # a batch of 304s adds no item: nothing to index either
                self._store_rounds(rounds, new_counts, now)
            # The feeds' own rows in two statements for the whole batch (see _RECORD_SUCCESS_SQL).
            for sql, chosen in ((_RECORD_SUCCESS_SQL, [u for u in updates if u.error is None]),
                                (_RECORD_FAILURE_SQL, [u for u in updates if u.error is not None])):
                if chosen:
                    rows = [{name: storable(getattr(update, name)) for name in _UPDATE_FIELDS} for update in chosen]
                    self.execute(sql, {"now": now, "updates": json.dumps(rows)})
        return new_counts

    def _store_rounds(self, rounds: list[list[tuple[int, FeedUpdate]]], new_counts: list[int], now: str) -> None:
        with self.adding_items() as added:
            for number, round_ in enumerate(rounds):
                if number:
                    # This round's source wrote in the one before: it may change an item that round added, and the
                    # update trigger expects that item in the index.
                    added.index()
                for (position, _), count in zip(round_, self._store_entries([u for _, u in round_], now),
                                                strict=True):
                    new_counts[position] = count

    @contextmanager
    def adding_items(self) -> Iterator[NewItems]:
        """A transaction that inserts items (or joins the one open): the items it adds enter the search index at
        its end, all in one statement, so they are searchable when it commits and gone from both if it fails.
        Every insert into `items` happens inside one. An item it added is changed or deleted only after
        `index()` on what this yields: the index's update and delete triggers expect the item in the index."""
        with self.transaction():
            added = NewItems(self)
            yield added
            added.index()

    def entry_digests(self, source_id: int) -> frozenset[str]:
        """The markup digests of a source's newest entries: the parser skips an entry whose markup it has seen."""
        rows = self.execute(
            "SELECT markup_digest FROM items WHERE source_id = ? ORDER BY sort_at DESC, id DESC LIMIT ?",
            (source_id, KNOWN_DIGESTS),
        )
        return frozenset(row[0] for row in rows if row[0] is not None)

    def _store_entries(self, updates: Sequence[FeedUpdate], now: str) -> list[int]:
        """Store the entries of several feeds, no two of one source; returns how many were new, per feed."""
        self.execute("SAVEPOINT entries")
        try:
            new_counts = self._write_entries(updates, now)
        except UnicodeEncodeError:
            # Text SQLite cannot hold (half a character, which a JSON feed can spell as an escape): rare enough to
            # look for only when it happens. The feeds are written again, each such half made U+FFFD.
            self.execute("ROLLBACK TO entries")
            new_counts = self._write_entries([replace(update, entries=tuple(
                replace(entry, **{field.name: storable(getattr(entry, field.name)) for field in fields(entry)})
                for entry in update.entries or ())) for update in updates], now)
        self.execute("RELEASE entries")
        return new_counts

    def _write_entries(self, updates: Sequence[FeedUpdate], now: str) -> list[int]:
        # An entry listed twice keeps its first appearance, as the parser does: a second would change, within one
        # statement, a row not yet in the search index.
        listed: list[dict[str, Entry]] = []
        for update in updates:
            first: dict[str, Entry] = {}
            for entry in update.entries or ():
                first.setdefault(entry.key, entry)
            listed.append(first)
        # What is stored for these keys, to send only new and changed entries to the upsert: a feed that gained two
        # posts still lists the eighteen before them, and comparing here costs less than SQLite finding their rows
        # and comparing field by field. One statement for all the feeds.
        stored = {
            (row[0], row[1]): tuple(row[2:]) for row in self.execute(
                _STORED_ENTRIES_SQL,
                (json.dumps([[u.source_id, key] for u, first in zip(updates, listed, strict=True) for key in first]),),
            )
        }
        new_counts = []
        changed: list[tuple[Any, ...]] = []
        for update, first in zip(updates, listed, strict=True):
            new_counts.append(sum(1 for key in first if (update.source_id, key) not in stored))
            for key, entry in first.items():
                values = _item_values(entry)
                if stored.get((update.source_id, key)) != values:
                    sort_at = now if entry.published_at is None else entry.published_at
                    changed.append((update.source_id, update.feed_id, key, *values, now, sort_at))
        start = 0
        for size in _UPSERT_SIZES:
            while len(changed) - start >= size:
                self.execute(_upsert_items_sql(size), list(chain.from_iterable(changed[start:start + size])))
                start += size
        return new_counts

    def record_refresh(self, report: dict[str, Any]) -> None:
        """Log one `refresh` event with the run's counts and remember the report for "last refreshed"."""
        with self.transaction():
            counts = {name: value for name, value in report.items() if name != "errors"}
            self.log_event("refresh", **counts, failed_feeds=[error["feed"] for error in report.get("errors", [])])
            self.set_meta(LAST_REFRESH_META_KEY, json.dumps({**report, "at": self.now()}, sort_keys=True))

    def last_refresh(self) -> LastRefresh | None:
        """The last refresh report, or None before the first refresh."""
        stored = json_value(self.get_meta(LAST_REFRESH_META_KEY), None)
        if stored is None:
            return None
        # A report kept by an older amplify may lack a later count: it reads as the record's default.
        known = {name: value for name, value in stored.items() if name in LAST_REFRESH_FIELDS}
        return LastRefresh(**{**known, "errors": tuple(FailedFeed(**error) for error in stored.get("errors", []))})
