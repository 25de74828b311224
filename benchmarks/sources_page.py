"""Benchmark: the Sources page with 5,000 sources (the size of a large imported follow list).

    python benchmarks/sources_page.py [--sources 5000] [--items 50000] [--runs 7]

Writes a feeds.yml of `--sources` sources (kinds, tags, self-described labels on every third, with where they said
it), syncs it into a fresh database with `--items` items spread over the sources (a year back, so some are quiet),
then times whole script runs of the Sources page through Streamlit's AppTest, as benchmarks/ui.py does: the page as
it opens (the follow list at a glance and the table of every source), filtered by a label, by the quiet ones, with
the import's list of 5,000 accounts to choose from open, and searched. Each figure is the median of `--runs` runs
after one warm-up run, in wall-clock seconds, with the median CPU seconds beside it. Target: every run under 0.5 s.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from follows import serve_instance  # noqa: E402
from loopback import LoopbackServer  # noqa: E402
from pages import open_page  # noqa: E402
from ui import TARGET_SECONDS, timed_runs  # noqa: E402

from amplify.clock import to_iso  # noqa: E402
from amplify.follow.load import load_follow_list  # noqa: E402
from amplify.follows import MASTODON, import_follows, list_key  # noqa: E402
from amplify.glance import Group  # noqa: E402
from amplify.store import Store  # noqa: E402
from amplify.types import KINDS  # noqa: E402
from amplify.ui import follow_import  # noqa: E402

NOW = datetime.now(UTC)


def follow_list_text(sources: int) -> str:
    lines = ["# a large follow list, mostly imported", "sources:"]
    for number in range(sources):
        lines += [f"  - name: Source {number:04d}", f"    feed: https://source{number}.example/feed.xml",
                  f"    url: https://source{number}.example", f"    kind: {KINDS[number % len(KINDS)]}",
                  f'    handles: {{mastodon: "@source{number}@social.example"}}',
                  f"    tags: [tag-{number % 12}]"]
        if number % 3 == 0:
            lines += [f"    identity: {{labels: [label-{number % 6}], source: https://source{number}.example/about}}"]
    return "\n".join(lines) + "\n"


def build(folder: Path, sources: int, items: int) -> tuple[Path, Path]:
    feeds, db = folder / "feeds.yml", folder / "amplify.db"
    feeds.write_text(follow_list_text(sources), encoding="utf-8")
    with Store(db) as store:
        store.sync_sources(load_follow_list(feeds))
        ids = [row["id"] for row in store.rows("SELECT id FROM sources ORDER BY id")]
        with store.adding_items():
            store.conn.executemany(
                "INSERT INTO items (source_id, entry_key, url, title, summary, published_at, first_seen_at, sort_at)"
                " VALUES (?, ?, ?, ?, '', ?, ?, ?)",
                [(ids[number % len(ids)], f"e{number}", f"https://x.example/{number}", f"Post {number}",
                  when, when, when)
                 for number in range(items)
                 for when in [to_iso(NOW - timedelta(hours=number * 365 * 24 // items))]])
            store.execute("UPDATE feeds SET last_fetched_at = ?, last_status = 200", (to_iso(NOW),))
    os.environ["AMPLIFY_DB"], os.environ["AMPLIFY_FEEDS"] = str(db), str(feeds)
    return db, feeds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", type=int, default=5_000)
    parser.add_argument("--items", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=7)
    options = parser.parse_args()
    os.environ["AMPLIFY_ALLOW_PRIVATE"] = "1"  # the instance the import asks is on 127.0.0.1

    with tempfile.TemporaryDirectory(prefix="amplify-sources-bench-") as folder:
        started = time.perf_counter()
        db, _feeds = build(Path(folder), options.sources, options.items)
        server = LoopbackServer().start()
        serve_instance(server, options.sources, 0)
        key, base = list_key(MASTODON, "@me@social.example", server.url(""))
        with Store(db) as store:
            import_follows(store, MASTODON, key, server=base)
        print(f"built {options.sources:,} sources with {options.items:,} items, and an import of "
              f"{options.sources:,} accounts, in {time.perf_counter() - started:.1f} s")

        def glance_filter(kind: str) -> Callable[[AppTest], None]:
            def choose(app: AppTest) -> None:
                app.button_group(key="glance").set_value(next(group for group in _groups() if group.kind == kind))
            return choose

        def import_open(app: AppTest) -> None:
            app.session_state[follow_import.JOB_KEY] = follow_import.Job(str(db), MASTODON, key, base)

        def import_searched(app: AppTest) -> None:
            import_open(app)
            app.run()
            app.text_input(key="import_search").set_value("maker 12")

        cases: list[tuple[str, Callable[[AppTest], None] | None]] = [
            ("Sources, as it opens", None),
            ("Sources, filtered by a self-described label", glance_filter("label")),
            ("Sources, filtered to the quiet ones", glance_filter("quiet")),
            (f"Sources, the import's {options.sources:,} accounts to choose from", import_open),
            ("Sources, the import's list searched", import_searched),
        ]
        worst = 0.0
        print(f"{'page':<56} {'median s':>9} {'min s':>7} {'max s':>7} {'CPU s':>7}")
        try:
            for label, prepare in cases:
                app = open_page("sources")
                wall, cpu = timed_runs(app, options.runs, prepare)
                median = statistics.median(wall)
                worst = max(worst, median)
                print(f"{label:<56} {median:9.3f} {min(wall):7.3f} {max(wall):7.3f} {statistics.median(cpu):7.3f}")
        finally:
            server.stop()
        verdict = "within" if worst < TARGET_SECONDS else "OVER"
        print(f"slowest median {worst:.3f} s: {verdict} the {TARGET_SECONDS} s target")


def _groups() -> list[Group]:
    from amplify.glance import glance, groups

    with Store(os.environ["AMPLIFY_DB"]) as store:
        activity = store.source_activity()
        sources = load_follow_list(os.environ["AMPLIFY_FEEDS"]).sources
        return groups(glance(sources, activity, store.clock()))


if __name__ == "__main__":
    main()
