"""Refresh: follow list -> fetch -> parse -> store, for every feed that is due.

The pipeline keeps decisions apart from I/O, after lemon24/reader's updater:
- `plan_refresh` (pure) picks the feeds that are due: a feed that failed waits out a capped exponential backoff
  unless `force`; a feed that moved permanently is asked at its new address, with its stored validators.
- fetching runs on a few threads sharing one client (conditional GET, keep-alive, a few connections per host),
  kept together on one core; measured on the 1000-feed farm, an async pool spends far more CPU per request.
- `decide_update` (pure) turns what came back into a `FeedUpdate`: an unchanged body (same hash) is never parsed.
- parsing runs in a process pool fed with bytes, one worker per core (inline on one core), so the parser's CPU
  cost is spread over the machine; the calling thread writes the results, each feed complete in its transaction.
  With fastfeedparser a feed costs about a millisecond to parse and clean, and the pool still pays in a cold
  refresh: measured on the 1000-feed farm, it costs about 0.5 s more CPU than parsing inline, and takes 1.2 s of
  CPU off the thread that writes, which is what a refresh waits for. It also keeps the native parsers, fed with
  hostile bytes, out of the process that holds the database (docs/benchmarks.md weighs it for churn).
A broken or hostile feed only ever costs itself: every failure becomes that feed's error message and backoff.
A refresh where nothing changed starts no process and never loads the parser. A refresh asked to stop (`stop`: the
command sets it on SIGINT or SIGTERM) writes the feeds already complete and returns at once; its parse workers end
with it, and with its process however that ends (amplify/lifetime.py).
"""

import hashlib
import json
import os
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import BrokenExecutor, Executor, Future
from contextlib import suppress
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timedelta
from queue import Empty, SimpleQueue
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from amplify.clock import from_iso, to_iso
from amplify.fetch import DEFAULT_LIMITS, FeedResponse, FetchError, FetchLimits, fetch_feed, open_client
from amplify.types import FeedRecord, FeedUpdate

if TYPE_CHECKING:
    from amplify.parse import ParsedFeed
    from amplify.store import Store
    from amplify.types import FollowList

Progress = Callable[[int, int, str], None]

FETCH_THREADS = 8
PER_HOST_CONNECTIONS = 4
# Bodies fetched but not yet written (most of them waiting for a parser).
PARSE_BACKLOG = 256
# Feeds written per transaction: each feed complete in it, one commit for many (commits dominate store time).
BATCH_FEEDS = 50
BATCH_SECONDS = 0.5
GATHER_SECONDS = 0.01
BACKOFF_BASE = timedelta(minutes=15)
BACKOFF_CAP = timedelta(hours=24)


@dataclass(frozen=True)
class FeedProblem:
    """One feed that could not be refreshed, and why, in words a user can act on."""

    source: str
    feed: str
    error: str


@dataclass
class RefreshReport:
    """What one refresh did. `feeds` counts the feeds that were due (a feed backing off is not). A `stopped` run
    was asked to end early: its counts are what it stored by then, and the feeds it did not reach wait for the next."""

    feeds: int = 0
    stopped: bool = False
    fetched: int = 0
    not_modified: int = 0
    failed: int = 0
    new_items: int = 0
    seconds: float = 0.0
    errors: list[FeedProblem] = field(default_factory=list)
    # Bodies read by each parse path ("fastfeedparser", "feedparser", "json"; see amplify/parse.py): a feed that
    # moves to feedparser, the slow safety net, shows up here and in the refresh events.
    parsers: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "seconds": round(self.seconds, 3)}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False)


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


# -- the decider (pure) ---------------------------------------------------------------------------------------


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


def backoff_delay(error_count: int) -> timedelta:
    """How long a feed that failed `error_count` times in a row waits: 15 min, 30 min, 1 h, ... at most a day."""
    exponent = max(error_count - 1, 0)
    if exponent >= 16:  # beyond this the cap applies anyway, and 2**n stays small
        return BACKOFF_CAP
    return min(BACKOFF_BASE * (2 ** exponent), BACKOFF_CAP)


