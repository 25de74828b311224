"""Queries for the outbox: each attempt to post a draft to Mastodon or Bluesky (amplify.posting).

A row is written, with the key that makes a retry safe, before the network is called; it moves from `pending` (or
`scheduled`, waiting for its slot) to `sent` once the network answered with the post, and to `recorded` in the
same transaction that appends the share. `failed` means the network refused it: nothing went out. At most one
row per draft and network is open (scheduled, pending or sent): the database refuses a second.

A process works on a row only once it has claimed it (`claimed_by`, `claimed_at`; amplify.posting decides when an
old claim has lapsed), and every change of state names the state it expects: a row another process moved on
meanwhile is left as it is (`OutboxMoved`).
"""

from typing import Any

from amplify.errors import AmplifyError
from amplify.store.base import StoreBase
from amplify.types import OutboxRow, PostMaterial

OPEN_STATES = ("scheduled", "pending", "sent")
_COLUMNS = ("id, draft_id, network, text_version, text, key, state, account, scheduled_for, post_id, post_url,"
            " share_id, error, created_at, attempted_at, updated_at, checklist, claimed_by, claimed_at")


class OutboxMoved(AmplifyError):
    """Another process moved the row on meanwhile: the change asked for is not made."""


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
                   state: str, account: str | None, scheduled_for: str | None = None,
                   claimant: str | None = None) -> OutboxRow:
        """Write a new attempt (in the caller's transaction when there is one); `pending` ones are attempted now,
        claimed by `claimant`."""
        now = self.now()
        attempted = now if state == "pending" else None
        with self.transaction():
            cursor = self.execute(
                "INSERT INTO outbox (draft_id, network, text_version, text, checklist, key, state, account,"
                " scheduled_for, created_at, attempted_at, updated_at, claimed_by, claimed_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (draft_id, network, text_version, text, checklist, key, state, account, scheduled_for, now,
                 attempted, now, claimant, now if claimant else None),
            )
        found = self.outbox_row(int(cursor.lastrowid or 0))
        assert found is not None
        return found

    def _move(self, outbox_id: int, from_states: tuple[str, ...], changes: str, params: tuple[Any, ...]) -> None:
        """One change to a row in one of `from_states`; OutboxMoved when it is in none of them."""
        marks = ", ".join("?" for _ in from_states)
        with self.transaction():
            cursor = self.execute(f"UPDATE outbox SET {changes}, updated_at = ? WHERE id = ? AND state IN ({marks})",
                                  (*params, self.now(), outbox_id, *from_states))
            if cursor.rowcount != 1:
                current = self.outbox_row(outbox_id)
                state = current.state if current else "gone"
                raise OutboxMoved(f"another amplify moved this post on meanwhile (it is {state} now); it was left as"
                                  " it is")

    def claim_outbox(self, row: OutboxRow, claimant: str) -> bool:
        """Claim `row` for `claimant`, only if it is still as read (its state and its claim, which the caller
        found free or lapsed): exactly one process wins."""
        with self.transaction():
            cursor = self.execute(
                "UPDATE outbox SET claimed_by = ?, claimed_at = ? WHERE id = ? AND state = ? AND claimed_by IS ?"
                " AND claimed_at IS ?",
                (claimant, self.now(), row.id, row.state, row.claimed_by, row.claimed_at),
            )
        return cursor.rowcount == 1

    def release_outbox(self, outbox_id: int, claimant: str) -> None:
        """`claimant` is done with the row (whatever state it is in now)."""
        with self.transaction():
            self.execute("UPDATE outbox SET claimed_by = NULL, claimed_at = NULL WHERE id = ? AND claimed_by = ?",
                         (outbox_id, claimant))

    def outbox_attempt(self, outbox_id: int, *, text_version: int, text: str, checklist: str,
                       account: str | None, from_state: str, claimant: str | None = None) -> OutboxRow:
        """A scheduled row (or a pending one whose key has lapsed) is attempted now, with the text as it is now."""
        now = self.now()
        self._move(outbox_id, (from_state,),
                   "state = 'pending', text_version = ?, text = ?, checklist = ?, account = ?, attempted_at = ?,"
                   " error = NULL, claimed_by = ?, claimed_at = ?",
                   (text_version, text, checklist, account, now, claimant, now if claimant else None))
        found = self.outbox_row(outbox_id)
        assert found is not None
        return found

    def outbox_sent(self, outbox_id: int, *, post_id: str, post_url: str) -> None:
        self._move(outbox_id, ("pending",), "state = 'sent', post_id = ?, post_url = ?, error = NULL",
                   (post_id, post_url))

    def outbox_recorded(self, outbox_id: int, share_id: int) -> None:
        self._move(outbox_id, ("sent",), "state = 'recorded', share_id = ?", (share_id,))

    def outbox_failed(self, outbox_id: int, error: str, *, from_state: str = "pending") -> None:
        """The network refused it, or the gate no longer passes: nothing went out."""
        self._move(outbox_id, (from_state,), "state = 'failed', error = ?", (error,))

    def outbox_reschedule(self, outbox_id: int, error: str) -> None:
        """A scheduled post the network did not take yet (a rate limit) waits for the next run, its slot kept."""
        self._move(outbox_id, ("pending",), "state = 'scheduled', attempted_at = NULL, error = ?", (error,))

    def outbox_note(self, outbox_id: int, error: str) -> None:
        """Why an open attempt is not settled yet (its state stays)."""
        self._move(outbox_id, OPEN_STATES, "error = ?", (error,))

    def cancel_scheduled(self, outbox_id: int) -> None:
        """Take a scheduled post off the schedule (it never reached the network)."""
        with self.transaction():
            self.execute("DELETE FROM outbox WHERE id = ? AND state = 'scheduled'", (outbox_id,))

    def post_material(self, draft_id: int) -> PostMaterial:
        found = self.row(
            "SELECT i.title, i.summary FROM drafts d JOIN items i ON i.id = d.item_id WHERE d.id = ?", (draft_id,)
        )
        return PostMaterial(found["title"], found["summary"]) if found else PostMaterial("", "")
