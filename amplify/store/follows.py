"""Queries on follow-list imports: where an import from Mastodon or Bluesky has got to, and the accounts it found.

An import is one row of `follow_imports`, keyed by network, account and server: starting the same import again
goes on from its `next_page` (a Mastodon page address or a Bluesky cursor) unless it had finished, in which case
it starts afresh. Each fetched page lands in one transaction with the next page's address, so a stop between
pages loses nothing and repeats nothing.
"""

from collections.abc import Iterable, Mapping
from dataclasses import fields
from typing import Any

from amplify.store.base import StoreBase
from amplify.types import FollowedAccount, FollowImport

IMPORT_COLUMNS = tuple(field.name for field in fields(FollowImport))
ACCOUNT_COLUMNS = tuple(field.name for field in fields(FollowedAccount))


class FollowImportQueries(StoreBase):
    """Mixed into Store; see amplify.store."""

    def follow_import(self, network: str, account: str, server: str) -> FollowImport | None:
        """The import of `account`'s follow list on `server`, finished or not; None when there is none."""
        return self._follow_import("network = ? AND account = ? AND server = ?", (network, account, server))

    def follow_import_by_id(self, import_id: int) -> FollowImport | None:
        return self._follow_import("id = ?", (import_id,))

    def _follow_import(self, condition: str, params: tuple[Any, ...]) -> FollowImport | None:
        found = self.row(f"SELECT {', '.join(IMPORT_COLUMNS)} FROM follow_imports WHERE {condition}", params)
        return FollowImport(**found) if found is not None else None

    def start_follow_import(self, network: str, account: str, server: str, *, account_id: str | None,
                            expected: int | None, first_page: str | None) -> int:
        """A fresh import (an earlier one of the same list is replaced, with the accounts it found)."""
        now = self.now()
        with self.transaction():
            self.execute(
                "DELETE FROM follow_import_accounts WHERE import_id IN (SELECT id FROM follow_imports "
                "WHERE network = ? AND account = ? AND server = ?)", (network, account, server),
            )
            self.execute("DELETE FROM follow_imports WHERE network = ? AND account = ? AND server = ?",
                         (network, account, server))
            cursor = self.execute(
                "INSERT INTO follow_imports (network, account, server, account_id, expected, next_page, "
                "started_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (network, account, server, account_id, expected, first_page, now, now),
            )
            return int(cursor.lastrowid or 0)

    def save_follow_page(self, import_id: int, accounts: Iterable[Mapping[str, Any]],
                         next_page: str | None) -> int:
        """Store one page of accounts and where the next page is (None: this was the last one), atomically.
        An account already stored (a page asked twice) is kept once. Returns how many accounts the import has."""
        with self.transaction():
            position = int(self.scalar(
                "SELECT COALESCE(MAX(position), -1) + 1 FROM follow_import_accounts WHERE import_id = ?",
                (import_id,)))
            for offset, account in enumerate(accounts):
                self.execute(
                    f"INSERT OR IGNORE INTO follow_import_accounts (import_id, position, {', '.join(ACCOUNT_COLUMNS)})"
                    f" VALUES (?, ?, {', '.join('?' for _ in ACCOUNT_COLUMNS)})",
                    (import_id, position + offset, *(account.get(column) for column in ACCOUNT_COLUMNS)),
                )
            fetched = int(self.scalar("SELECT COUNT(*) FROM follow_import_accounts WHERE import_id = ?",
                                      (import_id,)))
            self.execute(
                "UPDATE follow_imports SET next_page = ?, state = ?, fetched = ?, note = NULL, updated_at = ? "
                "WHERE id = ?",
                (next_page, "fetching" if next_page is not None else "fetched", fetched, self.now(), import_id),
            )
            if next_page is None:
                network = self.scalar("SELECT network FROM follow_imports WHERE id = ?", (import_id,))
                self.log_event("follows_fetched", network=network, accounts=fetched)
        return fetched

    def note_follow_import(self, import_id: int, note: str | None) -> None:
        """Why an import stopped before its end (a rate limit, a network error), shown when it is resumed."""
        with self.transaction():
            self.execute("UPDATE follow_imports SET note = ?, updated_at = ? WHERE id = ?",
                         (note, self.now(), import_id))

    def follow_import_accounts(self, import_id: int) -> list[FollowedAccount]:
        """The accounts an import found, in the order the network listed them."""
        return [FollowedAccount(**{**row, "website_verified": bool(row["website_verified"])}) for row in self.rows(
            f"SELECT {', '.join(ACCOUNT_COLUMNS)} FROM follow_import_accounts WHERE import_id = ? ORDER BY position",
            (import_id,),
        )]
