"""Running a refresh: fetch threads, the parse pool, and the one thread that writes.

Fetching runs on a few threads sharing one client (conditional GET, keep-alive, a few connections per host), kept
together on one core; measured on the 1000-feed farm, an async pool spends far more CPU per request. Bodies to
parse go to the parse pool (amplify/refresh/pool.py); the calling thread writes the results, each feed complete in
its transaction. With fastfeedparser a feed costs about a millisecond to parse and clean, and the pool still pays
in a cold refresh: measured on the 1000-feed farm, it costs about 0.5 s more CPU than parsing inline, and takes
1.2 s of CPU off the thread that writes, which is what a refresh waits for (docs/benchmarks.md weighs it for churn).

The threads tell the writing thread what happened with typed messages (`Decided`, `ToParse`, `Parsed`, `Crashed`)
on one queue. What fetches a feed and where it is parsed are given to `Run` (`fetch`, `parse_pool`), so a test
passes its own instead of patching this module.
"""

import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import BrokenExecutor, Executor, Future
from contextlib import suppress
from dataclasses import dataclass
from queue import Empty, SimpleQueue
from typing import TYPE_CHECKING, Any

from amplify.fetch import FeedResponse, FetchError, FetchLimits, open_client
from amplify.refresh.plan import (
    PER_HOST_CONNECTIONS,
    FeedPlan,
    body_hash,
    decide_update,
    fetch_threads,
    host_of,
    parse_early,
    unchanged,
)
from amplify.refresh.pool import InlineExecutor, ParsePool, share_one_core, usable_cores
from amplify.refresh.report import FeedProblem, RefreshReport
from amplify.types import FeedUpdate

if TYPE_CHECKING:
    from amplify.fetch import Client
    from amplify.parse import ParsedFeed
    from amplify.store import Store

Progress = Callable[[int, int, str], None]
# `fetch_feed`'s shape: (client, url, *, limits, etag, last_modified) -> FeedResponse, raising FetchError.
FetchFeed = Callable[..., FeedResponse]

# Bodies fetched but not yet written (most of them waiting for a parser).
PARSE_BACKLOG = 256
# Feeds written per transaction: each feed complete in it, one commit for many (commits dominate store time).
BATCH_FEEDS = 50
BATCH_SECONDS = 0.5
GATHER_SECONDS = 0.01


# -- what the threads tell the writing thread -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Decided:
    """From a fetch thread: nothing to parse (304, the same body, an error), the feed's update is decided."""

    plan: FeedPlan
    update: FeedUpdate


@dataclass(frozen=True, slots=True)
class ToParse:
    """From a fetch thread: a new body, to send to the parse pool."""

    plan: FeedPlan
    response: FeedResponse
    digest: str


@dataclass(frozen=True, slots=True)
class Parsed:
    """From the parse pool: a body's parse ended; `future` holds the feed, or what went wrong."""

    plan: FeedPlan
    response: FeedResponse
    digest: str
    future: "Future[ParsedFeed]"


@dataclass(frozen=True, slots=True)
class Crashed:
    """From a fetch thread: a bug escaped it. The run stops and raises it rather than wait for a result."""

    error: BaseException


Message = Decided | ToParse | Parsed | Crashed


