"""Refresh benchmark on the feedfarm: `amplify refresh` against a plain feedparser loop and lemon24/reader.

    python benchmarks/refresh.py [--feeds 1000] [--items 20] [--runs 3] [--farm PATH] [--delay-ms 0]

Each step is a whole subprocess, timed from start to exit (imports included), with its CPU time and peak RSS from
`os.wait4` (children included). Steps, after the farm's recipe: cold (empty store, farm reset), warm (nothing
changed: every feed should answer 304) and churn (`POST /advance?n=2`: two new items per feed). The farm's
`/stats` difference gives the requests each step made. Medians of `--runs` runs are printed, then ratios.
reader (`pip install reader`, the `bench` extra) is measured only when importable.
"""

import argparse
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

DEFAULT_FARM = Path(__file__).resolve().parents[2] / "shared" / "feedfarm" / "feedfarm.py"

FEEDPARSER_LOOP = """
import sys, feedparser
urls = open(sys.argv[1]).read().split()
entries = sum(len(feedparser.parse(url).entries) for url in urls)
print(entries)
"""

READER_ADD = """
import sys
from reader import make_reader
reader = make_reader(sys.argv[1])
for url in open(sys.argv[2]).read().split():
    reader.add_feed(url, exist_ok=True)
"""

READER_UPDATE = """
import sys
from reader import make_reader
reader = make_reader(sys.argv[1])
# scheduled=False: update every feed now, as `amplify refresh` does (reader 3.x otherwise waits an hour).
reader.update_feeds(workers=16, scheduled=False)
print(reader.get_entry_counts().total)
"""


@dataclass
class Measure:
    seconds: float
    cpu: float
    peak_mb: float
    stats: dict[str, int]
    output: str


def run_timed(command: list[str], farm_url: str, env: dict[str, str] | None = None) -> Measure:
    before = farm_stats(farm_url)
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    output = process.stdout.read().decode() if process.stdout else ""
    errors = process.stderr.read().decode() if process.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(command[:3])} failed:\n{errors[-2000:]}")
    after = farm_stats(farm_url)
    diff = {key: after[key] - before.get(key, 0) for key in after if isinstance(after[key], int)}
    return Measure(seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, diff, output.strip())


def farm_stats(farm_url: str) -> dict[str, int]:
    with urllib.request.urlopen(f"{farm_url}/stats") as response:
        return json.load(response)


def farm_post(farm_url: str, path: str) -> None:
    request = urllib.request.Request(f"{farm_url}{path}", data=b"", method="POST")
    with urllib.request.urlopen(request) as response:
        response.read()


def start_farm(farm: Path, feeds: int, items: int, delay_ms: int, folder: Path) -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen(
        [sys.executable, str(farm), "--feeds", str(feeds), "--items", str(items), "--port", "0",
         "--write-list", str(folder), "--delay-ms", str(delay_ms)],
        stdout=subprocess.PIPE, text=True,
    )
    assert process.stdout is not None
    ready = json.loads(process.stdout.readline())
    return process, ready["url"]


def amplify_steps(farm_url: str, folder: Path, runs: int) -> dict[str, list[Measure]]:
    # The console script beside this Python, not a shim found on PATH (a pyenv shim costs a shell and a lookup).
    beside = Path(sys.executable).with_name("amplify")
    amplify = str(beside) if beside.exists() else shutil.which("amplify") or sys.exit("pip install -e . first")
    results: dict[str, list[Measure]] = {"cold": [], "warm": [], "churn": []}
    for run in range(runs):
        db = folder / f"amplify-{run}.db"
        command = [amplify, "refresh", "--feeds", str(folder / "feeds.yml"), "--db", str(db), "--json"]
        farm_post(farm_url, "/reset")
        results["cold"].append(run_timed(command, farm_url))
        stored = sqlite3.connect(db).execute("SELECT COUNT(*) FROM items").fetchone()[0]
        results["cold"][-1].stats["items_stored"] = stored
        results["warm"].append(run_timed(command, farm_url))
        farm_post(farm_url, "/advance?n=2")
        results["churn"].append(run_timed(command, farm_url))
    return results


