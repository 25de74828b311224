"""Rows for audit tests, written with plain SQL: sources, items, drafts, shares, retractions and refusals.

Shares are inserted directly (tests may do that) so each metric can be checked on hand-made data; the gate's
own tests cover how shares are recorded.
"""

import json
import random
from collections.abc import Sequence
from datetime import datetime, timedelta

from amplify.store import Store

PASSING_CHECKS = [
    {"id": "link_resolves", "label": "The link opens", "severity": "blocking", "passed": True},
    {"id": "centering", "label": "The post is about them, not you", "severity": "advisory", "passed": True},
]


def add_source(
    store: Store,
    name: str,
    *,
    kind: str = "creator",
    tags: Sequence[str] = (),
    labels: Sequence[str] = (),
    statement: str | None = None,
    followed: bool = True,
) -> int:
    with store.transaction():
        cursor = store.execute(
            "INSERT INTO sources (name, url, kind, tags, identity_labels, identity_source, handles, notes,"
            " followed, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (name, f"https://{name.lower().replace(' ', '')}.example", kind, json.dumps(list(tags)),
             json.dumps(list(labels)), statement,
             json.dumps({"mastodon": f"@{name.split()[0].lower()}@x.example"}),
             "met at the market", int(followed), store.now(), store.now()),
        )
    return int(cursor.lastrowid or 0)


def add_item(store: Store, source_id: int, published_at: str, title: str = "A post") -> int:
    with store.adding_items():
        key = store.scalar("SELECT count(*) FROM items") + 1
        cursor = store.execute(
            "INSERT INTO items (source_id, entry_key, url, title, published_at, first_seen_at, sort_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (source_id, f"entry-{key}", f"https://example.org/posts/{key}", title, published_at, published_at,
             published_at),
        )
    return int(cursor.lastrowid or 0)


def add_share(
    store: Store,
    source_id: int,
    shared_at: str,
    *,
    network: str = "mastodon",
    checks: list[dict] | None = None,
    item_id: int | None = None,
    post_url: str | None = None,
) -> int:
    if item_id is None:
        item_id = add_item(store, source_id, shared_at)
    with store.transaction():
        draft = store.execute(
            "INSERT INTO drafts (item_id, state, created_at, updated_at) VALUES (?, 'shared', ?, ?)",
            (item_id, shared_at, shared_at),
        ).lastrowid
        share_id = store._append_share(
            draft_id=draft, item_id=item_id, source_id=source_id, network=network, text="Read this by the creator",
            post_url=post_url, shared_at=shared_at,
            checklist=json.dumps({"checks": checks if checks is not None else PASSING_CHECKS, "attestations": []}),
        )
    return share_id


def retract(store: Store, share_id: int) -> None:
    with store.transaction():
        store.log_event("share_retracted", share_id=share_id, reason="posted by mistake")


def refuse(store: Store, failed: Sequence[str]) -> None:
    with store.transaction():
        store.log_event("share_refused", draft_id=1, failed=list(failed))


def add_year_of_shares(store: Store, now: datetime, *, sources: int = 60, shares: int = 1500, seed: int = 7) -> None:
    """A year of shares over `sources` (a few shared often, many rarely), some with identity labels, and a
    few unshared recent posts from the quiet ones: enough for every chart and list on the Audit page."""
    rng = random.Random(seed)
    labels = ("Black-owned", "woman-owned", "Indigenous-owned", "queer-owned")
    with store.transaction():
        stamp = store.now()
        for number in range(1, sources + 1):
            stated = rng.sample(labels, rng.choice((0, 1, 1, 2)))
            store.execute(
                "INSERT INTO sources (name, kind, tags, identity_labels, identity_source, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (f"Voice {number:02d}", rng.choice(("creator", "business", "organization")),
                 json.dumps(rng.sample(["food", "art", "books", "music"], rng.randint(0, 2))), json.dumps(stated),
                 f"https://voice{number}.example/about" if stated else None, stamp, stamp),
            )
    ids = [row["id"] for row in store.rows("SELECT id FROM sources ORDER BY id")][-sources:]
    weights = [1 / rank for rank in range(1, sources + 1)]
    with store.transaction():  # one commit for the lot; the helpers' transactions join it
        for source_id in rng.choices(ids, weights=weights, k=shares):
            at = now - timedelta(seconds=rng.randint(0, 365 * 86400))
            add_share(store, source_id, at.replace(microsecond=0).isoformat())
        for source_id in ids[-15:]:
            recent = now - timedelta(days=rng.randint(1, 25))
            add_item(store, source_id, recent.replace(microsecond=0).isoformat())
