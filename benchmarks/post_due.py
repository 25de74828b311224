"""Benchmark: `post_due` with 100 due drafts, against the local servers: mastodon-mock (in a process of its own)
and, when it can be started, the real Bluesky PDS from `@atproto/dev-env` (tests/networks).

    python benchmarks/post_due.py [--drafts 100] [--runs 3] [--no-bluesky]

Each run makes a fresh database with `--drafts` ready drafts (each passing the gate: credited, attested, its link
probed a moment ago), each scheduled for Mastodon and, with the PDS, for Bluesky, all due; then times one
`post_due` as `amplify post-due` runs it (settle, then for each post: the gate again in a transaction, the outbox
row, the network call, the share through the gate), posting as accounts made on those servers. Reported: the
median of `--runs` runs of the whole call, the time spent waiting on HTTP (inside
`fetch.transfer.send_request` and `fetch.transfer.read_body`: the servers' own work, and the loopback), and the
rest, which is amplify's (the gate, SQLite, facets, building requests), beside this process's CPU seconds. Every
run checks that each post was made once and recorded once.
"""

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import httpx  # noqa: E402
from test_gate import attest_all, make_draft  # noqa: E402

from amplify.bluesky_post import BlueskyPoster  # noqa: E402
from amplify.fetch import FetchLimits, transfer  # noqa: E402
from amplify.mastodon_post import MastodonPoster  # noqa: E402
from amplify.posting import post_due  # noqa: E402
from amplify.publish import new_key  # noqa: E402
from amplify.store import Store  # noqa: E402
from amplify.types import LinkProbe, Settings  # noqa: E402

LIMITS = FetchLimits(allow_private_addresses=True)
TOKEN = "bench-token"
MOCK = """
import sys
from mastodon_mock.config import SeedAccount, SeedConfig
from mastodon_mock.testing.server import MockServer
with MockServer(seed=SeedConfig(accounts=[SeedAccount(username="ada", access_token=sys.argv[1])])) as running:
    print(running.base_url, flush=True)
    sys.stdin.read()
"""
TEXTS = {
    "mastodon": "@ada@bakers.social: loaf {n}, shaped by hand before dawn 🍞\nhttps://ada.example/loaf-{n}\n\n#Bread",
    "bluesky": "@ada.example: loaf {n}, shaped by hand before dawn 🍞\nhttps://ada.example/loaf-{n}\n\n#Bread",
}


class HTTPWaits:
    """Time spent inside fetch's send and body reads (waiting on the servers), summed."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.calls = 0

    def wrap(self, function):
        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - started
                self.calls += 1
        return timed


def prepare(path: Path, drafts: int, networks: tuple[str, ...]) -> None:
    with Store(path) as store:
        for number in range(drafts):
            url = f"https://ada.example/loaf-{number}"
            draft_id = make_draft(store, networks=networks, item_url=url, name=f"Ada's Bakery {number}")
            store.save_link_probe(LinkProbe(url, True, 200, url, 0, None))
            for network in networks:
                text = TEXTS[network].format(n=number)
                store.save_post_text(draft_id, network, text)
                attest_all(store, draft_id, network)
                version = store.draft_posts(draft_id)[network].version
                store.add_outbox(draft_id, network, text_version=version, text=text, checklist="{}",
                                 key=new_key(network), state="scheduled", account=None,
                                 scheduled_for="2026-01-01T00:00:00+00:00")


def run_once(folder: Path, drafts: int, posters: dict, counters: dict) -> dict:
    path = folder / f"run-{uuid.uuid4().hex[:6]}.db"
    prepare(path, drafts, tuple(posters))
    before = {network: count() for network, count in counters.items()}
    waits = HTTPWaits()
    send, read = transfer.send_request, transfer.read_body
    transfer.send_request, transfer.read_body = waits.wrap(send), waits.wrap(read)
    try:
        with Store(path) as store:
            cpu, started = time.process_time(), time.perf_counter()
            outcomes = post_due(store, posters.__getitem__, settings=Settings(), limits=LIMITS)
            total, cpu = time.perf_counter() - started, time.process_time() - cpu
            shares = len(store.shares())
    finally:
        transfer.send_request, transfer.read_body = send, read
    made = {network: count() - before[network] for network, count in counters.items()}
    posts = drafts * len(posters)
    assert [outcome.state for outcome in outcomes] == ["recorded"] * posts, outcomes[:3]
    assert shares == posts and made == {network: drafts for network in posters}, (shares, made)
    return {"total": total, "http": waits.seconds, "ours": total - waits.seconds, "cpu": cpu,
            "requests": waits.calls // 2, "posts": posts}


def mastodon(stack: ExitStack) -> tuple[MastodonPoster, object]:
    process = subprocess.Popen([sys.executable, "-c", MOCK, TOKEN], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               text=True)
    stack.callback(lambda: (process.stdin.close(), process.wait(timeout=30)))
    base = process.stdout.readline().strip()
    headers = {"Authorization": f"Bearer {TOKEN}"}

    def count() -> int:
        return int(httpx.get(f"{base}/api/v1/accounts/verify_credentials", headers=headers).json()["statuses_count"])

    return MastodonPoster(base, lambda: headers, account="@ada@mock.local", limits=LIMITS), count


def bluesky(stack: ExitStack, folder: Path) -> tuple[BlueskyPoster, object] | None:
    from networks.harness import NetworkUnavailable, missing, start_network

    if missing():
        print(f"Bluesky left out: {missing()}", file=sys.stderr)
        return None
    try:
        network, running = start_network(folder / "bluesky")
    except NetworkUnavailable as reason:
        print(f"Bluesky left out: {reason}", file=sys.stderr)
        return None
    stack.callback(running.stop)
    ada = network.create_account("bench")

    def count() -> int:
        records, cursor = 0, None
        while True:
            page = httpx.get(f"{network.pds}/xrpc/com.atproto.repo.listRecords",
                             params={"repo": ada.did, "collection": "app.bsky.feed.post", "limit": 100,
                                     **({"cursor": cursor} if cursor else {})}).json()
            records += len(page["records"])
            cursor = page.get("cursor")
            if not page["records"] or not cursor:
                return records

    poster = BlueskyPoster(network.pds, lambda: {"Authorization": f"Bearer {ada.access_jwt}"}, did=ada.did,
                           handle=ada.handle, limits=LIMITS)
    return poster, count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--drafts", type=int, default=100)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-bluesky", action="store_true")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="amplify-post-due-") as scratch, ExitStack() as stack:
        folder = Path(scratch)
        folder.chmod(0o755)  # PostgreSQL runs as its own user, who must reach its folder inside
        posters, counters = {}, {}
        posters["mastodon"], counters["mastodon"] = mastodon(stack)
        found = None if options.no_bluesky else bluesky(stack, folder)
        if found is not None:
            posters["bluesky"], counters["bluesky"] = found
        results = [run_once(folder, options.drafts, posters, counters) for _ in range(options.runs)]
    median = {key: statistics.median(result[key] for result in results) for key in results[0]}
    print(json.dumps({"drafts": options.drafts, "networks": list(posters), "runs": options.runs,
                      "median": {key: round(value, 3) for key, value in median.items()},
                      "each": [{key: round(value, 3) for key, value in result.items()} for result in results]},
                     indent=2))


if __name__ == "__main__":
    main()
