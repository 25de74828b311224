"""Refresh benchmark on the feedfarm: `amplify refresh` against a plain feedparser loop and lemon24/reader.

    python benchmarks/refresh.py [--feeds 1000] [--items 20] [--runs 3] [--farm PATH] [--delay-ms 0]

Each step is a whole subprocess, timed from start to exit (imports included), with its CPU time and peak RSS from
`os.wait4` (children included). Steps, after the farm's recipe: cold (empty store, farm reset), warm (nothing
changed: every feed should answer 304) and churn (`POST /advance?n=2`: two new items per feed). The farm's
`/stats` difference gives the requests each step made. At each step amplify and reader run one right after the
other (which goes first alternates), so a ratio compares two processes that met the machine in the same state.
Medians of `--runs` runs are printed, then ratios against the targets, and the share of feeds each of amplify's
parse paths served (from `amplify refresh --json`: fastfeedparser, feedparser as the safety net, or JSON Feed).
reader (`pip install reader`, the `bench` extra) is measured only when importable.
"""

import argparse
import compileall
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

# shared/feedfarm beside the checkout (or beside a folder holding it, as a worktree is).
DEFAULT_FARM = next((folder / "shared" / "feedfarm" / "feedfarm.py" for folder in Path(__file__).resolve().parents
                     if (folder / "shared" / "feedfarm" / "feedfarm.py").exists()),
                    Path(__file__).resolve().parents[2] / "shared" / "feedfarm" / "feedfarm.py")

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


def amplify_command() -> str:
    # The console script beside this Python, not a shim found on PATH (a pyenv shim costs a shell and a lookup).
    beside = Path(sys.executable).with_name("amplify")
    return str(beside) if beside.exists() else shutil.which("amplify") or sys.exit("pip install -e . first")


def reader_available() -> bool:
    try:
        import reader  # noqa: F401
    except ImportError:
        return False
    return True


def measure_runs(amplify: str, farm_url: str, folder: Path, runs: int, with_reader: bool) -> dict[str, list[Measure]]:
    """Each run: reset the farm, then at each step (cold, warm, churn) time amplify and reader one after the other,
    alternating which goes first from run to run, so both meet the machine in the same state; the feedparser loop
    runs once a run, on the reset farm. Timings here drift from hour to hour, and a ratio of two steps taken
    minutes apart would carry that drift."""
    results: dict[str, list[Measure]] = {}
    for run in range(runs):
        amplify_db, reader_db = folder / f"amplify-{run}.db", str(folder / f"reader-{run}.sqlite")
        tools = {
            "amplify": [amplify, "refresh", "--feeds", str(folder / "feeds.yml"), "--db", str(amplify_db), "--json"],
            "reader": [sys.executable, "-c", READER_UPDATE, reader_db],
        }
        if not with_reader:
            del tools["reader"]
        order = list(tools) if run % 2 == 0 else list(reversed(tools))
        farm_post(farm_url, "/reset")
        if with_reader:
            # Adding the feeds is set-up, not refresh: done in a separate, untimed process.
            subprocess.run([sys.executable, "-c", READER_ADD, reader_db, str(folder / "urls.txt")], check=True,
                           capture_output=True)
        results.setdefault("feedparser loop", []).append(
            run_timed([sys.executable, "-c", FEEDPARSER_LOOP, str(folder / "urls.txt")], farm_url))
        for step in ("cold", "warm", "churn"):
            if step == "churn":
                farm_post(farm_url, "/advance?n=2")
            for tool in order:
                results.setdefault(f"{tool} {step}", []).append(run_timed(tools[tool], farm_url))
            if step == "cold":
                stored = sqlite3.connect(amplify_db).execute("SELECT COUNT(*) FROM items").fetchone()[0]
                results["amplify cold"][-1].stats["items_stored"] = stored
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


def parse_shares(measures: list[Measure]) -> str:
    """How many feeds each parse path served, over all runs of a step, from amplify's JSON report."""
    counts: dict[str, int] = {}
    for measure in measures:
        for path, feeds in json.loads(measure.output).get("parsers", {}).items():
            counts[path] = counts.get(path, 0) + feeds
    total = sum(counts.values()) or 1
    return ", ".join(f"{path} {feeds / total:.1%}" for path, feeds in sorted(counts.items(), key=lambda kv: -kv[1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--items", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--delay-ms", type=int, default=0)
    parser.add_argument("--farm", type=Path, default=DEFAULT_FARM)
    parser.add_argument("--skip-reader", action="store_true", help="Do not measure reader even if importable.")
    arguments = parser.parse_args()

    command = amplify_command()
    # The farm is on this computer, which amplify refuses to fetch from unless allowed.
    os.environ["AMPLIFY_ALLOW_PRIVATE"] = "1"
    # Both tools run from compiled bytecode, as on a user's machine from the second run on: pip compiled reader's
    # when it installed it; amplify's editable install is compiled here, since a machine that sets
    # PYTHONDONTWRITEBYTECODE (this one does) would otherwise compile it again at every run.
    import amplify

    compileall.compile_dir(Path(amplify.__file__).parent, quiet=1)
    folder = Path(tempfile.mkdtemp(prefix="amplify-bench-"))
    farm, farm_url = start_farm(arguments.farm, arguments.feeds, arguments.items, arguments.delay_ms, folder)
    try:
        print(f"feedfarm: {arguments.feeds} feeds x {arguments.items} items at {farm_url}, "
              f"delay {arguments.delay_ms} ms; {arguments.runs} runs, medians; load average before: "
              f"{', '.join(f'{load:.1f}' for load in os.getloadavg())}")
        with_reader = not arguments.skip_reader and reader_available()
        results = measure_runs(command, farm_url, folder, arguments.runs, with_reader)
    finally:
        farm.terminate()
        farm.wait()
        shutil.rmtree(folder, ignore_errors=True)

    tools = ("amplify", "reader") if with_reader else ("amplify",)
    for tool in tools:
        for step in ("cold", "warm", "churn"):
            print(describe(f"{tool} {step}", results[f"{tool} {step}"]))
    print(describe("feedparser loop (cold)", results["feedparser loop"]))

    def ratio(ours: str, theirs: str) -> str:
        return f"{median(results[ours], 'seconds') / median(results[theirs], 'seconds'):.3f}x"

    print(f"cold / feedparser loop:  {ratio('amplify cold', 'feedparser loop')} (target <= 0.25)")
    if with_reader:
        print(f"cold / reader cold:      {ratio('amplify cold', 'reader cold')} (target <= 0.15)")
        print(f"churn / reader cold:     {ratio('amplify churn', 'reader cold')} (target <= 0.15)")
        print(f"churn / reader churn:    {ratio('amplify churn', 'reader churn')}")
        print(f"warm / reader warm:      {ratio('amplify warm', 'reader warm')} (target <= 0.15)")
    ours = {step: results[f"amplify {step}"] for step in ("cold", "warm", "churn")}
    for step in ("cold", "churn"):
        print(f"parse paths, {step}:".ljust(25), parse_shares(ours[step]))
    print("amplify reports:", *(measure.output for measure in ours["cold"][:1] + ours["warm"][:1]
                                + ours["churn"][:1]), sep="\n  ")
    print(f"load average after: {', '.join(f'{load:.1f}' for load in os.getloadavg())}")


if __name__ == "__main__":
    main()
