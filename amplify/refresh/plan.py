"""The decisions of a refresh, kept apart from its I/O (after lemon24/reader's updater); every function here is pure.

- `plan_refresh` picks the feeds that are due, in the store's order: a feed that failed waits out a capped
  exponential backoff unless `force`; a feed that moved permanently is asked at its new address, with its stored
  validators.
- `fetch_threads` says how many fetch threads a run needs: no more than its hosts can keep busy, each host getting
  at most `PER_HOST_CONNECTIONS` connections at once.
- `decide_update` turns what came back into a `FeedUpdate`: an unchanged body (same hash) is never parsed, and a
  failure sets the feed's backoff.
"""

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from amplify.clock import from_iso, to_iso
from amplify.types import FeedRecord, FeedUpdate

if TYPE_CHECKING:
    from amplify.fetch import FeedResponse
    from amplify.parse import ParsedFeed

FETCH_THREADS = 8
PER_HOST_CONNECTIONS = 4
BACKOFF_BASE = timedelta(minutes=15)
BACKOFF_CAP = timedelta(hours=24)


@dataclass(frozen=True)
class FeedPlan:
    """One feed to fetch, with what we know of it from the last time."""

    feed_id: int
    source_id: int
    source_name: str
    feed_url: str
    fetch_url: str
    etag: str | None
    last_modified: str | None
    body_hash: str | None
    error_count: int


def plan_refresh(feeds: Iterable[FeedRecord], *, now: datetime, force: bool = False) -> list[FeedPlan]:
    """The feeds to fetch now: every followed feed, except those still backing off after errors (unless
    `force`). A feed that moved permanently is fetched at its new address."""
    plans = []
    for feed in feeds:
        if not force and feed.next_attempt_at and from_iso(feed.next_attempt_at) > now:
            continue
        plans.append(FeedPlan(
            feed_id=feed.id,
            source_id=feed.source_id,
            source_name=feed.source_name,
            feed_url=feed.url,
            fetch_url=feed.moved_to or feed.url,
            etag=feed.etag,
            last_modified=feed.last_modified,
            body_hash=feed.body_hash,
            error_count=feed.error_count or 0,
        ))
    return plans


def host_of(url: str) -> str:
    """The host a URL is fetched from, as the per-host limit counts it."""
    return (urlsplit(url).hostname or "").lower()


def fetch_threads(plans: Sequence[FeedPlan]) -> int:
    """How many fetch threads the run needs: no more than can make progress. With few hosts, extra threads only
    wait on the per-host limit and fight over the GIL."""
    hosts = {host_of(plan.fetch_url) for plan in plans}
    return min(FETCH_THREADS, len(plans), PER_HOST_CONNECTIONS * len(hosts))


def parse_early(plans: Sequence[FeedPlan]) -> bool:
    """Whether a feed was never read before: it will need the parser, so the run starts it while fetching."""
    return any(plan.body_hash is None for plan in plans)


def backoff_delay(error_count: int) -> timedelta:
    """How long a feed that failed `error_count` times in a row waits: 15 min, 30 min, 1 h, ... at most a day."""
    exponent = max(error_count - 1, 0)
    if exponent >= 16:  # beyond this the cap applies anyway, and 2**n stays small
        return BACKOFF_CAP
    return min(BACKOFF_BASE * (2 ** exponent), BACKOFF_CAP)


def body_hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def unchanged(plan: FeedPlan, response: "FeedResponse", digest: str) -> bool:
    """Not modified, or the same bytes as last time (a server without validators): nothing to parse."""
    return response.status == 304 or digest == plan.body_hash


def decide_update(plan: FeedPlan, *, now: datetime, response: "FeedResponse | None" = None,
                  error: str | None = None, status: int | None = None, parsed: "ParsedFeed | None" = None,
                  digest: str | None = None) -> FeedUpdate:
    """What to record for one feed, from what the fetch (and, for a new body, the parse) gave."""
    moved_to = response.moved_to if response is not None else None
    if parsed is not None and parsed.problem:
        error = parsed.problem
    if error is not None:
        count = plan.error_count + 1
        return FeedUpdate(
            feed_id=plan.feed_id, source_id=plan.source_id, status=status if response is None else response.status,
            error=error, error_count=count, next_attempt_at=to_iso(now + backoff_delay(count)), moved_to=moved_to,
        )
    assert response is not None
    return FeedUpdate(
        feed_id=plan.feed_id,
        source_id=plan.source_id,
        status=response.status,
        etag=response.headers.get("etag"),
        last_modified=response.headers.get("last-modified"),
        body_hash=digest,
        title=parsed.title if parsed is not None else None,
        moved_to=moved_to,
        entries=parsed.entries if parsed is not None else None,
    )
