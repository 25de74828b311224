"""Benchmark: the voice audit on a year of shares (50,000 shares over 1,000 sources).

    python benchmarks/audit.py [--shares 50000] [--sources 1000] [--runs 3]

Builds a database in a temporary folder (sources with kinds, tags and self-described labels, one item and draft
per share, checklist snapshots shaped like the gate's, some retractions and refused attempts), then times:
`run_audit` in the core for each window, the monthly report, the share export, and the Audit page's script run
through Streamlit's AppTest (the target: under 1 s). Prints one line per figure, median of `--runs`.
"""

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from streamlit.testing.v1 import AppTest

from amplify.audit import all_time, calendar_month, last_days, run_audit
from amplify.clock import to_iso
from amplify.export import export_shares
from amplify.report import monthly_report
from amplify.report_render import render
from amplify.store import Store

APP = str(Path(__file__).resolve().parents[1] / "app.py")
KINDS = ("creator", "business", "organization")
TAGS = ("food", "art", "books", "music", "tech", "local", "crafts", "games")
LABELS = ("Black-owned", "woman-owned", "Indigenous-owned", "queer-owned", "disabled-owned", "Latinx-owned")
CHECKS = (
    ("link_resolves", "The link works", "blocking"),
    ("own_domain", "The link is on their own site", "blocking"),
    ("credits_creator", "They are credited the way they asked", "blocking"),
    ("links_original", "The post links the original", "blocking"),
    ("length", "It fits the network", "blocking"),
    ("hashtags", "Hashtags are few and readable", "blocking"),
    ("alt_text", "Every image has alt text", "blocking"),
    ("centering", "Their words come first", "advisory"),
    ("freshness", "It is recent", "advisory"),
)
ATTESTATIONS = ("read_whole", "checked_source", "traced_claims", "meant_public", "their_words_first")


def snapshot(rng: random.Random, at: str) -> str:
    checks = [
        {"id": check_id, "label": label, "kind": "automatic", "severity": severity,
         "passed": severity == "blocking" or rng.random() > 0.15, "detail": "checked on the final text"}
        for check_id, label, severity in CHECKS
    ]
    return json.dumps({
        "checked_at": at, "network": "mastodon", "text_version": 1, "checks": checks, "missing_attestations": [],
        "attestations": [{"id": check_id, "text_version": 1, "attested_at": at} for check_id in ATTESTATIONS],
        "probe": {"url": "https://example.org/p", "ok": True, "status": 200, "final_url": "https://example.org/p",
                  "redirects": 0, "error": None, "checked_at": at},
    }, sort_keys=True)


def build(path: Path, n_shares: int, n_sources: int, now: datetime) -> None:
    rng = random.Random(5)
    with Store(path, clock=lambda: now) as store, store.adding_items():
        stamp = to_iso(now)
        sources = []
        for number in range(1, n_sources + 1):
            labels = rng.sample(LABELS, rng.choice((0, 0, 1, 1, 2)))
            sources.append((
                number, f"Source {number}", rng.choice(KINDS), json.dumps(rng.sample(TAGS, rng.randint(0, 3))),
                json.dumps(labels), f"https://source{number}.example/about" if labels else None,
                int(number % 10 != 0), stamp, stamp,
            ))
        store.conn.executemany(
            "INSERT INTO sources (id, name, kind, tags, identity_labels, identity_source, followed, created_at,"
            " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", sources)
        # A long tail: a few sources get most shares, as in real habits.
        weights = [1 / (rank ** 0.8) for rank in range(1, n_sources + 1)]
        chosen = rng.choices(range(1, n_sources + 1), weights=weights, k=n_shares)
        items, drafts, shares = [], [], []
        for number, source_id in enumerate(chosen, start=1):
            at = to_iso(now - timedelta(seconds=rng.randint(0, 365 * 86400)))
            items.append((number, source_id, f"e{number}", f"https://example.org/{number}", f"Post {number}", at,
                          at, at, "shared"))
            drafts.append((number, number, "shared", at, at))
            shares.append({"draft_id": number, "item_id": number, "source_id": source_id,
                           "network": rng.choice(("mastodon", "bluesky")), "text": "Read this", "post_url": None,
                           "shared_at": at, "checklist": snapshot(rng, at)})
        # Unshared posts in the last month from the quiet end of the list: the neglected voices.
        for extra, source_id in enumerate(range(n_sources // 2, n_sources), start=n_shares + 1):
            at = to_iso(now - timedelta(days=rng.randint(0, 29)))
            items.append((extra, source_id, f"e{extra}", f"https://example.org/{extra}", f"Post {extra}", at, at,
                          at, "new"))
        store.conn.executemany(
            "INSERT INTO items (id, source_id, entry_key, url, title, published_at, first_seen_at, sort_at, state)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", items)
        store.conn.executemany(
            "INSERT INTO drafts (id, item_id, state, created_at, updated_at) VALUES (?, ?, ?, ?, ?)", drafts)
        for share in shares:  # one at a time: each row is chained to the one before it
            store._append_share(**share)
        for share_id in rng.sample(range(1, n_shares + 1), n_shares // 200):
            store.log_event("share_retracted", share_id=share_id)
        for _ in range(n_shares // 100):
            store.log_event("share_refused", draft_id=1, failed=[rng.choice(CHECKS[:7])[0]])


def median_seconds(action, runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def page_run(at: AppTest) -> None:
    at.run()
    if at.exception:
        raise SystemExit(f"the Audit page failed: {at.exception[0].value}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shares", type=int, default=50_000)
    parser.add_argument("--sources", type=int, default=1_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    now = datetime.now(UTC).replace(microsecond=0)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "audit.db"
        started = time.perf_counter()
        build(path, args.shares, args.sources, now)
        print(f"built {args.shares} shares over {args.sources} sources in {time.perf_counter() - started:.1f} s")
        with Store(path) as store:
            for window in (last_days(30, now), last_days(90, now), all_time(now)):
                seconds = median_seconds(lambda window=window: run_audit(store, window, now), args.runs)
                print(f"run_audit, {window.label}: {seconds:.3f} s")
            month = now.strftime("%Y-%m")
            seconds = median_seconds(lambda: render(monthly_report(store, month, now), "md"), args.runs)
            print(f"monthly report ({calendar_month(month).label}): {seconds:.3f} s")
            seconds = median_seconds(lambda: export_shares(store, "csv"), args.runs)
            print(f"export shares as CSV: {seconds:.3f} s")
        time_audit_page(path, Path(folder), args.runs, "Audit page script run (AppTest)")
    sys.stdout.flush()


def time_audit_page(path: Path, folder: Path, runs: int, what: str) -> None:
    """Time the Audit page's script run on the database `path`, last 30 days and all time, after a warm run."""
    os.environ["AMPLIFY_DB"] = str(path)
    os.environ["AMPLIFY_FEEDS"] = str(folder / "feeds.yml")
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at._page_hash = next(  # AppTest.switch_page takes files; the pages are functions with a url_path
        page for page, info in at._registered_pages.items() if info.get("url_pathname") == "audit"
    )
    page_run(at)  # warm: imports, Altair, the first connection
    seconds = median_seconds(lambda: page_run(at), runs)
    print(f"{what}, last 30 days: {seconds:.3f} s (target < 1 s)")
    at.radio(key="audit_window").set_value("All time")
    page_run(at)
    seconds = median_seconds(lambda: page_run(at), runs)
    print(f"{what}, all time: {seconds:.3f} s (target < 1 s)")


if __name__ == "__main__":
    main()
