"""Queries on the followed sources: syncing them from feeds.yml, their health, forgetting one.

`sync_sources` runs at every refresh, so it reads the two tables once, compares in memory, and writes only
what changed: a thousand unchanged sources cost two SELECTs. Cheaper still, it remembers which text of feeds.yml
it last synced (the follow list's `digest`, with the file's problems) and does nothing when handed that text again.
Sources are matched by name and feeds by URL. A source that leaves the file is unfollowed (`followed = 0`), never
deleted: its items, drafts and shares are the user's history. A source renamed in the file keeps its row (and so
its history) when its feed URL stays.
"""

import json
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from amplify.names import name_key
from amplify.store.base import LAST_REFRESH_META_KEY, REDACTION_EVENT, StoreBase, StoreError, json_value, not_retracted
from amplify.types import FeedRecord, FollowList, Problem, Source, SourceActivity, SourceHealth, SourceRecord

# meta: which feeds.yml text the tables match, and that text's problems. Triggers delete it whenever sources or
# feeds change whom they follow (schema.py, migration 2); a sync writes it again after its changes.
SYNCED_META_KEY = "follow_list_synced"

# The sources columns feeds.yml decides, in the order `_source_values` returns them.
SYNCED_COLUMNS = (
    "url",
    "kind",
    "tags",
    "handles",
    "domains",
    "identity_labels",
    "identity_source",
    "credit",
    "notes",
)


