"""Queries for reach: the append-only `reach` table of snapshots of a share's public counts.

A snapshot is read from the network (`source` 'api') or typed by hand (`typed`); either way it is a new row, never
a changed one (triggers refuse UPDATE, DELETE and REPLACE). Retracted shares are left out of everything here.
Readings that failed are rows of the append-only `reach_failures` table (when, and why in plain words). Which
snapshots are due is decided by `amplify.reach`; this module only stores and reads.
"""

from collections.abc import Iterable, Sequence

from amplify.errors import AmplifyError
from amplify.store.base import StoreBase, marks, not_retracted
from amplify.types import ReachCounts, ReachShare, ReachSnapshot, ShareReach

# The networks whose counts amplify reads itself, and those whose counts the user types.
READ_NETWORKS = ("mastodon", "bluesky")
TYPED_NETWORKS = ("x", "linkedin", "threads")

_SNAPSHOT_COLUMNS = "id, share_id, taken_at, reposts, likes, replies, quotes, source, deleted, post_ref"
_COUNT_NAMES = ("reposts", "likes", "replies", "quotes")


class ReachStoreError(AmplifyError, ValueError):
    """Numbers that cannot be kept as a snapshot; the message says what would work."""


def _latest(where: str) -> str:
    """A `chosen` table: per share, the latest snapshot with numbers (else the latest), and whether the post was
    found deleted."""
    return (
        "WITH chosen AS (SELECT share_id, coalesce(max(id) FILTER (WHERE NOT deleted), max(id)) AS id,"
        f" max(deleted) AS gone FROM reach {where} GROUP BY share_id)"
    )


def _snapshot(row: dict) -> ReachSnapshot:
    return ReachSnapshot(**{**row, "deleted": bool(row["deleted"])})


