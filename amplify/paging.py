"""Page arithmetic, for every list shown a page at a time (Today, History, a follow import). Pages count from 1.

This module imports nothing of amplify's, so the store and the pages can both use it.
"""


def page_count(total: int, size: int) -> int:
    """Pages needed for `total` things, `size` to a page: at least one, as an empty list still shows a page."""
    return max(1, -(-total // max(1, size)))


def clamp_page(page: int, total: int, size: int) -> int:
    """`page` moved into range: a page past the end is the last one, and anything below 1 is the first."""
    return min(max(1, page), page_count(total, size))


def page_start(page: int, size: int) -> int:
    """The 0-based index (an SQL OFFSET) of the first thing on `page`."""
    return (page - 1) * size
