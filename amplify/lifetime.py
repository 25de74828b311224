"""How long a refresh and its processes live: a signal ends a refresh cleanly, and parse workers end with the
process that started them, however it ends.

The parse pool's workers are forked by multiprocessing's forkserver, so their parent is the forkserver, not the
refresh; and the forkserver, like the resource tracker beside it, lives as long as any worker holds the pipes
they watch. So a refresh killed outright (`kill -9`, or `timeout` sending SIGTERM to it alone) used to leave all of
them behind. Here each worker watches a pipe that only the starting process writes to: the kernel closes it when
that process dies, whatever the signal, the worker sees end-of-file and exits, and then the forkserver and the
resource tracker see their own pipes close and exit too. (PR_SET_PDEATHSIG would not do: it fires on the death of
the worker's parent, the forkserver, which outlives the refresh.)
"""

import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)

_lifeline: "tuple[Connection, Connection] | None" = None
_lifeline_lock = threading.Lock()


class StopRequest(threading.Event):
    """Set to ask a refresh to stop early; `signal` is the signal that set it, if one did."""

    signal: int | None = None


@contextmanager
def stop_on_signals() -> Iterator[StopRequest]:
    """While inside, SIGINT and SIGTERM set the yielded StopRequest instead of ending the process; a second
    signal of the same kind acts as it would have without this. Outside the main thread (where Python cannot
    take signals) nothing is installed and the request is only set by whoever holds it."""
    stop = StopRequest()
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return
    previous = {number: signal.getsignal(number) for number in STOP_SIGNALS}

    def request_stop(number: int, _frame: Any) -> None:
        stop.signal = number
        stop.set()
        signal.signal(number, previous[number])

    for number in STOP_SIGNALS:
        signal.signal(number, request_stop)
    try:
        yield stop
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def end_with_this_process() -> dict[str, Any]:
    """Keyword arguments for ProcessPoolExecutor: its workers exit when this process does, and leave SIGINT (a
    Ctrl-C reaches the whole process group) to this process, which decides how its work ends."""
    return {"initializer": _worker_start, "initargs": (_lifeline_reader(),)}


def _lifeline_reader() -> "Connection":
    """The read end of this process's lifeline: a pipe nothing is ever written to, whose write end only this
    process holds (pipes are not inherited by the processes it starts; a pool must use the forkserver or spawn,
    since a plain fork would copy the write end), so it closes only when this process ends. One per process,
    shared by every pool it starts."""
    global _lifeline
    with _lifeline_lock:
        if _lifeline is None:
            from multiprocessing import Pipe

            _lifeline = Pipe(duplex=False)
        return _lifeline[0]


def _worker_start(lifeline: "Connection") -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_when_closed, args=(lifeline,), name="amplify-lifeline", daemon=True).start()


def _exit_when_closed(lifeline: "Connection") -> None:
    with suppress(EOFError, OSError):
        lifeline.recv_bytes()
    os._exit(0)  # whatever this worker was doing, nobody is left to take the result