class ReachQueries(StoreBase):
    """Mixed into Store; see amplify.store."""

    def reach_shares(self) -> list[ReachShare]:
        """Every counted share on a network reach reads (Mastodon, Bluesky) with a post link, with what its
        snapshots read from the network say so far (the last one's time, a deletion, the post's API address), and
        when a reading last failed. A Bluesky post amplify posted itself has its at:// URI (with the DID) from the
        outbox before its first snapshot, so a handle changed since does not lose it."""
        rows = self.rows(
            f"""
            SELECT sh.id AS share_id, sh.network, sh.post_url, sh.shared_at,
                   max(r.taken_at) FILTER (WHERE r.source = 'api') AS last_checked_at,
                   coalesce(max(r.deleted), 0) AS deleted,
                   coalesce((SELECT p.post_ref FROM reach p WHERE p.share_id = sh.id AND p.post_ref IS NOT NULL
                              ORDER BY p.id DESC LIMIT 1),
                            -- posted by amplify: the post's at:// URI, with the DID, as the outbox kept it
                            (SELECT o.post_id FROM outbox o WHERE o.share_id = sh.id AND o.network = 'bluesky'
                               AND sh.network = 'bluesky' AND o.post_id LIKE 'at://did:%'
                             ORDER BY o.id DESC LIMIT 1)) AS post_ref,
                   (SELECT max(f.tried_at) FROM reach_failures f WHERE f.share_id = sh.id) AS last_failed_at
            FROM shares sh LEFT JOIN reach r ON r.share_id = sh.id
            WHERE sh.network IN ({marks(READ_NETWORKS)}) AND sh.post_url IS NOT NULL AND sh.post_url != ''
              AND {not_retracted("sh")}
            GROUP BY sh.id ORDER BY sh.id
            """,
            READ_NETWORKS,
        )
        return [ReachShare(**{**row, "deleted": bool(row["deleted"])}) for row in rows]

    def add_reach(self, counts: Iterable[ReachCounts], *, source: str = "api") -> int:
        """Append one snapshot per `ReachCounts`, all in one transaction, taken now. Returns how many."""
        now = self.now()
        rows = [(c.share_id, now, c.reposts, c.likes, c.replies, c.quotes, source, int(c.deleted), c.post_ref)
                for c in counts]
        if not rows:
            return 0
        with self.transaction():
            self.conn.executemany(
                "INSERT INTO reach (share_id, taken_at, reposts, likes, replies, quotes, source, deleted, post_ref)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
            self.log_event("reach_checked", snapshots=len(rows), source=source,
                           deleted=sum(1 for row in rows if row[7]))
        return len(rows)

    def add_reach_failures(self, failures: Iterable[tuple[int, str]]) -> int:
        """Append one failed reading per `(share_id, reason)`, tried now, so the planner waits before asking again
        and stops after the 30-day milestone. Returns how many."""
        now = self.now()
        rows = [(share_id, now, reason[:500]) for share_id, reason in failures]
        if rows:
            with self.transaction():
                self.conn.executemany("INSERT INTO reach_failures (share_id, tried_at, reason) VALUES (?, ?, ?)", rows)
        return len(rows)

    def reach_failures(self, share_ids: Sequence[int]) -> dict[int, tuple[str, str]]:
        """Each share's last failed reading, `(tried_at, reason)`, when it came after the share's last snapshot read
        from the network (a later success makes it old news)."""
        if not share_ids:
            return {}
        rows = self.rows(
            f"""
            SELECT f.share_id, max(f.id), f.tried_at, f.reason FROM reach_failures f
            WHERE f.share_id IN ({marks(share_ids)})
              AND f.tried_at >= coalesce((SELECT max(r.taken_at) FROM reach r WHERE r.share_id = f.share_id
                                            AND r.source = 'api'), '')
            GROUP BY f.share_id
            """,
            list(share_ids),
        )
        return {row["share_id"]: (row["tried_at"], row["reason"]) for row in rows}

    def add_typed_reach(self, share_id: int, **counts: int | None) -> None:
        """Keep the numbers the user typed for a share (any of reposts, likes, replies, quotes) as a snapshot
        marked as typed by hand. Refused for a retracted or unknown share, or for a count below zero."""
        unknown = sorted(set(counts) - set(_COUNT_NAMES))
        if unknown:
            raise ReachStoreError(f"reach keeps {', '.join(_COUNT_NAMES)}, not {', '.join(unknown)}")
        for name, value in counts.items():
            if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
                raise ReachStoreError(f"{name} must be a whole number, 0 or more (got {value!r})")
        if all(value is None for value in counts.values()):
            raise ReachStoreError("type at least one number")
        found = self.scalar(f"SELECT count(*) FROM shares sh WHERE sh.id = ? AND {not_retracted('sh')}", (share_id,))
        if not found:
            raise ReachStoreError(f"there is no counted share {share_id} (it may have been retracted)")
        self.add_reach([ReachCounts(share_id=share_id, **counts)], source="typed")

    def reach_snapshots(self, share_ids: Sequence[int]) -> dict[int, list[ReachSnapshot]]:
        """Every snapshot of these shares, oldest first, by share."""
        found: dict[int, list[ReachSnapshot]] = {share_id: [] for share_id in share_ids}
        if not share_ids:
            return found
        for row in self.rows(
            f"SELECT {_SNAPSHOT_COLUMNS} FROM reach WHERE share_id IN ({marks(share_ids)}) ORDER BY share_id, id",
            list(share_ids),
        ):
            found[row["share_id"]].append(_snapshot(row))
        return found

    def latest_reach(self, share_ids: Sequence[int] | None = None) -> dict[int, ReachSnapshot]:
        """Each share's latest snapshot with numbers (a deleted post's last numbers before it went, marked
        deleted); a post found deleted at its first reading has a snapshot without numbers. All shares when
        `share_ids` is None."""
        where, params = ("", []) if share_ids is None else (f"WHERE share_id IN ({marks(share_ids)})", list(share_ids))
        rows = self.rows(
            f"""
            {_latest(where)}
            SELECT r.id, r.share_id, r.taken_at, r.reposts, r.likes, r.replies, r.quotes, r.source,
                   c.gone AS deleted, r.post_ref
            FROM chosen c JOIN reach r ON r.id = c.id
            """,
            params,
        )
        return {row["share_id"]: _snapshot(row) for row in rows}

    def reach_in_window(self, start: str | None, end: str) -> list[ShareReach]:
        """The counted shares in `[start, end)` that have numbers, with their latest interactions (a deleted post's
        last numbers before it went)."""
        window = "sh.shared_at < ?" if start is None else "sh.shared_at >= ? AND sh.shared_at < ?"
        params = [end] if start is None else [start, end]
        # A window reads only its own shares' snapshots; all time reads them all, without the extra lookup.
        only_counted = "" if start is None else "AND share_id IN (SELECT id FROM counted)"
        rows = self.rows(
            f"""
            WITH counted AS (SELECT sh.id, sh.source_id, sh.network FROM shares sh WHERE {window}
                                AND {not_retracted("sh")}),
            -- With one max(), SQLite takes the other columns from the row that has it: the latest snapshot.
            latest AS (SELECT share_id, max(id),
                              coalesce(reposts, 0) + coalesce(likes, 0) + coalesce(replies, 0)
                                  + coalesce(quotes, 0) AS interactions
                       FROM reach WHERE NOT deleted {only_counted} GROUP BY share_id)
            SELECT c.id AS share_id, c.source_id, c.network, l.interactions,
                   EXISTS (SELECT 1 FROM reach d WHERE d.share_id = c.id AND d.deleted) AS deleted
            FROM counted c JOIN latest l ON l.share_id = c.id
            ORDER BY c.id
            """,
            params,
        )
        return [ShareReach(**{**row, "deleted": bool(row["deleted"])}) for row in rows]
