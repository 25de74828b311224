"""Queries for drafts: one per queued item, with a text per network, kept in the user's queue order.

An item has at most one open draft. Creating a draft queues the item; discarding one marks the item skipped
(the user looked at it and chose not to share it, so it should not come back as unreviewed).
Each network's text carries a `version` that only ever grows, so an attestation given for one text never
counts for another, even when a network is removed and added again or a text is edited back to earlier words.
"""

from collections.abc import Iterable, Sequence
from typing import Any

from amplify.errors import AmplifyError
from amplify.store.base import REVIEW_STATES, ReviewError, StoreBase, marks, with_json
from amplify.types import Draft, DraftPost

DRAFT_STATES = ("open", "shared", "discarded")

_DRAFT_COLUMNS = """
    d.id, d.item_id, d.position, d.state, d.alt_text, d.created_at, d.updated_at,
    i.source_id, i.url AS item_url, i.title AS item_title, i.author AS item_author, i.summary AS item_summary,
    i.published_at AS item_published_at, i.image_url AS item_image_url, i.image_alt AS item_image_alt,
    i.state AS item_state,
    s.name AS source_name, s.url AS source_url, s.kind AS source_kind, s.handles AS source_handles,
    s.credit AS source_credit, s.domains AS source_domains, s.tags AS source_tags
"""
_DRAFT_JOIN = "drafts d JOIN items i ON i.id = d.item_id JOIN sources s ON s.id = i.source_id"


def _draft(row: dict[str, Any]) -> Draft:
    """A `Draft` from a row of `_DRAFT_COLUMNS`."""
    decoded = with_json(row, source_handles={}, source_domains=[], source_tags=[])
    assert decoded is not None
    return Draft(**{**decoded, "source_domains": tuple(decoded["source_domains"]),
                    "source_tags": tuple(decoded["source_tags"])})


class DraftError(AmplifyError, ValueError):
    """A draft action that cannot be done; the message says why and what to do instead."""


