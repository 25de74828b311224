"""Queries for the daily review: listing, filtering and searching items (`DraftQueries` moves them between states).

Today lists items still to review (`state = 'new'`) or saved for later, newest first by `sort_at`, a page at a
time. Every query is shaped for the indexes in schema.py: the state and date filters run on
`items_state_sort`, the source-side filters (kind, tag, self-described label) resolve first to a set of source
ids over the small `sources` table, and search goes through the FTS5 index. No list or count reads every item.
"""

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from amplify.paging import clamp_page, page_count, page_start
from amplify.store.base import ReviewError, StoreBase, marks
from amplify.types import FilterOptions, ReviewCounts, ReviewItem

REVIEW_VIEWS = ("new", "later")
DEFAULT_PAGE_SIZE = 50
# A word for full-text search: letters or digits (any script), as FTS5's unicode61 tokenizer sees them.
_SEARCH_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class ReviewFilters:
    """What Today shows. Empty tuples and None mean "any"; dates are inclusive UTC days on `sort_at`."""

    view: str = "new"
    source_ids: tuple[int, ...] = ()
    kinds: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()
    since: date | None = None
    until: date | None = None
    search: str = ""

    @property
    def narrowed(self) -> bool:
        """True when anything beyond the view is set (Today's empty state words differ)."""
        return bool(self.source_ids or self.kinds or self.tags or self.labels or self.since or self.until
                    or search_query(self.search))


@dataclass(frozen=True)
class ReviewPage:
    """One page of Today: its items, how many match the filters in all, and where this page is."""

    items: tuple[ReviewItem, ...]
    total: int
    page: int
    page_size: int

    @property
    def page_count(self) -> int:
        return page_count(self.total, self.page_size)

    @property
    def first_number(self) -> int:
        """1-based position of the first item shown (0 when there is none)."""
        return page_start(self.page, self.page_size) + 1 if self.items else 0

    @property
    def last_number(self) -> int:
        return self.first_number + len(self.items) - 1 if self.items else 0


def search_query(text: str) -> str | None:
    """The user's words as a safe FTS5 query, or None when the text has no words at all.

    Each word becomes a quoted phrase, so nothing the user types is FTS syntax; all words are required, and
    the last one also matches as a prefix, so a half-typed word finds something."""
    words = _SEARCH_WORD.findall(text or "")
    if not words:
        return None
    phrases = [f'"{word}"' for word in words]  # \w+ holds no double quote, so no escaping is needed
    phrases[-1] += "*"
    return " ".join(phrases)


class ReviewQueries(StoreBase):
    """Mixed into Store; see amplify.store. Moving an item between states lives with the drafts (queueing
    creates one), in DraftQueries."""

    def today(self, *, filters: ReviewFilters = ReviewFilters(), page: int = 1,
              page_size: int = DEFAULT_PAGE_SIZE) -> ReviewPage:
        """One page of items to review, newest first. A page past the end is clamped to the last one."""
        if filters.view not in REVIEW_VIEWS:
            raise ReviewError(f"unknown view {filters.view!r}; use one of {', '.join(REVIEW_VIEWS)}")
        where, params = self._review_conditions(filters)
        total = int(self.scalar(f"SELECT COUNT(*) FROM items AS i WHERE {where}", params) or 0)
        page_size = max(1, page_size)
        page = clamp_page(page, total, page_size)
        rows = self.rows(
            f"""
            SELECT i.id, i.source_id, s.name AS source_name, s.kind AS source_kind, i.url, i.title, i.author,
                   i.published_at, i.sort_at, i.summary, i.image_url, i.image_alt, i.state
            FROM items AS i JOIN sources AS s ON s.id = i.source_id
            WHERE {where}
            ORDER BY i.sort_at DESC, i.id DESC
            LIMIT ? OFFSET ?
            """,
            (*params, page_size, page_start(page, page_size)),
        )
        return ReviewPage(tuple(ReviewItem(**row) for row in rows), total, page, page_size)

    def _review_conditions(self, filters: ReviewFilters) -> tuple[str, list[Any]]:
        conditions = ["i.state = ?"]
        params: list[Any] = [filters.view]
        if filters.since:
            conditions.append("i.sort_at >= ?")
            params.append(filters.since.isoformat())
        if filters.until:
            # `sort_at` is a full timestamp; everything before the next day's midnight is on the chosen day.
            conditions.append("i.sort_at < ?")
            params.append((filters.until + timedelta(days=1)).isoformat())
        source_ids = self._matching_source_ids(filters)
        if source_ids is not None:
            conditions.append(f"i.source_id IN ({', '.join('?' for _ in source_ids) or 'NULL'})")
            params.extend(source_ids)
        query = search_query(filters.search)
        if query:
            conditions.append("i.id IN (SELECT rowid FROM items_fts WHERE items_fts MATCH ?)")
            params.append(query)
        return " AND ".join(conditions), params

    def _matching_source_ids(self, filters: ReviewFilters) -> list[int] | None:
        """The ids of sources passing the source-side filters, or None when none of those filters is set.

        Resolved over `sources` (a thousand rows, not a hundred thousand) so the items query keeps its index.
        """
        if not (filters.source_ids or filters.kinds or filters.tags or filters.labels):
            return None
        conditions: list[str] = []
        params: list[Any] = []
        if filters.source_ids:
            conditions.append(f"s.id IN ({marks(filters.source_ids)})")
            params.extend(filters.source_ids)
        if filters.kinds:
            conditions.append(f"s.kind IN ({marks(filters.kinds)})")
            params.extend(filters.kinds)
        for column, wanted in (("tags", filters.tags), ("identity_labels", filters.labels)):
            if wanted:
                conditions.append(
                    f"EXISTS (SELECT 1 FROM json_each(s.{column}) AS j WHERE j.value IN ({marks(wanted)}))"
                )
                params.extend(wanted)
        found = self.rows(f"SELECT s.id FROM sources AS s WHERE {' AND '.join(conditions)}", params)
        return [row["id"] for row in found]

    def review_counts(self) -> ReviewCounts:
        """How many items are in each state (for the headline counts)."""
        by_state = {row["state"]: int(row["n"])
                    for row in self.rows("SELECT state, COUNT(*) AS n FROM items GROUP BY state")}
        return ReviewCounts(
            by_state.get("new", 0), by_state.get("later", 0), by_state.get("queued", 0), by_state
        )

    def filter_options(self) -> FilterOptions:
        """Sources, kinds, tags and self-described labels that sources have, for the filter widgets."""
        sources = tuple((row["id"], row["name"]) for row in self.rows(
            "SELECT id, name FROM sources"
            " WHERE followed = 1 OR EXISTS (SELECT 1 FROM items WHERE items.source_id = sources.id)"
            " ORDER BY name COLLATE NOCASE"
        ))
        kinds = tuple(row["kind"] for row in self.rows("SELECT DISTINCT kind FROM sources ORDER BY kind"))
        return FilterOptions(sources, kinds, self._json_values("tags"), self._json_values("identity_labels"))

    def _json_values(self, column: str) -> tuple[str, ...]:
        found = self.rows(
            f"SELECT DISTINCT json_each.value AS value FROM sources, json_each(sources.{column})"
            " WHERE json_each.type = 'text' ORDER BY json_each.value COLLATE NOCASE"
        )
        return tuple(row["value"] for row in found)
