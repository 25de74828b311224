"""Sources and items for review tests and the UI benchmark, written with the store's own `execute`.

`add_source` / `add_item` make one row each with readable defaults; `fill` makes many at once (executemany,
one transaction), fast enough for 100,000 items.
"""

import json
from collections.abc import Sequence
from datetime import datetime, timedelta

from amplify.clock import to_iso
from amplify.store import Store

KINDS = ("creator", "business", "organization")


def add_source(store: Store, name: str, *, kind: str = "creator", tags: Sequence[str] = (),
               labels: Sequence[str] = (), statement: str | None = None, followed: bool = True) -> int:
    slug = "".join(character for character in name.lower() if character.isalnum()) or "source"
    with store.transaction():
        cursor = store.execute(
            "INSERT INTO sources (name, url, kind, tags, identity_labels, identity_source, followed,"
            " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (name, f"https://{slug}.example", kind, json.dumps(list(tags)), json.dumps(list(labels)),
             statement or (f"https://{slug}.example/about" if labels else None), int(followed), store.now(),
             store.now()),
        )
    return int(cursor.lastrowid or 0)


def add_item(store: Store, source_id: int, *, title: str = "A new post",
             sort_at: datetime | str | None = None, summary: str = "",
             url: str | None = "https://example.org/post", author: str | None = None,
             image_url: str | None = None, image_alt: str | None = None, state: str = "new",
             published: bool = True) -> int:
    when = sort_at if isinstance(sort_at, str) else to_iso(sort_at or store.clock())
    with store.adding_items():
        key = int(store.scalar("SELECT COALESCE(MAX(id), 0) + 1 FROM items"))
        cursor = store.execute(
            "INSERT INTO items (source_id, entry_key, url, title, author, published_at, summary, image_url,"
            " image_alt, first_seen_at, sort_at, state) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (source_id, f"entry-{key}", url, title, author, when if published else None, summary, image_url,
             image_alt, when, when, state),
        )
    return int(cursor.lastrowid or 0)


def fill(store: Store, *, sources: int, items: int, newest: datetime, tag_count: int = 12,
         label_count: int = 6) -> list[int]:
    """`sources` sources with kinds, tags and self-described labels spread over them, and `items` items spread
    over the sources, one an hour going back from `newest`. Returns the source ids."""
    now = store.now()
    labels = [f"label-{number}" for number in range(label_count)]
    source_rows = [
        (f"Source {number:04d}", f"https://source{number}.example", KINDS[number % len(KINDS)],
         json.dumps([f"tag-{number % tag_count}", f"tag-{(number * 7 + 3) % tag_count}"]),
         json.dumps([labels[number % label_count]] if number % 2 else []),
         f"https://source{number}.example/about" if number % 2 else None, now, now)
        for number in range(sources)
    ]
    with store.adding_items():
        store.conn.executemany(
            "INSERT INTO sources (name, url, kind, tags, identity_labels, identity_source, created_at,"
            " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            source_rows,
        )
        source_ids = [row["id"] for row in store.rows("SELECT id FROM sources ORDER BY id")][-sources:]
        words = ("bakery", "poetry", "zine", "market", "studio", "garden", "workshop", "podcast", "mural",
                 "quilt")

        def item_row(number: int) -> tuple[object, ...]:
            when = to_iso(newest - timedelta(hours=number))
            source_index = number % sources
            word = words[number % len(words)]
            return (source_ids[source_index], f"bulk-{number}", f"https://source{source_index}.example/posts/{number}",
                    f"Post {number} about the {word}", f"A short note about the {word}, number {number}.",
                    when, when, when)

        store.conn.executemany(
            "INSERT INTO items (source_id, entry_key, url, title, summary, published_at, first_seen_at,"
            " sort_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (item_row(number) for number in range(items)),
        )
    return source_ids