def feedparser_loop(farm_url: str, folder: Path, runs: int) -> list[Measure]:
    measures = []
    for _ in range(runs):
        farm_post(farm_url, "/reset")
        measures.append(run_timed([sys.executable, "-c", FEEDPARSER_LOOP, str(folder / "urls.txt")], farm_url))
    return measures


def reader_steps(farm_url: str, folder: Path, runs: int) -> dict[str, list[Measure]] | None:
    try:
        import reader  # noqa: F401
    except ImportError:
        return None
    results: dict[str, list[Measure]] = {"cold": [], "warm": [], "churn": []}
    for run in range(runs):
        db = str(folder / f"reader-{run}.sqlite")
        update = [sys.executable, "-c", READER_UPDATE, db]
        farm_post(farm_url, "/reset")
        # Adding the feeds is set-up, not refresh: done in a separate, untimed process.
        subprocess.run([sys.executable, "-c", READER_ADD, db, str(folder / "urls.txt")], check=True,
                       capture_output=True)
        results["cold"].append(run_timed(update, farm_url))
        results["warm"].append(run_timed(update, farm_url))
        farm_post(farm_url, "/advance?n=2")
        results["churn"].append(run_timed(update, farm_url))
    return results


def median(measures: list[Measure], attribute: str) -> float:
    return statistics.median(getattr(measure, attribute) for measure in measures)


def describe(label: str, measures: list[Measure]) -> str:
    stats = measures[len(measures) // 2].stats
    counts = ", ".join(f"{key} {stats.get(key, 0)}" for key in ("requests", "200", "304", "conditional",
                                                                 "connections", "gzip", "items_stored")
                       if key in stats)
    return (f"{label:<22} {median(measures, 'seconds'):7.2f} s wall  {median(measures, 'cpu'):7.2f} s CPU  "
            f"{median(measures, 'peak_mb'):6.0f} MB peak   [{counts}]")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--items", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--delay-ms", type=int, default=0)
    parser.add_argument("--farm", type=Path, default=DEFAULT_FARM)
    parser.add_argument("--skip-reader", action="store_true", help="Do not measure reader even if importable.")
    arguments = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="amplify-bench-"))
    farm, farm_url = start_farm(arguments.farm, arguments.feeds, arguments.items, arguments.delay_ms, folder)
    try:
        print(f"feedfarm: {arguments.feeds} feeds x {arguments.items} items at {farm_url}, "
              f"delay {arguments.delay_ms} ms; {arguments.runs} runs, medians; load average before: "
              f"{', '.join(f'{load:.1f}' for load in os.getloadavg())}")
        ours = amplify_steps(farm_url, folder, arguments.runs)
        loop = feedparser_loop(farm_url, folder, arguments.runs)
        theirs = None if arguments.skip_reader else reader_steps(farm_url, folder, arguments.runs)
    finally:
        farm.terminate()
        farm.wait()
        shutil.rmtree(folder, ignore_errors=True)

    for step in ("cold", "warm", "churn"):
        print(describe(f"amplify {step}", ours[step]))
    print(describe("feedparser loop (cold)", loop))
    if theirs:
        for step in ("cold", "warm", "churn"):
            print(describe(f"reader {step}", theirs[step]))
    cold = median(ours["cold"], "seconds")
    print(f"cold / feedparser loop: {cold / median(loop, 'seconds'):.2f}x (target <= 0.6)")
    if theirs:
        print(f"cold / reader cold:     {cold / median(theirs['cold'], 'seconds'):.2f}x (target <= 0.4)")
        print(f"warm / reader warm:     "
              f"{median(ours['warm'], 'seconds') / median(theirs['warm'], 'seconds'):.2f}x (target <= 0.35)")
    print("amplify reports:", *(measure.output for measure in ours["cold"][:1] + ours["warm"][:1]
                                + ours["churn"][:1]), sep="\n  ")
    print(f"load average after: {', '.join(f'{load:.1f}' for load in os.getloadavg())}")


if __name__ == "__main__":
    main()