class Run:
    """One refresh in flight. Fetch threads each take the next plan, fetch it and, when there is nothing to parse
    (304, same body, an error), decide its update themselves; bodies to parse go to the parse pool. Every
    result comes back on one queue to the calling thread, the only one that touches the database, which writes
    them in batches. Measured on the one-host farm, this costs the calling thread far less than a future and a
    `wait()` per feed, and a warm refresh is mostly that per-feed cost."""

    def __init__(self, store: "Store", plans: list[FeedPlan], report: RefreshReport, *, progress: Progress | None,
                 limits: FetchLimits, max_items: int | None, stop: threading.Event, fetch: FetchFeed,
                 parse_pool: ParsePool) -> None:
        self.store = store
        self.plans = plans
        self.report = report
        self.progress = progress
        self.limits = limits
        self.max_items = max_items
        self.fetch = fetch
        self.parse_pool = parse_pool
        self.done = 0
        self.host_slots: dict[str, threading.BoundedSemaphore] = {}
        self.host_slots_lock = threading.Lock()
        self.parser: Executor | None = None
        self.results: SimpleQueue[Message] = SimpleQueue()
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
        threads = fetch_threads(self.plans)
        todo: SimpleQueue[FeedPlan | None] = SimpleQueue()
        for plan in [*self.plans, *[None] * threads]:
            todo.put(plan)
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
            if parse_early(self.plans) and not self.stop.is_set():
                self._start_parser()  # a feed never read before will need it: start it while fetching
            self._write_as_results_come()
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

    def _fetch_all(self, client: "Client", todo: "SimpleQueue[FeedPlan | None]") -> None:
        try:
            share_one_core()
            while (plan := todo.get()) is not None:
                self.room.acquire()
                if self.stopping.is_set():
                    return
                self.results.put(self._fetch(client, plan))
        except BaseException as error:  # a bug here must stop the run, never leave the writer waiting
            self.results.put(Crashed(error))
        finally:
            with self.fetching_lock:
                self.fetching -= 1
                last = self.fetching == 0
            if last:
                self.fetched.set()
                client.close()

    def _fetch(self, client: "Client", plan: FeedPlan) -> Decided | ToParse:
        now = self.store.clock
        try:
            # Per-host politeness: at most a few connections to one server, however many of its feeds we follow.
            with self._host_slot(plan.fetch_url):
                response = self.fetch(client, plan.fetch_url, limits=self.limits, etag=plan.etag,
                                      last_modified=plan.last_modified)
            digest = body_hash(response.body)
        except FetchError as error:
            status = getattr(error, "status", None)
            return Decided(plan, decide_update(plan, now=now(), error=error.reason, status=status))
        except Exception as error:  # whatever a hostile server provokes must cost only its own feed
            reason = f"could not be fetched ({type(error).__name__}: {error})"[:300]
            return Decided(plan, decide_update(plan, now=now(), error=reason))
        if unchanged(plan, response, digest):
            return Decided(plan, decide_update(plan, now=now(), response=response, digest=digest))
        return ToParse(plan, response, digest)

    def _host_slot(self, url: str) -> threading.BoundedSemaphore:
        host = host_of(url)
        with self.host_slots_lock:
            slot = self.host_slots.get(host)
            if slot is None:  # made once a host: a semaphore is a lock and a condition to build
                slot = self.host_slots[host] = threading.BoundedSemaphore(PER_HOST_CONNECTIONS)
            return slot

    # -- on the calling thread

    def _write_as_results_come(self) -> None:
        """Take the messages as they come and write the feeds in batches, until every feed is in or the run is
        asked to stop; then write what is complete."""
        while not self._all_in() and not self.stop.is_set():
            with suppress(Empty):  # after a while with nothing new, what is done still gets written
                self._take(self.results.get(timeout=BATCH_SECONDS))
            while not self.results.empty() and not self.stop.is_set():
                self._take(self.results.get())
            if self._all_in():
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

    def _all_in(self) -> bool:
        return self.done + len(self.batch) >= len(self.plans)

    def _take(self, message: Message) -> None:
        if isinstance(message, Decided):
            self._finish(message.plan, message.update)
        elif isinstance(message, ToParse):
            self._parse(message)
        elif isinstance(message, Parsed):
            self._parsed(message)
        else:
            raise message.error

    def _parse(self, message: ToParse) -> None:
        from amplify.parse import parse_feed  # here: a refresh where nothing changed never loads the parser

        plan, response = message.plan, message.response
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
            self.parser = InlineExecutor()
            future = self.parser.submit(parse_feed, response.body, **arguments)
        future.add_done_callback(lambda done: self.results.put(Parsed(plan, response, message.digest, done)))

    def _parsed(self, message: Parsed) -> None:
        plan, response = message.plan, message.response
        now = self.store.clock()
        try:
            parsed = message.future.result()
        except Exception as error:  # a parser crash on hostile input must cost only this feed
            if isinstance(error, BrokenExecutor) and self.stop.is_set():
                return  # the workers ended with the run (a signal to the process group): not this feed's doing
            update = decide_update(plan, now=now, response=response,
                                   error=f"could not be read ({type(error).__name__}: {error})"[:300])
        else:
            update = decide_update(plan, now=now, response=response, parsed=parsed, digest=message.digest)
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
        for _ in range(usable_cores()):
            parser.submit(os.getpid)

    def _parser(self) -> Executor:
        """Started on the first body that needs parsing, so a refresh where everything is 304 starts no process."""
        if self.parser is None:
            self.parser = self.parse_pool()
        return self.parser
