"""Refresh: follow list -> fetch -> parse -> store, for every feed that is due.

The pipeline keeps decisions apart from I/O, after lemon24/reader's updater:
- `plan` (pure) picks the feeds that are due, how many fetch threads they need, and what to record for each feed
  from what came back (`decide_update`): an unchanged body (same hash) is never parsed, a failure backs off.
- `run` fetches on a few threads and parses in a process pool (`pool`), and writes on the calling thread, the
  only one that touches the database, each feed complete in its transaction; the threads report to it with typed
  messages.
A broken or hostile feed only ever costs itself: every failure becomes that feed's error message and backoff.
A refresh where nothing changed starts no process and never loads the parser. A refresh asked to stop (`stop`: the
command sets it on SIGINT or SIGTERM) writes the feeds already complete and returns at once; its parse workers end
with it, and with its process however that ends (amplify/lifetime.py).
"""

import threading
import time
from dataclasses import replace
from typing import TYPE_CHECKING

from amplify.fetch import DEFAULT_LIMITS, FetchLimits, fetch_feed
from amplify.refresh.plan import FeedPlan, backoff_delay, decide_update, plan_refresh
from amplify.refresh.pool import ParsePool, start_parse_pool
from amplify.refresh.report import FeedProblem, RefreshReport
from amplify.refresh.run import FetchFeed, Progress, Run

if TYPE_CHECKING:
    from amplify.store import Store
    from amplify.types import FollowList

__all__ = ["FeedPlan", "FeedProblem", "RefreshReport", "backoff_delay", "decide_update", "plan_refresh", "refresh"]


def refresh(store: "Store", follow_list: "FollowList | None" = None, *, force: bool = False,
            progress: Progress | None = None, limits: FetchLimits = DEFAULT_LIMITS,
            max_items: int | None = None, stop: threading.Event | None = None, fetch: FetchFeed = fetch_feed,
            parse_pool: ParsePool = start_parse_pool) -> RefreshReport:
    """Fetch every due feed and store what is new: the follow list's feeds, synced into the store first, or
    without one, the feeds the store already follows (`amplify.follow.sync.sync_follow_list` brought it in step).
    `progress(done, total, feed_url)` is called after each feed; `max_items` caps the entries read per feed
    (the parser's default when None). Failed feeds are in the report's `errors`;
    nothing here raises for a bad feed. Setting `stop` ends the run early, with what is complete stored.
    `fetch` fetches one feed (`amplify.fetch.fetch_feed`'s shape) and `parse_pool()` starts the executor bodies
    are parsed on, when the first one needs it (`pool.start_parse_pool`: a process a core)."""
    started = time.monotonic()
    if follow_list is not None:
        store.sync_sources(follow_list)
    # feeds.yml's opt-in to this computer and the user's own network (as of the last sync, without a list).
    if (follow_list.settings.allow_private_addresses if follow_list is not None
            else store.synced_allows_private_addresses()):
        limits = replace(limits, allow_private_addresses=True)
    plans = plan_refresh(store.followed_feeds(), now=store.clock(), force=force)
    report = RefreshReport(feeds=len(plans))
    if plans:
        Run(store, plans, report, progress=progress, limits=limits, max_items=max_items,
            stop=stop or threading.Event(), fetch=fetch, parse_pool=parse_pool).go()
    report.seconds = time.monotonic() - started
    store.record_refresh(report.to_dict())
    return report
