"""Benchmark: does the fast feeds.yml reader (PyYAML's libyaml parser) still pay for itself?

    python benchmarks/follow_list.py [--sizes 100,1000,5000] [--runs 7]

A refresh skips an unchanged feeds.yml by its digest (`amplify.follow.sync`), so the reader runs only when the
file changed: the pages after an edit (they cache the follow list by the file's time and size), the CLI, a refresh
after an edit. For follow lists of each size (the Sources page benchmark's shape: kinds, tags, handles, labels on
every third) this times, in CPU seconds (the machine may be busy; CPU time is what the work costs), the median of
`--runs` runs after one warm run of: the digest that decides an unchanged file is skipped; reading and validating
with the fast reader (`parse_follow_list`); the same with ruamel's round-trip reader, which editing uses anyway.
"""

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from sources_page import follow_list_text  # noqa: E402

from amplify.follow.edit import parse_document  # noqa: E402
from amplify.follow.load import parse_follow_list, text_digest  # noqa: E402
from amplify.follow.validate import follow_list_from_document  # noqa: E402


def cpu_seconds(work: Callable[[], object], runs: int) -> float:
    work()
    times = []
    for _ in range(runs):
        started = time.process_time()
        work()
        times.append(time.process_time() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000,5000")
    parser.add_argument("--runs", type=int, default=7)
    arguments = parser.parse_args()
    print("| sources | digest (unchanged file) | fast reader | ruamel reader | ruamel / fast |")
    print("|---|---|---|---|---|")
    for size in (int(size) for size in arguments.sizes.split(",")):
        text = follow_list_text(size)
        fast_list = parse_follow_list(text)
        round_trip = follow_list_from_document(parse_document(text, "feeds.yml"))
        assert round_trip.sources == fast_list.sources  # the two readers agree
        digest = cpu_seconds(lambda text=text: text_digest(text), arguments.runs)
        fast = cpu_seconds(lambda text=text: parse_follow_list(text), arguments.runs)
        slow = cpu_seconds(lambda text=text: follow_list_from_document(parse_document(text, "feeds.yml")),
                           arguments.runs)
        print(f"| {size:,} | {digest * 1000:.2f} ms | {fast:.3f} s | {slow:.3f} s | {slow / fast:.1f}x |")


if __name__ == "__main__":
    main()