def body_hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def decide_update(plan: FeedPlan, *, now: datetime, response: FeedResponse | None = None,
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


# -- the run (I/O at the edges) -------------------------------------------------------------------------------


def refresh(store: "Store", follow_list: "FollowList | None" = None, *, force: bool = False,
            progress: Progress | None = None, limits: FetchLimits = DEFAULT_LIMITS,
            max_items: int | None = None, stop: threading.Event | None = None) -> RefreshReport:
    """Fetch every due feed and store what is new: the follow list's feeds, synced into the store first, or
    without one, the feeds the store already follows (`amplify.follow.sync.sync_follow_list` brought it in step).
    `progress(done, total, feed_url)` is called after each feed; `max_items` caps the entries read per feed
    (the parser's default when None). Failed feeds are in the report's `errors`;
    nothing here raises for a bad feed. Setting `stop` ends the run early, with what is complete stored."""
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
        _Run(store, plans, report, progress, limits, max_items, stop or threading.Event()).go()
    report.seconds = time.monotonic() - started
    store.record_refresh(report.to_dict())
    return report


class _Run:
    """One refresh in flight. Fetch threads each take the next plan, fetch it and, when there is nothing to parse
    (304, same body, an error), decide its update themselves; bodies to parse go to the process pool. Every
    result comes back on one queue to the calling thread, the only one that touches the database, which writes
    them in batches. Measured on the one-host farm, this costs the calling thread far less than a future and a
    `wait()` per feed, and a warm refresh is mostly that per-feed cost."""

    def __init__(self, store: "Store", plans: list[FeedPlan], report: RefreshReport, progress: Progress | None,
                 limits: FetchLimits, max_items: int | None, stop: threading.Event) -> None:
        self.store = store
        self.plans = plans
        self.report = report
        self.progress = progress
        self.limits = limits
        self.max_items = max_items
        self.done = 0
        self.host_slots: dict[str, threading.BoundedSemaphore] = {}
        self.host_slots_lock = threading.Lock()
        self.parser: Executor | None = None
        self.results: SimpleQueue[tuple[Any, ...]] = SimpleQueue()
        # Fetched bodies not yet written: fetching goes on while the parse pool starts, yet a slow parser cannot
        # make bodies pile up in memory.
        self.room = threading.Semaphore(PARSE_BACKLOG)
        self.stop = stop  # asked from outside: end early
        self.stopping = threading.Event()  # told to the fetch threads: take no more feeds
        self.fetching = 0  # fetch threads still running
        self.fetching_lock = threading.Lock()
        self.fetched = threading.Event()  # set by the last fetch thread out: every fetch result is on the queue
        self.batch: list[tuple[FeedPlan, FeedUpdate]] = []
        self.flushed_at = time.monotonic()

    def go(self) -> None:
        todo: SimpleQueue[FeedPlan | None] = SimpleQueue()
        for plan in self.plans:
            todo.put(plan)
        # No more threads than can make progress: with few hosts, extra threads only wait on the per-host limit
        # and fight over the GIL.
        hosts = {(urlsplit(plan.fetch_url).hostname or "").lower() for plan in self.plans}
        threads = min(FETCH_THREADS, len(self.plans), PER_HOST_CONNECTIONS * len(hosts))
        for _ in range(threads):
            todo.put(None)
        # Daemon threads: a run that stops early does not wait for the fetches in flight (each may take up to the
        # total timeout), nor does the process. Whatever they bring back is dropped; the last one out closes the
        # client.
        self.fetching = threads
        client = open_client(self.limits, connections=threads)
        fetchers = [threading.Thread(target=self._fetch_all, args=(client, todo), name=f"amplify-fetch-{number}",
                                     daemon=True) for number in range(threads)]
        try:
            for fetcher in fetchers:
                fetcher.start()
            if any(plan.body_hash is None for plan in self.plans) and not self.stop.is_set():
                self._start_parser()  # a feed never read before will need it: start it while fetching
            while self.done + len(self.batch) < len(self.plans) and not self.stop.is_set():
                with suppress(Empty):  # after a while with nothing new, what is done still gets written
                    self._take(self.results.get(timeout=BATCH_SECONDS))
                while not self.results.empty() and not self.stop.is_set():
                    self._take(self.results.get())
                if self.done + len(self.batch) >= len(self.plans):
                    break  # every feed is in: write the last batch now, not after one more pause
                # Let results gather for a moment instead of waking for each one: every wake-up takes Python's
                # lock from the fetch threads. With nothing sent to parse, the pause ends when the fetching does.
                if self.parser is None:
                    self.fetched.wait(GATHER_SECONDS)
                else:
                    time.sleep(GATHER_SECONDS)
                if len(self.batch) >= BATCH_FEEDS or time.monotonic() - self.flushed_at > BATCH_SECONDS:
                    self._flush()
            self._flush()
            self.report.stopped = self.done < len(self.plans)
        finally:
            self.stopping.set()
            for _ in range(threads):
                self.room.release()  # a thread waiting for room must see `stopping`
            if self.parser is not None:
                self.parser.shutdown(cancel_futures=True)
        if not self.report.stopped:
            for fetcher in fetchers:
                fetcher.join()  # each has taken its end-of-work mark: the client is closed when this returns

    # -- on the fetch threads

    def _fetch_all(self, client: Any, todo: "SimpleQueue[FeedPlan | None]") -> None:
        try:
            _share_one_core()
            while (plan := todo.get()) is not None:
                self.room.acquire()
                if self.stopping.is_set():
                    return
                self.results.put(self._fetch(client, plan))
        except BaseException as error:  # a bug here must stop the run, never leave the writer waiting
            self.results.put(("crashed", None, error))
        finally:
            with self.fetching_lock:
                self.fetching -= 1
                last = self.fetching == 0
            if last:
                self.fetched.set()
                client.close()

    def _fetch(self, client: Any, plan: FeedPlan) -> tuple[Any, ...]:
        """("done", plan, update) when there is nothing to parse, else ("parse", plan, response, digest)."""
        now = self.store.clock
        try:
            # Per-host politeness: at most a few connections to one server, however many of its feeds we follow.
            with self._host_slot(plan.fetch_url):
                response = fetch_feed(client, plan.fetch_url, limits=self.limits, etag=plan.etag,
                                      last_modified=plan.last_modified)
            digest = body_hash(response.body)
        except FetchError as error:
            status = getattr(error, "status", None)
            return "done", plan, decide_update(plan, now=now(), error=error.reason, status=status)
        except Exception as error:  # whatever a hostile server provokes must cost only its own feed
            reason = f"could not be fetched ({type(error).__name__}: {error})"[:300]
            return "done", plan, decide_update(plan, now=now(), error=reason)
        if response.status == 304 or digest == plan.body_hash:
            # Not modified, or the same bytes as last time (a server without validators): nothing to parse.
            return "done", plan, decide_update(plan, now=now(), response=response, digest=digest)
        return "parse", plan, response, digest

    def _host_slot(self, url: str) -> threading.BoundedSemaphore:
        host = (urlsplit(url).hostname or "").lower()
        with self.host_slots_lock:
            slot = self.host_slots.get(host)
            if slot is None:  # made once a host: a semaphore is a lock and a condition to build
                slot = self.host_slots[host] = threading.BoundedSemaphore(PER_HOST_CONNECTIONS)
            return slot

    # -- on the calling thread

    def _take(self, result: tuple[Any, ...]) -> None:
        kind, plan = result[0], result[1]
        if kind == "done":
            self._finish(plan, result[2])
        elif kind == "parse":
            self._parse(plan, *result[2:])
        elif kind == "parsed":
            self._parsed(plan, *result[2:])
        else:
            raise result[2]

    def _parse(self, plan: FeedPlan, response: FeedResponse, digest: str) -> None:
        from amplify.parse import parse_feed  # here: a refresh where nothing changed never loads the parser

        arguments: dict[str, Any] = {"url": response.final_url, "headers": response.headers}
        if self.max_items is not None:
            arguments["max_items"] = self.max_items
        if plan.body_hash is not None:
            # Read before: entries the feed sends again unchanged are skipped, not parsed and cleaned again.
            arguments["known_digests"] = self.store.entry_digests(plan.source_id)
        try:
            future = self._parser().submit(parse_feed, response.body, **arguments)
        except BrokenExecutor:
            # A worker died (out of memory on a hostile body, say): finish this run's parsing here.
            self.parser = _InlineExecutor()
            future = self.parser.submit(parse_feed, response.body, **arguments)
        future.add_done_callback(lambda done: self.results.put(("parsed", plan, response, digest, done)))

    def _parsed(self, plan: FeedPlan, response: FeedResponse, digest: str, future: "Future[ParsedFeed]") -> None:
        now = self.store.clock()
        try:
            parsed = future.result()
        except Exception as error:  # a parser crash on hostile input must cost only this feed
            if isinstance(error, BrokenExecutor) and self.stop.is_set():
                return  # the workers ended with the run (a signal to the process group): not this feed's doing
            update = decide_update(plan, now=now, response=response,
                                   error=f"could not be read ({type(error).__name__}: {error})"[:300])
        else:
            update = decide_update(plan, now=now, response=response, parsed=parsed, digest=digest)
            self.report.parsers[parsed.parser] = self.report.parsers.get(parsed.parser, 0) + 1
        self._finish(plan, update)

    def _finish(self, plan: FeedPlan, update: FeedUpdate) -> None:
        self.batch.append((plan, update))
        self.room.release()

    def _flush(self) -> None:
        batch, self.batch = self.batch, []
        self.flushed_at = time.monotonic()
        if not batch:
            return
        new_counts = self.store.apply_feed_updates([update for _, update in batch])
        report = self.report
        for (plan, update), new_items in zip(batch, new_counts, strict=True):
            if update.error is not None:
                report.failed += 1
                report.errors.append(FeedProblem(plan.source_name, plan.feed_url, update.error))
            elif update.entries is None:
                report.not_modified += 1
            else:
                report.fetched += 1
                report.new_items += new_items
            self.done += 1
            if self.progress is not None:
                self.progress(self.done, len(self.plans), plan.feed_url)

    def _start_parser(self) -> None:
        """Start the parse workers now (each takes a moment to boot), rather than on the first body."""
        parser = self._parser()
        for _ in range(_usable_cores()):
            parser.submit(os.getpid)

    def _parser(self) -> Executor:
        """Started on the first body that needs parsing, so a refresh where everything is 304 starts no process."""
        if self.parser is None:
            workers = _usable_cores()
            if workers > 1:
                # Imported here: a refresh where nothing changed needs no process (nor the modules for one).
                from concurrent.futures import ProcessPoolExecutor
                from multiprocessing import get_context

                from amplify.lifetime import end_with_this_process

                # forkserver: forking a process that runs threads (ours, Streamlit's) is unsafe.
                context = get_context("forkserver")
                context.set_forkserver_preload(["amplify.parse"])
                self.parser = ProcessPoolExecutor(workers, mp_context=context, **end_with_this_process())
            else:
                self.parser = _InlineExecutor()
        return self.parser


def _share_one_core() -> None:
    """Keep the calling fetch thread on one core, the same for every fetch thread. They take turns on Python's
    lock anyway, and handing it from core to core costs more than it gains: measured on the 1000-feed farm, a
    warm refresh's fetching took 0.62-0.68 s of wall time with the fetch threads on one core, 0.74-0.86 s with
    them free. (Only this thread is pinned: the parse workers and the writing thread still use every core.)"""
    if not hasattr(os, "sched_setaffinity"):
        return
    cores = sorted(os.sched_getaffinity(0))
    if len(cores) > 1:
        with suppress(OSError):  # a sandbox may refuse; fetching works the same, a little slower
            os.sched_setaffinity(0, {cores[-1]})


def _usable_cores() -> int:
    """The cores this process may run on (a container or `taskset` can allow fewer than the machine has)."""
    if hasattr(os, "sched_getaffinity"):
        return max(len(os.sched_getaffinity(0)), 1)
    return os.cpu_count() or 1


class _InlineExecutor(Executor):
    """Runs a task at once on the calling thread: the parse pool on a one-core machine."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as error:
            future.set_exception(error)
        return future
