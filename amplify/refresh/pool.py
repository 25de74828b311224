"""Where a refresh parses, and on which cores it fetches.

Parsing runs in a process pool fed with bytes, one worker per core (inline on one core), so the parser's CPU cost
is spread over the machine and the native parsers, fed with hostile bytes, stay out of the process that holds the
database. `start_parse_pool` is what a refresh uses unless it is given another executor factory (a test's own,
say): any `concurrent.futures.Executor` will do.
"""

import os
from collections.abc import Callable
from concurrent.futures import Executor, Future
from contextlib import suppress
from typing import Any

ParsePool = Callable[[], Executor]


def start_parse_pool(cores: int | None = None) -> Executor:
    """The parse workers: a process pool of one worker per usable core (`cores`, when given), or parsing inline
    on one core. Started on the first body that needs parsing, so a refresh where everything is 304 starts no
    process (nor loads the modules for one)."""
    workers = usable_cores() if cores is None else cores
    if workers <= 1:
        return InlineExecutor()
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    from amplify.lifetime import end_with_this_process

    # forkserver: forking a process that runs threads (ours, Streamlit's) is unsafe.
    context = get_context("forkserver")
    context.set_forkserver_preload(["amplify.parse"])
    return ProcessPoolExecutor(workers, mp_context=context, **end_with_this_process())


def share_one_core() -> None:
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


def usable_cores() -> int:
    """The cores this process may run on (a container or `taskset` can allow fewer than the machine has)."""
    if hasattr(os, "sched_getaffinity"):
        return max(len(os.sched_getaffinity(0)), 1)
    return os.cpu_count() or 1


class InlineExecutor(Executor):
    """Runs a task at once on the calling thread: the parse pool on a one-core machine, and the fallback when a
    pool's worker died."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as error:
            future.set_exception(error)
        return future
