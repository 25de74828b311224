"""Queries on connected accounts: one row a network in `accounts`, never a secret (amplify.secrets keeps those).

Connecting again replaces the row; disconnecting deletes it. Each is logged as an event naming the network and
the handle, nothing more.
"""

import json
from dataclasses import asdict, fields
from typing import Any

from amplify.store.base import StoreBase, json_object
from amplify.types import Account, InstanceRules

_RULE_FIELDS = {field.name for field in fields(InstanceRules)}


class AccountQueries(StoreBase):
    """Mixed into Store; see amplify.store."""

    def account(self, network: str) -> Account | None:
        """The account connected on `network`, or None."""
        return _account(self.row("SELECT * FROM accounts WHERE network = ?", (network,)))

    def accounts(self) -> list[Account]:
        """Every connected account, by network."""
        return [account for row in self.rows("SELECT * FROM accounts ORDER BY network")
                if (account := _account(row)) is not None]

    def save_account(self, account: Account) -> None:
        """Connect `account` on its network, in place of any account connected there before."""
        rules = json.dumps(asdict(account.rules), sort_keys=True) if account.rules is not None else None
        with self.transaction():
            self.execute(
                "INSERT OR REPLACE INTO accounts (network, server, handle, did, account_id, display_name, "
                "connected_at, rules, rules_checked_at, secret_from) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (account.network, account.server, account.handle, account.did, account.account_id,
                 account.display_name, account.connected_at, rules, account.rules_checked_at, account.secret_from),
            )
            self.log_event("account_connected", network=account.network, handle=account.handle)

    def save_account_rules(self, network: str, rules: InstanceRules, checked_at: str) -> None:
        """The server's rules for a post, as read at `checked_at`."""
        with self.transaction():
            self.execute("UPDATE accounts SET rules = ?, rules_checked_at = ? WHERE network = ?",
                         (json.dumps(asdict(rules), sort_keys=True), checked_at, network))

    def remove_account(self, network: str) -> bool:
        """Disconnect `network`; False when nothing was connected there."""
        with self.transaction():
            handle = self.scalar("SELECT handle FROM accounts WHERE network = ?", (network,))
            if handle is None:
                return False
            self.execute("DELETE FROM accounts WHERE network = ?", (network,))
            self.log_event("account_disconnected", network=network, handle=handle)
        return True


def _account(row: dict[str, Any] | None) -> Account | None:
    if row is None:
        return None
    stored = json_object(row["rules"]) if row["rules"] else None
    rules = InstanceRules(**{key: value for key, value in stored.items() if key in _RULE_FIELDS}) \
        if stored is not None else None
    return Account(network=row["network"], server=row["server"], handle=row["handle"], did=row["did"],
                   account_id=row["account_id"], display_name=row["display_name"],
                   connected_at=row["connected_at"], rules=rules, rules_checked_at=row["rules_checked_at"],
                   secret_from=row["secret_from"])