def _encode(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _source_values(source: Source) -> tuple[Any, ...]:
    return (
        source.url,
        source.kind,
        _encode(list(source.tags)),
        _encode(dict(source.handles)),
        _encode(list(source.domains)),
        _encode(list(source.identity_labels)),
        source.identity_source,
        source.credit,
        source.notes,
    )


def _source_record(row: dict[str, Any], record: type[SourceRecord] = SourceRecord) -> SourceRecord:
    """A `SourceRecord` (or `SourceHealth`) from a row of `_SOURCE_COLUMNS_SQL` and `_FEEDS_OF_SOURCE_SQL`: the JSON
    columns decoded, the lists as tuples."""
    decoded = {**row, "followed": bool(row["followed"]), "forgotten": bool(row["forgotten"]),
               "handles": json_value(row["handles"], {}), "feeds": tuple(json_value(row["feeds"], []))}
    for column in ("tags", "domains", "identity_labels"):
        decoded[column] = tuple(json_value(row[column], []))
    return record(**decoded)


@dataclass
class SyncChanges:
    """What one sync changed, by source id (never by name: events outlive a forgotten source's name)."""

    added: list[int] = field(default_factory=list)
    updated: list[int] = field(default_factory=list)
    renamed: list[int] = field(default_factory=list)
    refollowed: list[int] = field(default_factory=list)
    unfollowed: list[int] = field(default_factory=list)
    feeds_added: int = 0
    feeds_changed: int = 0
    feeds_unfollowed: int = 0

    def __bool__(self) -> bool:
        return any(
            (
                self.added,
                self.updated,
                self.renamed,
                self.refollowed,
                self.unfollowed,
                self.feeds_added,
                self.feeds_changed,
                self.feeds_unfollowed,
            )
        )


_INSERT_SOURCE_SQL = (
    f"INSERT INTO sources (name, {', '.join(SYNCED_COLUMNS)}, followed, created_at, updated_at) "
    f"VALUES (?, {', '.join('?' for _ in SYNCED_COLUMNS)}, 1, ?, ?)"
)

_SOURCE_COLUMNS_SQL = (
    "s.id, s.name, s.url, s.kind, s.tags, s.handles, s.domains, s.identity_labels, "
    "s.identity_source, s.credit, s.notes, s.followed, s.forgotten, s.created_at, s.updated_at"
)

_FEED_COLUMNS_SQL = ", ".join(f"f.{field.name}" for field in fields(FeedRecord) if field.name != "source_name")

_FEEDS_OF_SOURCE_SQL = (
    "(SELECT json_group_array(f.url) FROM (SELECT url FROM feeds WHERE source_id = s.id AND followed = 1 "
    "ORDER BY id) AS f) AS feeds"
)


class SourceQueries(StoreBase):
    """Mixed into Store; see amplify.store."""

    def sync_sources(self, follow_list: FollowList) -> None:
        """Make the sources and feeds tables match the follow list; log `sources_synced` on any change. Nothing is
        read or written when the tables already match this very text (`follow_list.digest`)."""
        if follow_list.digest is not None and self.synced_problems(follow_list.digest) is not None:
            return
        with self.transaction():
            changes = self._sync_sources(follow_list)
            if changes:
                detail = {key: value for key, value in vars(changes).items() if value}
                self.log_event("sources_synced", **detail)
            if follow_list.digest is None:
                self.execute("DELETE FROM meta WHERE key = ?", (SYNCED_META_KEY,))
            else:
                problems = [asdict(problem) for problem in follow_list.problems]
                self.set_meta(SYNCED_META_KEY, json.dumps({
                    "digest": self._synced_key(follow_list.digest), "problems": problems,
                    "allow_private_addresses": follow_list.settings.allow_private_addresses}))

    def synced_problems(self, digest: str) -> tuple[Problem, ...] | None:
        """The problems of the feeds.yml text named `digest` when the tables match that text, else None."""
        stored = self.get_meta(SYNCED_META_KEY)
        if stored is None:
            return None
        synced = json.loads(stored)
        if synced["digest"] != self._synced_key(digest):
            return None
        return tuple(Problem(**problem) for problem in synced["problems"])

    def synced_allows_private_addresses(self) -> bool:
        """feeds.yml's `allow_private_addresses`, as of the text synced last (False when none is), so a refresh of
        an unchanged file knows it without reading the file."""
        stored = self.get_meta(SYNCED_META_KEY)
        return bool(json_value(stored, {}).get("allow_private_addresses"))

    def _synced_key(self, digest: str) -> str:
        # A migration may change what a sync writes: the same text is synced again under a new schema.
        return f"{self.schema_version}:{digest}"

    def _sync_sources(self, follow_list: FollowList) -> SyncChanges:
        changes = SyncChanges()
        now = self.now()
        rows = self.rows(f"SELECT {', '.join(('id', 'name', 'followed', *SYNCED_COLUMNS))} FROM sources")
        by_name = {row["name"]: row for row in rows}
        by_key: dict[str, dict[str, Any]] = {}
        # A name spelled another way (case, accents, spaces) is the same source; a followed row first.
        for row in sorted(rows, key=lambda row: (not row["followed"], row["id"])):
            by_key.setdefault(name_key(row["name"]), row)
        by_id = {row["id"]: row for row in rows}
        feed_rows = {row["url"]: row for row in self.rows("SELECT id, url, source_id, followed FROM feeds")}
        wanted_names = {name_key(source.name) for source in follow_list.sources}

        source_ids: dict[str, int] = {}
        for source in follow_list.sources:
            values = _source_values(source)
            row = by_name.get(source.name) or by_key.get(name_key(source.name))
            if row is None or row["id"] in source_ids.values():
                row = self._renamed_row(source, feed_rows, by_id, wanted_names, source_ids)
            if row is not None and row["name"] != source.name:  # respelled or renamed: its history stays
                self.execute(
                    "UPDATE sources SET name = ?, updated_at = ? WHERE id = ?",
                    (source.name, now, row["id"]),
                )
                changes.renamed.append(row["id"])
            if row is None:
                cursor = self.execute(
                    _INSERT_SOURCE_SQL,
                    (source.name, *values, now, now),
                )
                source_ids[source.name] = int(cursor.lastrowid or 0)
                changes.added.append(source_ids[source.name])
                continue
            source_ids[source.name] = row["id"]
            if tuple(row[column] for column in SYNCED_COLUMNS) != values:
                assignments = ", ".join(f"{column} = ?" for column in SYNCED_COLUMNS)
                self.execute(
                    f"UPDATE sources SET {assignments}, updated_at = ? WHERE id = ?",
                    (*values, now, row["id"]),
                )
                changes.updated.append(row["id"])
            if not row["followed"]:
                self.execute("UPDATE sources SET followed = 1, updated_at = ? WHERE id = ?", (now, row["id"]))
                changes.refollowed.append(row["id"])

        kept = set(source_ids.values())
        for row in rows:
            if row["followed"] and row["id"] not in kept:
                self.execute("UPDATE sources SET followed = 0, updated_at = ? WHERE id = ?", (now, row["id"]))
                changes.unfollowed.append(row["id"])

        self._sync_feeds(follow_list, source_ids, feed_rows, changes)
        return changes

    def _renamed_row(
        self,
        source: Source,
        feed_rows: dict[str, dict[str, Any]],
        by_id: dict[int, dict[str, Any]],
        wanted_names: set[str],
        claimed: dict[str, int],
    ) -> dict[str, Any] | None:
        """The existing row of a source the file now calls by another name: same feed, old name gone."""
        for url in source.feeds:
            feed = feed_rows.get(url)
            owner = by_id.get(feed["source_id"]) if feed else None
            if owner and name_key(owner["name"]) not in wanted_names and owner["id"] not in claimed.values():
                return owner
        return None

    def _sync_feeds(
        self,
        follow_list: FollowList,
        source_ids: dict[str, int],
        feed_rows: dict[str, dict[str, Any]],
        changes: SyncChanges,
    ) -> None:
        listed: set[str] = set()
        for source in follow_list.sources:
            source_id = source_ids[source.name]
            for url in source.feeds:
                listed.add(url)
                feed = feed_rows.get(url)
                if feed is None:
                    self.execute(
                        "INSERT INTO feeds (url, source_id, followed) VALUES (?, ?, 1)", (url, source_id)
                    )
                    changes.feeds_added += 1
                elif feed["source_id"] != source_id or not feed["followed"]:
                    # A feed belongs to one source: the file says which one now.
                    self.execute(
                        "UPDATE feeds SET source_id = ?, followed = 1 WHERE id = ?", (source_id, feed["id"])
                    )
                    changes.feeds_changed += 1
        for url, feed in feed_rows.items():
            if feed["followed"] and url not in listed:
                self.execute("UPDATE feeds SET followed = 0 WHERE id = ?", (feed["id"],))
                changes.feeds_unfollowed += 1

    def source_health(self) -> list[SourceHealth]:
        """Each followed source with how its feeds are doing, in name order."""
        rows = self.rows(
            f"""
            SELECT {_SOURCE_COLUMNS_SQL}, {_FEEDS_OF_SOURCE_SQL},
                (SELECT COUNT(*) FROM feeds WHERE source_id = s.id AND followed = 1) AS feed_count,
                (SELECT MAX(last_fetched_at) FROM feeds WHERE source_id = s.id AND followed = 1)
                    AS last_fetched_at,
                (SELECT MAX(last_success_at) FROM feeds WHERE source_id = s.id AND followed = 1)
                    AS last_success_at,
                (SELECT last_status FROM feeds WHERE source_id = s.id AND followed = 1
                    ORDER BY last_fetched_at DESC LIMIT 1) AS last_status,
                (SELECT last_error FROM feeds
                    WHERE source_id = s.id AND followed = 1 AND last_error IS NOT NULL
                    ORDER BY last_fetched_at DESC LIMIT 1) AS last_error,
                (SELECT COALESCE(SUM(error_count), 0) FROM feeds WHERE source_id = s.id AND followed = 1)
                    AS error_count,
                (SELECT COUNT(*) FROM items WHERE source_id = s.id) AS item_count,
                (SELECT MAX(sh.shared_at) FROM shares AS sh
                    WHERE sh.source_id = s.id AND {not_retracted("sh")}) AS last_shared_at
            FROM sources AS s
            WHERE s.followed = 1
            ORDER BY s.name COLLATE NOCASE
            """
        )
        return [_source_record(row, SourceHealth) for row in rows]

    def followed_feeds(self) -> list[FeedRecord]:
        """The feeds feeds.yml lists now (of followed sources): what a refresh fetches. A feed dropped from the
        file keeps its row and items but is not listed here."""
        return [FeedRecord(**{**row, "followed": bool(row["followed"])}) for row in self.rows(
            f"SELECT {_FEED_COLUMNS_SQL}, s.name AS source_name FROM feeds AS f JOIN sources AS s"
            " ON s.id = f.source_id WHERE f.followed = 1 AND s.followed = 1 ORDER BY f.id"
        )]

    def source_ids_named(self, name: str) -> list[int]:
        """Every source whose name is `name` spelled any way feeds.yml accepts as the same: the followed one
        first (the one feeds.yml lists), then the others, oldest first."""
        wanted = name_key(name)
        rows = self.rows("SELECT id, name FROM sources ORDER BY followed DESC, id")
        return [row["id"] for row in rows if name_key(row["name"]) == wanted]

    def source_by_id(self, source_id: int) -> SourceRecord | None:
        """One source (followed or not) by id, with its followed feed URLs as `feeds`."""
        row = self.row(
            f"SELECT {_SOURCE_COLUMNS_SQL}, {_FEEDS_OF_SOURCE_SQL} FROM sources AS s WHERE s.id = ?",
            (source_id,),
        )
        return _source_record(row) if row is not None else None

    def forgotten_source_count(self) -> int:
        return int(self.scalar("SELECT COUNT(*) FROM sources WHERE forgotten = 1") or 0)

    def forget_source(self, source_id: int, new_name: str, *, redact_shares: bool = False) -> None:
        """Drop what says who a source is (identity, handles, notes), rename it, and put the new name in the last
        refresh's report where the old one was; shares keep source_id. With `redact_shares`, also append a
        `share_redacted` event for each of its shares: every display and export then shows their words as
        redacted (the rows themselves are append-only).

        The events record ids only: the log is append-only, so it must never hold what was forgotten.
        """
        with self.transaction():
            old_name = self.scalar("SELECT name FROM sources WHERE id = ?", (source_id,))
            cursor = self.execute(
                "UPDATE sources SET name = ?, identity_labels = '[]', identity_source = NULL, "
                "handles = '{}', notes = NULL, forgotten = 1, updated_at = ? WHERE id = ?",
                (new_name, self.now(), source_id),
            )
            if cursor.rowcount == 0:
                raise StoreError(f"no source with id {source_id}: nothing was forgotten")
            self.log_event("source_forgotten", source_id=source_id)
            self._rename_in_last_refresh(old_name, new_name)
            if redact_shares:
                for share in self.rows(
                    "SELECT id, draft_id, item_id FROM shares AS sh WHERE source_id = ? AND NOT EXISTS ("
                    f"SELECT 1 FROM events WHERE kind = '{REDACTION_EVENT}' AND share_id = sh.id) ORDER BY id",
                    (source_id,),
                ):
                    self.log_event(REDACTION_EVENT, source_id=source_id, item_id=share["item_id"],
                                   draft_id=share["draft_id"], share_id=share["id"])

    def _rename_in_last_refresh(self, old_name: str, new_name: str) -> None:
        stored = self.get_meta(LAST_REFRESH_META_KEY)
        report = json_value(stored, None)
        if not isinstance(report, dict) or not isinstance(report.get("errors"), list):
            return
        for error in report["errors"]:
            if isinstance(error, dict) and name_key(str(error.get("source", ""))) == name_key(old_name):
                error["source"] = new_name
        self.set_meta(LAST_REFRESH_META_KEY, json.dumps(report, sort_keys=True))

    def source_activity(self) -> dict[str, SourceActivity]:
        """Per followed source name, its activity, for the follow list at a glance."""
        rows = self.rows(
            """
            SELECT s.name,
                (SELECT MAX(sort_at) FROM items WHERE source_id = s.id) AS last_post_at,
                EXISTS (SELECT 1 FROM feeds WHERE source_id = s.id AND last_fetched_at IS NOT NULL) AS fetched
            FROM sources AS s WHERE s.followed = 1
            """
        )
        return {row["name"]: SourceActivity(row["last_post_at"], bool(row["fetched"])) for row in rows}
