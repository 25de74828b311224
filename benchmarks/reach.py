"""Benchmark: reach snapshots, and the Audit page with reach.

    python benchmarks/reach.py [--shares 10000] [--due 1000] [--audit-shares 50000] [--runs 3]

1. A reach run over `--shares` shares of which `--due` are due a snapshot now, all of those Bluesky posts, the rest
   not due (under an hour old, their latest milestone already read, past their 30-day snapshot, deleted, or on a
   network without an API). Bluesky is a loopback AppView of the tests' own (tests/reach_servers.py: it answers
   resolveHandle and getPosts, up to 25 URIs a call) on 127.0.0.1, so the time is amplify's and SQLite's, not the
   network's. Counted: the calls made, and the posts asked for (which must be exactly the due ones). Timed:
   `check_reach` from the plan to the snapshots written, median of `--runs`, each on a fresh copy of the database.
   Two cases: the due posts were read before (their DIDs kept, targets: at most 40 calls, under 10 s), and none
   was (links naming the user's one handle, resolved once).
2. The Audit page on `--audit-shares` shares over 1,000 sources (benchmarks/audit.py's database), 90% of them with
   reach snapshots (one to four each): `run_reach_audit` in the core, and the page's script run through
   Streamlit's AppTest, last 30 days and all time (target: under 1 s).
"""

import argparse
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "benchmarks")]

from audit import build as build_audit  # noqa: E402 (benchmarks/audit.py)
from audit import median_seconds, time_audit_page  # noqa: E402
from loopback import LoopbackServer  # noqa: E402 (tests/loopback.py)
from reach_servers import AppView  # noqa: E402 (tests/reach_servers.py)

from amplify.audit import all_time, last_days, run_audit  # noqa: E402
from amplify.audit_reach import run_reach_audit  # noqa: E402
from amplify.clock import to_iso  # noqa: E402
from amplify.fetch import FetchLimits  # noqa: E402
from amplify.reach_run import check_reach  # noqa: E402
from amplify.store import Store  # noqa: E402
from amplify.types import ReachCounts  # noqa: E402

HANDLE, DID = "bench.test", "did:plc:bench"


def build_reach(path: Path, n_shares: int, n_due: int, now: datetime, appview: AppView, *, kept: bool) -> None:
    """`n_shares` shares, `n_due` of them Bluesky posts due their 1-day snapshot (read at 1 hour before, with their
    DIDs kept, when `kept`); every other share not due, for one of the reasons a share is not."""
    rng = random.Random(11)
    with Store(path, clock=lambda: now) as store, store.adding_items():
        stamp = to_iso(now)
        store.conn.execute("INSERT INTO sources (id, name, created_at, updated_at) VALUES (1, 'Voice', ?, ?)",
                           (stamp, stamp))
        plan = [("due", "bluesky")] * n_due + [
            (rng.choice(("young", "read", "done", "deleted", "no_api")), rng.choice(("mastodon", "bluesky")))
            for _ in range(n_shares - n_due)]
        rng.shuffle(plan)
        earlier: dict[int, tuple[str, ReachCounts]] = {}
        for number, (state, network) in enumerate(plan, start=1):
            age = {"due": timedelta(days=2), "young": timedelta(minutes=rng.randint(1, 59)),
                   "read": timedelta(days=rng.randint(2, 6)), "done": timedelta(days=rng.randint(31, 400)),
                   "deleted": timedelta(days=rng.randint(2, 29)), "no_api": timedelta(days=rng.randint(0, 400))}[state]
            at = to_iso(now - age)
            if state == "no_api":
                network, url = "x", f"https://x.com/me/status/{number}"
            elif network == "bluesky":
                url = f"https://bsky.app/profile/{HANDLE}/post/p{number}"
                appview.add(DID, f"p{number}", likes=number % 17, reposts=number % 5)
            else:
                url = f"https://mastodon.example/@me/{number}"
            store.conn.execute("INSERT INTO items (id, source_id, entry_key, title, first_seen_at, sort_at, state)"
                               " VALUES (?, 1, ?, 'Post', ?, ?, 'shared')", (number, f"e{number}", at, at))
            store.conn.execute("INSERT INTO drafts (id, item_id, state, created_at, updated_at)"
                               " VALUES (?, ?, 'shared', ?, ?)", (number, number, at, at))
            store._append_share(draft_id=number, item_id=number, source_id=1, network=network, text="Read this",
                                post_url=url, shared_at=at, checklist="{}")
            ref = f"at://{DID}/app.bsky.feed.post/p{number}" if network == "bluesky" else None
            taken = {"due": timedelta(hours=1), "read": timedelta(days=1), "done": timedelta(days=30),
                     "deleted": timedelta(hours=1)}.get(state)
            if taken is not None and (state != "due" or kept):
                earlier[number] = (to_iso(now - age + taken),
                                   ReachCounts(number, likes=1, deleted=state == "deleted", post_ref=ref))
        store.conn.executemany(
            "INSERT INTO reach (share_id, taken_at, reposts, likes, replies, quotes, source, deleted, post_ref)"
            " VALUES (?, ?, ?, ?, ?, ?, 'api', ?, ?)",
            [(c.share_id, taken_at, c.reposts, c.likes, c.replies, c.quotes, int(c.deleted), c.post_ref)
             for taken_at, c in earlier.values()])
    appview.handles[HANDLE] = DID


