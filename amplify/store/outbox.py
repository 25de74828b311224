"""Queries for the outbox: each attempt to post a draft to Mastodon or Bluesky (amplify.posting).

A row is written, with the key that makes a retry safe, before the network is called; it moves from `pending` (or
`scheduled`, waiting for its slot) to `sent` once the network answered with the post, and to `recorded` in the
same transaction that appends the share. `failed` means the network refused it: nothing went out. At most one
row per draft and network is open (scheduled, pending or sent): the database refuses a second.
"""

from typing import Any

from amplify.store.base import StoreBase
from amplify.types import OutboxRow, PostMaterial

OPEN_STATES = ("scheduled", "pending", "sent")
_COLUMNS = ("id, draft_id, network, text_version, text, key, state, account, scheduled_for, post_id, post_url,"
            " share_id, error, created_at, attempted_at, updated_at, checklist")


def _row(found: dict[str, Any] | None) -> OutboxRow | None:
    return OutboxRow(**found) if found is not None else None


class OutboxQueries(StoreBase):
    """Mixed into Store; see amplify.store."""

    def outbox_row(self, outbox_id: int) -> OutboxRow | None:
        return _row(self.row(f"SELECT {_COLUMNS} FROM outbox WHERE id = ?", (outbox_id,)))

    def open_outbox(self, draft_id: int, network: str) -> OutboxRow | None:
        """The draft's open attempt on `network` (scheduled, pending or sent), or None."""
        return _row(self.row(
            f"SELECT {_COLUMNS} FROM outbox WHERE draft_id = ? AND network = ? AND state IN {OPEN_STATES}",
            (draft_id, network),
        ))

    def outbox_rows(self, *states: str, due_by: str | None = None) -> list[OutboxRow]:
        """Rows in any of `states`, oldest first; with `due_by`, only those scheduled for then or before."""
        marks = ", ".join("?" for _ in states)
        due = " AND scheduled_for <= ?" if due_by is not None else ""
        params = (*states, due_by) if due_by is not None else states
        return [OutboxRow(**found) for found in self.rows(
            f"SELECT {_COLUMNS} FROM outbox WHERE state IN ({marks}){due} ORDER BY coalesce(scheduled_for, created_at),"
            " id", params,
        )]

    def add_outbox(self, draft_id: int, network: str, *, text_version: int, text: str, checklist: str, key: str,
                   state: str, account: str | None, scheduled_for: str | None = None) -> OutboxRow:
        """Write a new attempt (in the caller's transaction when there is one); `pending` ones are attempted now."""
        now = self.now()
        with self.transaction():
            cursor = self.execute(
                "INSERT INTO outbox (draft_id, network, text_version, text, checklist, key, state, account,"
                " scheduled_for, created_at, attempted_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (draft_id, network, text_version, text, checklist, key, state, account, scheduled_for, now,
                 now if state == "pending" else None, now),
            )
        found = self.outbox_row(int(cursor.lastrowid or 0))
        assert found is not None
        return found

    def outbox_attempt(self, outbox_id: int, *, text_version: int, text: str, checklist: str,
                       account: str | None, from_state: str) -> OutboxRow:
        """A scheduled row (or a pending one whose key has lapsed) is attempted now, with the text as it is now."""
        now = self.now()
        with self.transaction():
            self.execute(
                "UPDATE outbox SET state = 'pending', text_version = ?, text = ?, checklist = ?, account = ?,"
                " attempted_at = ?, error = NULL, updated_at = ? WHERE id = ? AND state = ?",
                (text_version, text, checklist, account, now, now, outbox_id, from_state),
            )
        found = self.outbox_row(outbox_id)
        assert found is not None
        return found

    def outbox_sent(self, outbox_id: int, *, post_id: str, post_url: str) -> None:
        with self.transaction():
            self.execute(
                "UPDATE outbox SET state = 'sent', post_id = ?, post_url = ?, error = NULL, updated_at = ?"
                " WHERE id = ?",
                (post_id, post_url, self.now(), outbox_id),
            )

    def outbox_recorded(self, outbox_id: int, share_id: int) -> None:
        with self.transaction():
            self.execute("UPDATE outbox SET state = 'recorded', share_id = ?, updated_at = ? WHERE id = ?",
                         (share_id, self.now(), outbox_id))

    def outbox_failed(self, outbox_id: int, error: str) -> None:
        """The network refused it, or the gate no longer passes: nothing went out."""
        with self.transaction():
            self.execute("UPDATE outbox SET state = 'failed', error = ?, updated_at = ? WHERE id = ?",
                         (error, self.now(), outbox_id))

    def outbox_note(self, outbox_id: int, error: str) -> None:
        """Why an open attempt is not settled yet (its state stays)."""
        with self.transaction():
            self.execute("UPDATE outbox SET error = ?, updated_at = ? WHERE id = ?", (error, self.now(), outbox_id))

    def cancel_scheduled(self, outbox_id: int) -> None:
        """Take a scheduled post off the schedule (it never reached the network)."""
        with self.transaction():
            self.execute("DELETE FROM outbox WHERE id = ? AND state = 'scheduled'", (outbox_id,))

    def post_material(self, draft_id: int) -> PostMaterial:
        found = self.row(
            "SELECT i.title, i.summary FROM drafts d JOIN items i ON i.id = d.item_id WHERE d.id = ?", (draft_id,)
        )
        return PostMaterial(found["title"], found["summary"]) if found else PostMaterial("", "")
