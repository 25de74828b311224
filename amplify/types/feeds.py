"""What one refresh learned about one feed (`FeedUpdate`, with the `Entry`s parsed from its body), and whether a
link resolves (`LinkProbe`, made by `amplify.fetch`, kept by the share gate)."""

from collections.abc import Sequence
from dataclasses import dataclass

# -- refreshing a feed


@dataclass(frozen=True)
class Entry:
    """One post, normalized and safe to store."""

    key: str
    url: str | None
    title: str
    title_is_derived: bool
    author: str | None
    published_at: str | None
    updated_at: str | None
    summary: str
    content_html: str
    image_url: str | None
    image_alt: str | None
    # The fast path's digest of the markup the entry came from (and what it was read against): a refresh hands the
    # digests it has stored back to the parser, which skips entries a feed sends again unchanged. None otherwise.
    markup_digest: str | None = None


@dataclass(frozen=True)
class FeedUpdate:
    """What one refresh learned about one feed. `entries` is None when nothing was parsed (304, an unchanged
    body, or a failure); `error` is None on success."""

    feed_id: int
    source_id: int
    status: int | None
    error: str | None = None
    error_count: int = 0
    next_attempt_at: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None
    title: str | None = None
    moved_to: str | None = None
    entries: Sequence[Entry] | None = None


# -- checking a link


@dataclass(frozen=True)
class LinkProbe:
    """Whether a link resolves: `ok` means a 2xx answer after at most the allowed redirects."""

    url: str
    ok: bool
    status: int | None
    final_url: str | None
    redirects: int
    error: str | None