def time_run(path: Path, server: LoopbackServer, now: datetime, runs: int) -> tuple[float, dict, int, int]:
    """Median seconds of a reach run on fresh copies of `path`; the last run's calls, posts asked for, taken."""
    times, calls, asked, taken = [], {}, 0, 0
    limits = FetchLimits(allow_private_addresses=True)
    for run in range(runs):
        copy = path.with_name(f"run{run}.db")
        shutil.copy(path, copy)
        server.requests.clear()
        with Store(copy, clock=lambda: now) as store:
            started = time.perf_counter()
            result = check_reach(store, appview=server.url(""), limits=limits, now=now)
            times.append(time.perf_counter() - started)
        calls, taken = dict(result.calls), result.taken
        asked = sum(len(parse_qs(urlsplit(seen.path).query).get("uris", [])) for seen in server.requests)
    return statistics.median(times), calls, asked, taken


def reach_part(args: argparse.Namespace, folder: Path, now: datetime) -> None:
    for kept in (True, False):
        server, appview = LoopbackServer().start(), AppView()
        appview.mount(server)
        path = folder / f"reach-{kept}.db"
        build_reach(path, args.shares, args.due, now, appview, kept=kept)
        seconds, calls, asked, taken = time_run(path, server, now, args.runs)
        server.stop()
        case = "read before (DIDs kept)" if kept else "never read (one handle to resolve)"
        print(f"reach run, {args.shares:,} shares, {args.due:,} due, {case}: {seconds:.3f} s (target < 10 s); "
              f"{calls.get('bluesky', 0)} Bluesky calls (target <= 40), {calls.get('mastodon', 0)} Mastodon calls; "
              f"{asked:,} posts asked for, {taken:,} snapshots taken")


def add_reach(path: Path, now: datetime) -> int:
    rng = random.Random(3)
    with Store(path, clock=lambda: now) as store:
        ids = [row["id"] for row in store.rows("SELECT id FROM shares")]
        counts = [ReachCounts(share_id, reposts=rng.randint(0, 9), likes=rng.randint(0, 40),
                              replies=rng.randint(0, 5), quotes=rng.randint(0, 2))
                  for share_id in ids if rng.random() < 0.9 for _ in range(rng.randint(1, 4))]
        store.add_reach(counts)
    return len(counts)


def audit_part(args: argparse.Namespace, folder: Path, now: datetime) -> None:
    path = folder / "audit.db"
    build_audit(path, args.audit_shares, 1_000, now)
    snapshots = add_reach(path, now)
    print(f"built {args.audit_shares:,} shares over 1,000 sources with {snapshots:,} reach snapshots")
    with Store(path) as store:
        for window in (last_days(30, now), all_time(now)):
            audit = run_audit(store, window, now)
            seconds = median_seconds(lambda audit=audit: run_reach_audit(store, audit), args.runs)
            print(f"run_reach_audit, {window.label}: {seconds:.3f} s")
    time_audit_page(path, folder, args.runs, "Audit page with reach (AppTest)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shares", type=int, default=10_000)
    parser.add_argument("--due", type=int, default=1_000)
    parser.add_argument("--audit-shares", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    now = datetime.now(UTC).replace(microsecond=0)
    with tempfile.TemporaryDirectory() as folder:
        reach_part(args, Path(folder), now)
        audit_part(args, Path(folder), now)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
