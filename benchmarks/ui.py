"""Benchmark: the Today and Queue pages on a database of 100,000 items from 1,000 sources.

    python benchmarks/ui.py [--items 100000] [--sources 1000] [--drafts 25] [--runs 7]

Builds the database in a temporary folder (the same bulk builder the tests use: sources with kinds, tags and
self-described labels; items an hour apart), queues `--drafts` items so the Queue has work, then times whole
script runs of the app through Streamlit's AppTest, as a user's click would trigger them: Today's first page,
a deep page, Today filtered by tag, by label and by a search, the Later view, and the Queue. Each figure is
the median of `--runs` runs after one warm-up run (which pays for imports), in wall-clock seconds, with the median
CPU seconds beside it. Target: every run under 0.5 s.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from pages import open_page  # noqa: E402
from review_fixtures import fill  # noqa: E402

from amplify.refresh import RefreshReport  # noqa: E402
from amplify.store import Store  # noqa: E402

NEWEST = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
TARGET_SECONDS = 0.5


def build(folder: Path, *, items: int, sources: int, drafts: int) -> Path:
    db_path = folder / "amplify.db"
    feeds_path = folder / "feeds.yml"
    feeds_path.write_text("settings:\n  networks: [mastodon, bluesky]\nsources: []\n", encoding="utf-8")
    with Store(db_path) as store:
        fill(store, sources=sources, items=items, newest=NEWEST)
        queued = [row["id"] for row in store.rows(f"SELECT id FROM items ORDER BY id LIMIT {drafts}")]
        store.set_state_for(queued, "queued", networks=("mastodon", "bluesky"))
        store.record_refresh(RefreshReport(feeds=sources, fetched=sources, new_items=items).to_dict())
    os.environ["AMPLIFY_DB"] = str(db_path)
    os.environ["AMPLIFY_FEEDS"] = str(feeds_path)
    return db_path


def timed_runs(app: AppTest, runs: int,
               prepare: Callable[[AppTest], None] | None = None) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU seconds of each run. CPU time (this process, all threads) is what the page costs;
    wall time also holds whatever else the machine was doing."""
    if prepare:
        prepare(app)
    app.run()  # warm-up: the first run after a change pays for it once
    wall, cpu = [], []
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        app.run()
        wall.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
        if app.exception:
            raise SystemExit(f"a run failed: {app.exception[0].value}")
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--sources", type=int, default=1_000)
    parser.add_argument("--drafts", type=int, default=25)
    parser.add_argument("--runs", type=int, default=7)
    options = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="amplify-ui-bench-") as folder:
        started = time.perf_counter()
        build(Path(folder), items=options.items, sources=options.sources, drafts=options.drafts)
        print(f"built {options.items:,} items from {options.sources:,} sources, {options.drafts} queued, "
              f"in {time.perf_counter() - started:.1f} s")

        def set_widget(kind: str, key: str, value: object) -> Callable[[AppTest], None]:
            return lambda app: getattr(app, kind)(key=key).set_value(value)

        def deep_page(app: AppTest) -> None:
            app.session_state["today_page"] = 1000

        cases: list[tuple[str, str, Callable[[AppTest], None] | None]] = [
            ("Today, first page", "", None),
            ("Today, page 1000", "", deep_page),
            ("Today, filtered by a tag", "", set_widget("multiselect", "tag", ["tag-3"])),
            ("Today, filtered by a self-described label", "",
             set_widget("multiselect", "label", ["label-1"])),
            ("Today, searching 'bakery'", "", set_widget("text_input", "search", "bakery")),
            ("Today, saved for later (empty)", "", set_widget("radio", "view", "Saved for later")),
            (f"Queue ({options.drafts} drafts)", "queue", None),
        ]
        worst = 0.0
        print(f"{'page':<44} {'median s':>9} {'min s':>7} {'max s':>7} {'CPU s':>7}  items shown")
        for label, url_path, prepare in cases:
            app = open_page(url_path)
            wall, cpu = timed_runs(app, options.runs, prepare)
            shown = sum(1 for button in app.button if button.key and button.key.startswith("queue_"))
            median = statistics.median(wall)
            worst = max(worst, median)
            print(f"{label:<44} {median:9.3f} {min(wall):7.3f} {max(wall):7.3f} {statistics.median(cpu):7.3f}  "
                  f"{'' if url_path else shown}")
        verdict = "within" if worst < TARGET_SECONDS else "OVER"
        print(f"slowest median {worst:.3f} s: {verdict} the {TARGET_SECONDS} s target")


if __name__ == "__main__":
    main()
