"""A stopped refresh stops everything: after SIGTERM, SIGINT or `kill -9` of a real `amplify refresh` (in the middle
of a run against slow feeds on a real loopback server), no process it started is left, and a signal ends it with
a summary of what it stored.

Each refresh runs in a session of its own, so every process it starts (the forkserver, the resource tracker, the
parse workers) keeps that session id even after its parent dies: the processes left in the session are the ones
counted. The run is signalled alone (as `kill` does) or with its whole process group (as Ctrl-C in a terminal and
`timeout` do).
"""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from contextlib import closing, suppress
from pathlib import Path

import pytest

import amplify

FAST_AND_SLOW_FEEDS = 12
SAFETY_LIMIT_SECONDS = 60.0  # only so that a broken build fails instead of hanging; nothing measures time

pytestmark = [
    pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="counts processes through /proc"),
    pytest.mark.skipif(not hasattr(os, "sched_getaffinity") or len(os.sched_getaffinity(0)) < 2,
                       reason="on one core a refresh parses in its own process and starts none"),
]


def rss(number: int) -> bytes:
    items = "".join(f"<item><title>Feed {number} post {n}</title><guid>f{number}-{n}</guid>"
                    f"<link>https://ada.example/{number}/{n}</link></item>" for n in range(5))
    return (f'<?xml version="1.0"?><rss version="2.0"><channel><title>Feed {number}</title>{items}'
            "</channel></rss>").encode()


@pytest.fixture
def stalls():
    """Slow feeds hold their connection until this is set, at the end of the test."""
    release = threading.Event()
    yield release
    release.set()


@pytest.fixture
def follow_list(server, stalls, tmp_path):
    """Every other feed answers at once; the rest stall, so a refresh is still running when it is signalled."""

    def stall(handler):
        stalls.wait(SAFETY_LIMIT_SECONDS)  # then hangs up without an answer: the refresh is gone by then

    text = "sources:\n"
    for number in range(FAST_AND_SLOW_FEEDS):
        path = f"/feed{number}.xml"
        server.route(path, rss(number), handler=stall if number % 2 else None)
        text += f"  - name: Source {number}\n    feed: {server.url(path)}\n"
    feeds_file = tmp_path / "feeds.yml"
    feeds_file.write_text(text, encoding="utf-8")
    return feeds_file