class DraftQueries(StoreBase):
    """Mixed into Store; see amplify.store."""

    def create_draft(self, item_id: int, networks: Sequence[str]) -> int:
        """Queue an item: its open draft's id, created at the end of the queue when there is none yet.

        Calling it again for the same item returns the same draft and changes nothing, so a double click or a
        second tab cannot make two drafts.
        """
        chosen = _clean_networks(networks)
        with self.transaction():
            item = self.row("SELECT id, source_id, state, image_alt FROM items WHERE id = ?", (item_id,))
            if item is None:
                raise DraftError(f"item {item_id} does not exist; refresh the page and pick it again")
            existing = self.scalar(
                "SELECT id FROM drafts WHERE item_id = ? AND state = 'open' ORDER BY id LIMIT 1", (item_id,)
            )
            if existing is not None:
                return int(existing)
            if item["state"] == "shared":
                raise DraftError(f"item {item_id} is already shared; see History to share it again elsewhere")
            now = self.now()
            position = self.scalar("SELECT COALESCE(MAX(position), 0) + 1 FROM drafts WHERE state = 'open'")
            # The feed's own image description starts the alt text; the user can edit it in the composer.
            alt_text = " ".join((item["image_alt"] or "").split()) or None
            draft_id = int(
                self.execute(
                    "INSERT INTO drafts (item_id, position, state, alt_text, created_at, updated_at)"
                    " VALUES (?, ?, 'open', ?, ?, ?)",
                    (item_id, position, alt_text, now, now),
                ).lastrowid
                or 0
            )
            for network in chosen:
                self._insert_post(draft_id, network, now)
            self.execute(
                "UPDATE items SET state = 'queued', state_changed_at = ? WHERE id = ? AND state != 'queued'",
                (now, item_id),
            )
            self.log_event(
                "draft_created", source_id=item["source_id"], item_id=item_id, draft_id=draft_id,
                networks=list(chosen), previous_state=item["state"],
            )
        return draft_id

    def drafts(self, state: str = "open") -> list[Draft]:
        """Drafts in one state with their item and source, in queue order (first position first); the source's
        handles, domains and tags decoded."""
        if state not in DRAFT_STATES:
            raise DraftError(f"unknown draft state {state!r}; use one of {', '.join(DRAFT_STATES)}")
        return [_draft(row) for row in self.rows(
            f"SELECT {_DRAFT_COLUMNS} FROM {_DRAFT_JOIN} WHERE d.state = ? ORDER BY d.position, d.id",
            (state,),
        )]

    def draft(self, draft_id: int) -> Draft | None:
        """One draft with its item and source (as `drafts` gives them), or None."""
        found = self.row(f"SELECT {_DRAFT_COLUMNS} FROM {_DRAFT_JOIN} WHERE d.id = ?", (draft_id,))
        return _draft(found) if found is not None else None

    def draft_posts(self, draft_id: int) -> dict[str, DraftPost]:
        """The draft's text per chosen network, in the order the networks were chosen."""
        found = self.rows(
            "SELECT network, text, version, template, updated_at FROM draft_posts"
            " WHERE draft_id = ? ORDER BY rowid",
            (draft_id,),
        )
        return {post["network"]: DraftPost(**post) for post in found}

    def save_post_text(self, draft_id: int, network: str, text: str, template: str | None = None) -> int:
        """Store one network's text (and the template it came from, when given); returns the text's version.

        The version grows only when the text changes: saving the same words again keeps the attestations given
        for them.
        """
        with self.transaction():
            draft = self._open_draft(draft_id)
            post = self.row(
                "SELECT text, version, template FROM draft_posts WHERE draft_id = ? AND network = ?",
                (draft_id, network),
            )
            if post is None:
                raise DraftError(f"draft {draft_id} has no {network} post; choose {network} for it first")
            text_changed = post["text"] != text
            template_changed = template is not None and template != post["template"]
            if not text_changed and not template_changed:
                return int(post["version"])
            version = int(post["version"]) + (1 if text_changed else 0)
            now = self.now()
            self.execute(
                "UPDATE draft_posts SET text = ?, version = ?, template = COALESCE(?, template),"
                " updated_at = ? WHERE draft_id = ? AND network = ?",
                (text, version, template, now, draft_id, network),
            )
            self._touch(draft_id, now)
            self.log_event(
                "draft_edited", item_id=draft["item_id"], draft_id=draft_id, network=network, version=version,
                template=template or post["template"], text_changed=text_changed,
            )
        return version

    def set_draft_networks(self, draft_id: int, networks: Sequence[str]) -> None:
        """Choose the networks a draft is for. A removed network's text is kept in the event log."""
        chosen = _clean_networks(networks)
        with self.transaction():
            draft = self._open_draft(draft_id)
            current = self.draft_posts(draft_id)
            added = [network for network in chosen if network not in current]
            removed = {network: post.text for network, post in current.items() if network not in chosen}
            if not added and not removed:
                return
            now = self.now()
            for network in removed:
                self.execute(
                    "DELETE FROM draft_posts WHERE draft_id = ? AND network = ?", (draft_id, network)
                )
            for network in added:
                self._insert_post(draft_id, network, now)
            self._touch(draft_id, now)
            # Taking away the last network not yet shared finishes the draft, as sharing the last one does.
            finished = self.every_network_shared(draft_id)
            if finished:
                self.execute("UPDATE drafts SET state = 'shared' WHERE id = ?", (draft_id,))
            self.log_event(
                "draft_networks_changed", item_id=draft["item_id"], draft_id=draft_id, networks=list(chosen),
                added=added, removed_texts=removed, finished=finished,
            )

    def set_alt_text(self, draft_id: int, alt_text: str) -> None:
        """The description of the item's image for people who cannot see it (empty clears it)."""
        alt_text = alt_text.strip()
        with self.transaction():
            draft = self._open_draft(draft_id)
            if (draft["alt_text"] or "") == alt_text:
                return
            self.execute(
                "UPDATE drafts SET alt_text = ?, updated_at = ? WHERE id = ?",
                (alt_text or None, self.now(), draft_id),
            )
            self.log_event(
                "draft_alt_text_set", item_id=draft["item_id"], draft_id=draft_id, alt_text=alt_text
            )

    def move_draft(self, draft_id: int, direction: int) -> bool:
        """Swap a draft with its neighbour in the queue: -1 moves it up, +1 down. False at either end."""
        if direction not in (-1, 1):
            raise DraftError(f"move a draft by -1 (up) or +1 (down), not {direction}")
        with self.transaction():
            draft = self._open_draft(draft_id)
            in_order = self.rows("SELECT id FROM drafts WHERE state = 'open' ORDER BY position, id")
            queue = [row["id"] for row in in_order]
            here = queue.index(draft_id)
            there = here + direction
            if not 0 <= there < len(queue):
                return False
            queue[here], queue[there] = queue[there], queue[here]
            # Renumber the whole queue (it is short): positions that tie, from two tabs queueing at once,
            # become distinct, so every later move is a clean swap.
            now = self.now()
            for position, moved_id in enumerate(queue, start=1):
                self.execute(
                    "UPDATE drafts SET position = ?, updated_at = ? WHERE id = ? AND position != ?",
                    (position, now, moved_id, position),
                )
            self.log_event(
                "draft_moved", item_id=draft["item_id"], draft_id=draft_id, direction=direction,
                swapped_with=queue[here],
            )
        return True

    def discard_draft(self, draft_id: int) -> None:
        """Take a draft out of the queue; its item becomes skipped. The texts stay in the database."""
        with self.transaction():
            draft = self._open_draft(draft_id)
            now = self.now()
            self.execute(
                "UPDATE drafts SET state = 'discarded', updated_at = ? WHERE id = ?", (now, draft_id)
            )
            self.execute(
                "UPDATE items SET state = 'skipped', state_changed_at = ? WHERE id = ? AND state = 'queued'",
                (now, draft["item_id"]),
            )
            self.log_event("draft_discarded", item_id=draft["item_id"], draft_id=draft_id)

    # -- moving items between review states (queueing creates a draft, leaving the queue discards it) -----

    def set_item_state(self, item_id: int, state: str, *, networks: Sequence[str] | None = None) -> None:
        """Move one item to `state` (queued, skipped, later, or back to new), recording it in `events`.

        Queueing creates the item's draft for `networks` (required then). Leaving the queue discards the open
        draft, so the Queue never shows an item the user took back. Repeating an action changes nothing.
        """
        self.set_state_for([item_id], state, networks=networks)

    def set_state_for(self, item_ids: Iterable[int], state: str, *,
                      networks: Sequence[str] | None = None) -> int:
        """Move several items at once ("skip all shown"), in one transaction; returns how many changed.

        Unknown ids and shared items raise ReviewError and nothing changes."""
        if state not in REVIEW_STATES:
            raise ReviewError(f"an item can be moved to {', '.join(REVIEW_STATES)}, not {state!r}")
        if state == "queued" and not networks:
            raise ReviewError("choose at least one network to draft for before queueing")
        wanted = list(dict.fromkeys(int(item_id) for item_id in item_ids))
        changed = 0
        with self.transaction():
            found = {row["id"]: row for row in self.rows(
                f"SELECT id, source_id, state FROM items WHERE id IN ({marks(wanted)})", wanted
            )} if wanted else {}
            missing = [item_id for item_id in wanted if item_id not in found]
            if missing:
                raise ReviewError(f"no item with id {', '.join(map(str, missing))}; reload the page")
            shared = [item_id for item_id in wanted if found[item_id]["state"] == "shared"]
            if shared:
                raise ReviewError(f"item {', '.join(map(str, shared))} is already shared; see History")
            for item_id in wanted:
                if self._move_item(found[item_id], state, networks, bulk=len(wanted) > 1):
                    changed += 1
        return changed

    def _move_item(self, item: dict[str, Any], state: str, networks: Sequence[str] | None, *,
                   bulk: bool) -> bool:
        previous = item["state"]
        if previous == state:
            return False
        draft_id = None
        if previous == "queued":
            for open_draft in self.rows(
                "SELECT id FROM drafts WHERE item_id = ? AND state = 'open'", (item["id"],)
            ):
                self.discard_draft(open_draft["id"])
        if state == "queued":
            draft_id = self.create_draft(item["id"], networks or ())
        self.execute(
            "UPDATE items SET state = ?, state_changed_at = ? WHERE id = ?", (state, self.now(), item["id"])
        )
        self.log_event(
            "item_state_changed", source_id=item["source_id"], item_id=item["id"], draft_id=draft_id,
            previous_state=previous, state=state, **({"bulk": True} if bulk else {}),
        )
        return True

    # -- helpers ---------------------------------------------------------------------------------------------

    def _open_draft(self, draft_id: int) -> dict[str, Any]:
        draft = self.row(
            "SELECT id, item_id, position, state, alt_text FROM drafts WHERE id = ?", (draft_id,)
        )
        if draft is None:
            raise DraftError(f"draft {draft_id} does not exist; reload the Queue page")
        if draft["state"] != "open":
            raise DraftError(f"draft {draft_id} is already {draft['state']}; it can no longer be changed")
        return draft

    def _insert_post(self, draft_id: int, network: str, now: str) -> None:
        # A network that comes back continues past every version attested before: no old attestation applies.
        version = self.scalar(
            "SELECT COALESCE(MAX(text_version), 0) + 1 FROM attestations WHERE draft_id = ? AND network = ?",
            (draft_id, network),
        )
        self.execute(
            "INSERT INTO draft_posts (draft_id, network, text, version, updated_at) VALUES (?, ?, '', ?, ?)",
            (draft_id, network, version, now),
        )

    def _touch(self, draft_id: int, now: str) -> None:
        self.execute("UPDATE drafts SET updated_at = ? WHERE id = ?", (now, draft_id))


def _clean_networks(networks: Sequence[str]) -> tuple[str, ...]:
    if isinstance(networks, str):
        raise DraftError("pass networks as a list of names, such as ['mastodon', 'bluesky']")
    chosen = tuple(dict.fromkeys(network.strip().lower() for network in networks if network.strip()))
    if not chosen:
        raise DraftError("choose at least one network to draft for")
    return chosen
