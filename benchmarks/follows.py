"""Benchmark: importing a follow list of 5,000 accounts from a Mastodon server on this machine into feeds.yml.

    python benchmarks/follows.py [--accounts 5000] [--sites 500] [--existing 50] [--runs 3]

A loopback server plays the instance: account lookup, then the following list in pages of 80 (Mastodon's most)
with `Link` headers and rate-limit headers that never run out; `--sites` of the accounts have a verified website
on the same server whose page links to its feed, so discovery runs for them too. The follow list starts with
`--existing` hand-written sources under comments. Each run times the whole import as `amplify import-follows
mastodon ... --all` does it: fetch every page into a fresh database, then add everyone to feeds.yml (finding each
website's feed) in one write. Reported: the median of `--runs` runs, with the fetch and the write apart, and
checks that every account was written, the comments and order were kept and no identity label was created.
The CPU seconds are printed beside the wall-clock ones: on a busy machine the wall clock also holds whatever else
ran. Target: under 10 s.
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from loopback import LoopbackServer, Route  # noqa: E402

from amplify.follow.load import load_follow_list  # noqa: E402
from amplify.follows import MASTODON, add_candidates, import_follows  # noqa: E402
from amplify.store import Store  # noqa: E402

TARGET_SECONDS = 10.0
PAGE = 80
HOMEPAGE = '<!doctype html><html><head><title>{name}</title><link rel="alternate" type="application/rss+xml" ' \
           'href="/sites/{user}/feed.xml"></head><body>Welcome</body></html>'
FEED = '<?xml version="1.0"?><rss version="2.0"><channel><title>{name}</title><link>{home}</link></channel></rss>'


def whole(body: bytes | str, content_type: str, headers: dict[str, str] | None = None) -> Route:
    """A route that sends its answer in one write. The test server writes the head and the body apart, and on
    loopback TCP's delayed acknowledgement then holds each body back some 40 ms: a cost of that server, not of
    amplify, and one no real instance has."""
    data = body.encode() if isinstance(body, str) else body
    head = {"Content-Type": content_type, "Content-Length": str(len(data)), **(headers or {})}
    answer = ("HTTP/1.1 200 OK\r\n" + "".join(f"{name}: {value}\r\n" for name, value in head.items()) + "\r\n"
              ).encode("latin-1") + data

    def send(handler) -> None:
        handler.wfile.write(answer)

    return Route(handler=send)


def serve_instance(server: LoopbackServer, accounts: int, sites: int) -> None:
    every = max(accounts // sites, 1) if sites else 0
    entities = []
    for number in range(accounts):
        user = f"maker{number}"
        entity = {
            "id": str(10_000_000 - number), "username": user, "acct": user, "display_name": f"Maker {number}",
            "note": f"<p>I make things, number {number}. Orders open on Fridays.</p>",
            "url": server.url(f"/@{user}"), "avatar": server.url(f"/avatars/{user}.png"), "fields": [],
        }
        if every and number % every == 0 and number // every < sites:
            home = server.url(f"/sites/{user}/")
            entity["fields"] = [{"name": "Site", "value": f'<a href="{home}" rel="me">{home}</a>',
                                 "verified_at": "2026-11-01T00:00:00.000+00:00"}]
            server.routes[f"/sites/{user}/"] = whole(HOMEPAGE.format(name=f"Maker {number}", user=user),
                                                      "text/html")
            server.routes[f"/sites/{user}/feed.xml"] = whole(FEED.format(name=f"Maker {number}", home=home),
                                                              "application/rss+xml")
        entities.append(entity)
    server.routes["/api/v1/accounts/lookup?acct=me"] = whole(json.dumps(
        {"id": "1", "username": "me", "acct": "me", "following_count": accounts}), "application/json")
    base = "/api/v1/accounts/1/following"
    path = f"{base}?limit={PAGE}"
    for start in range(0, accounts, PAGE):
        page = entities[start:start + PAGE]
        headers = {"X-RateLimit-Limit": "300", "X-RateLimit-Remaining": "299",
                   "X-RateLimit-Reset": "2030-01-01T00:00:00.000Z"}
        following = f"{base}?limit={PAGE}&max_id={page[-1]['id']}" if start + PAGE < accounts else None
        if following:
            headers["Link"] = f'<{server.url(following)}>; rel="next"'
        server.routes[path] = whole(json.dumps(page), "application/json", headers)
        if not following:
            break
        path = following


def existing_list(count: int) -> str:
    lines = ["# Whom I follow: kept by hand, and by amplify", "settings:", "  networks: [mastodon, bluesky]",
             "sources:"]
    for number in range(count):
        lines += [f"  # someone I met, number {number}", f"  - name: Friend {number}",
                  f"    feed: https://friend{number}.example/feed.xml   # their blog", "    tags: [met]"]
    return "\n".join(lines) + "\n"


def one_run(folder: Path, server: LoopbackServer, accounts: int, existing: int
            ) -> tuple[float, float, float, int]:
    feeds = folder / "feeds.yml"
    original = existing_list(existing)
    feeds.write_text(original, encoding="utf-8")
    db = folder / "amplify.db"
    db.unlink(missing_ok=True)
    started, started_cpu = time.perf_counter(), time.process_time()
    with Store(db) as store:
        result = import_follows(store, MASTODON, "@me@social.example", server=server.url(""))
    fetched = time.perf_counter()
    outcome = add_candidates(feeds, result.candidates)
    done, cpu = time.perf_counter(), time.process_time() - started_cpu
    loaded = load_follow_list(feeds)
    assert len(result.candidates) == accounts, len(result.candidates)
    assert len(outcome.added) == accounts and not outcome.refused and not outcome.site_problems
    assert len(loaded.sources) == existing + accounts and not loaded.problems
    assert feeds.read_text(encoding="utf-8").startswith(original), "the user's comments and order changed"
    labels = sum(len(source.identity_labels) for source in loaded.sources) + sum(
        1 for source in loaded.sources if source.identity_source)
    assert labels == 0, f"{labels} identity labels were created"
    with_site = sum(1 for source in loaded.sources if len(source.feeds) == 2)
    return fetched - started, done - fetched, cpu, with_site


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=5_000)
    parser.add_argument("--sites", type=int, default=500)
    parser.add_argument("--existing", type=int, default=50)
    parser.add_argument("--runs", type=int, default=3)
    options = parser.parse_args()
    os.environ["AMPLIFY_ALLOW_PRIVATE"] = "1"  # the instance is on 127.0.0.1

    server = LoopbackServer().start()
    try:
        serve_instance(server, options.accounts, options.sites)
        totals, fetches, writes, cpus = [], [], [], []
        for _ in range(options.runs):
            with tempfile.TemporaryDirectory(prefix="amplify-follows-bench-") as folder:
                fetch_seconds, write_seconds, cpu, with_site = one_run(Path(folder), server, options.accounts,
                                                                       options.existing)
            cpus.append(cpu)
            fetches.append(fetch_seconds)
            writes.append(write_seconds)
            totals.append(fetch_seconds + write_seconds)
    finally:
        server.stop()
    total = statistics.median(totals)
    print(f"{options.accounts:,} followed accounts ({options.sites:,} with a website whose feed was found, "
          f"{with_site:,} followed with two feeds) into a feeds.yml of {options.existing} commented sources")
    print(f"fetch every page: {statistics.median(fetches):.2f} s; write feeds.yml (discovery included): "
          f"{statistics.median(writes):.2f} s")
    print(f"whole import, median of {options.runs}: {total:.2f} s (runs: {', '.join(f'{t:.2f}' for t in totals)}); "
          f"CPU {statistics.median(cpus):.2f} s (this process, the server's threads included)")
    print("comments and order kept; 0 identity labels created")
    print(f"{'within' if total < TARGET_SECONDS else 'OVER'} the {TARGET_SECONDS:g} s target")


if __name__ == "__main__":
    main()