def session_processes(session: int) -> dict[int, str]:
    """Live processes in `session`, with their command lines (zombies hold nothing and are not counted)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue  # it ended while we looked
        if int(fields[3]) == session and fields[0] != "Z":
            found[int(entry.name)] = command.strip()
    return found


def stored_items(db_file: Path) -> int:
    try:
        with closing(sqlite3.connect(db_file)) as connection:
            return connection.execute("SELECT COUNT(*) FROM items").fetchone()[0]
    except sqlite3.Error:
        return 0  # not created yet


def wait_for(condition, what: str) -> None:
    limit = time.monotonic() + SAFETY_LIMIT_SECONDS
    while not condition():
        assert time.monotonic() < limit, f"gave up waiting: {what}"
        time.sleep(0.05)  # polling pace only


class RunningRefresh:
    """`amplify refresh` in a session of its own, its output in files (a pipe would be held open by orphans)."""

    def __init__(self, tmp_path: Path, feeds_file: Path, *options: str) -> None:
        self.db_file = tmp_path / "amplify.db"
        self.stdout, self.stderr = tmp_path / "stdout.txt", tmp_path / "stderr.txt"
        environment = dict(os.environ, AMPLIFY_ALLOW_PRIVATE="1",  # its feeds are on this computer
                           PYTHONPATH=str(Path(amplify.__file__).parents[1]))
        with self.stdout.open("wb") as out, self.stderr.open("wb") as err:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "amplify", "refresh", "--feeds", str(feeds_file), "--db", str(self.db_file),
                 *options], stdout=out, stderr=err, env=environment, start_new_session=True)
        self.session = self.process.pid

    def wait_until_busy(self) -> None:
        """Until the first feeds are stored and the parse workers are up: the refresh, the forkserver, the
        resource tracker and at least one worker."""
        wait_for(lambda: stored_items(self.db_file) > 0 and len(session_processes(self.session)) >= 4,
                 "the refresh to store its first feeds with its parse workers running")
        assert self.process.poll() is None, self.stderr.read_text()

    def signal(self, number: int, *, whole_group: bool) -> None:
        if whole_group:
            os.killpg(self.session, number)
        else:
            os.kill(self.process.pid, number)

    def leftovers(self) -> dict[int, str]:
        """What is still running in its session once every process has had the time to notice its end."""
        self.process.wait(timeout=SAFETY_LIMIT_SECONDS)
        limit = time.monotonic() + SAFETY_LIMIT_SECONDS
        while (left := session_processes(self.session)) and time.monotonic() < limit:
            time.sleep(0.05)
        return left

    def end(self) -> None:
        for pid in session_processes(self.session):
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()


@pytest.fixture
def start_refresh(tmp_path, follow_list):
    started = []

    def start(*options: str) -> RunningRefresh:
        started.append(RunningRefresh(tmp_path, follow_list, *options))
        return started[-1]

    yield start
    for running in started:
        running.end()


@pytest.mark.parametrize("whole_group", [False, True], ids=["alone", "with its process group"])
@pytest.mark.parametrize("number", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_ends_a_refresh_cleanly_and_leaves_no_process(start_refresh, number, whole_group):
    refresh = start_refresh("--json")
    refresh.wait_until_busy()

    refresh.signal(number, whole_group=whole_group)

    assert refresh.leftovers() == {}
    assert refresh.process.returncode == 128 + number, refresh.stderr.read_text()
    report = json.loads(refresh.stdout.read_text())
    assert report["stopped"] is True
    assert 0 < report["fetched"] < report["feeds"] == FAST_AND_SLOW_FEEDS
    assert report["failed"] == 0, report["errors"]  # workers ended with the run: no feed is blamed for it
    assert report["new_items"] == stored_items(refresh.db_file)
    assert "Traceback" not in refresh.stderr.read_text()


def test_the_summary_of_a_stopped_refresh_says_what_was_stored(start_refresh):
    refresh = start_refresh()
    refresh.wait_until_busy()

    refresh.signal(signal.SIGINT, whole_group=False)

    assert refresh.leftovers() == {}
    assert refresh.process.returncode == 130
    summary = refresh.stdout.read_text()
    stored = stored_items(refresh.db_file)
    assert summary.startswith(f"Stopped by SIGINT: {stored} new posts stored from "), summary
    assert f"of {FAST_AND_SLOW_FEEDS} feeds" in summary and "wait for the next refresh" in summary


def test_kill_9_of_a_refresh_leaves_no_process(start_refresh):
    refresh = start_refresh("--json")
    refresh.wait_until_busy()

    refresh.signal(signal.SIGKILL, whole_group=False)

    assert refresh.leftovers() == {}
    assert refresh.process.returncode == -signal.SIGKILL
    with closing(sqlite3.connect(refresh.db_file)) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_a_stop_request_stores_what_is_complete_and_does_not_wait_for_slow_feeds(follow_list, tmp_path,
                                                                                  monkeypatch):
    from amplify.follow.load import load_follow_list
    from amplify.refresh import refresh
    from amplify.store import Store

    monkeypatch.setenv("AMPLIFY_ALLOW_PRIVATE", "1")  # its feeds are on this computer
    stop = threading.Event()
    with Store(tmp_path / "in-process.db") as store:
        report = refresh(store, load_follow_list(follow_list), progress=lambda *_: stop.set(), stop=stop)

        assert report.stopped
        assert 0 < report.fetched < report.feeds == FAST_AND_SLOW_FEEDS and report.failed == 0
        assert store.scalar("SELECT COUNT(*) FROM items") == report.new_items == 5 * report.fetched
        assert store.last_refresh().stopped is True
