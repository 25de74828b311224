"""A refresh end to end against real HTTP on 127.0.0.1 and a real SQLite file: conditional GET, body hashes,
redirects, failures with backoff, hostile feeds, the real-world fixtures, and crashes mid-refresh."""

import gzip
import json
import os
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from support import FIXED_NOW

from amplify.cli import cli
from amplify.fetch import FetchLimits
from amplify.refresh import FeedPlan, backoff_delay, plan_refresh, refresh
from amplify.refresh.plan import FETCH_THREADS, PER_HOST_CONNECTIONS, fetch_threads, parse_early
from amplify.store import Store
from amplify.types import FeedRecord, FollowList, Settings, Source

FIXTURES = Path(__file__).parent / "fixtures" / "feeds"
QUICK = FetchLimits(connect_timeout=1.0, total_timeout=1.0, max_bytes=256 * 1024)


class Clock:
    def __init__(self) -> None:
        self.now = FIXED_NOW

    def __call__(self):
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def db(tmp_path, clock):
    opened = Store(tmp_path / "amplify.db", clock=clock)
    yield opened
    opened.close()


def follow(*sources: tuple[str, str | list[str]]) -> FollowList:
    return FollowList(
        tuple(Source(name=name, feeds=tuple(feeds) if isinstance(feeds, list) else (feeds,))
              for name, feeds in sources),
        Settings(),
    )


def rss(*titles: str, prefix: str = "post") -> str:
    items = "".join(
        f"<item><title>{title}</title><link>https://ada.example/{prefix}/{n}</link>"
        f'<guid isPermaLink="false">{prefix}-{n}</guid>'
        f"<pubDate>Mon, 0{n % 9 + 1} Nov 2026 10:00:00 GMT</pubDate><description>About {title}</description></item>"
        for n, title in enumerate(titles)
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Ada</title>{items}</channel></rss>'


def items(store: Store) -> list[dict]:
    return store.rows("SELECT * FROM items ORDER BY id")


def feed_row(store: Store, url: str) -> dict:
    return store.row("SELECT * FROM feeds WHERE url = ?", (url,))


def test_refresh_stores_items_then_uses_conditional_get(server, db):
    server.route("/ada.xml", rss("Bread", "Cake"), headers={"ETag": '"v1"', "Content-Type": "application/rss+xml"})
    follow_list = follow(("Ada's Bakery", server.url("/ada.xml")))
    seen_progress = []

    first = refresh(db, follow_list, progress=lambda *args: seen_progress.append(args))
    assert (first.feeds, first.fetched, first.not_modified, first.failed, first.new_items) == (1, 1, 0, 0, 2)
    assert seen_progress == [(1, 1, server.url("/ada.xml"))]
    stored = items(db)
    assert [item["title"] for item in stored] == ["Bread", "Cake"]
    assert stored[0]["url"] == "https://ada.example/post/0"
    assert stored[0]["published_at"] == stored[0]["sort_at"] == "2026-11-01T10:00:00+00:00"
    assert stored[0]["state"] == "new" and stored[0]["first_seen_at"] == "2026-11-20T09:30:00+00:00"
    row = feed_row(db, server.url("/ada.xml"))
    assert (row["etag"], row["last_status"], row["title"], row["error_count"]) == ('"v1"', 200, "Ada", 0)

    second = refresh(db, follow_list)
    assert (second.fetched, second.not_modified, second.new_items) == (0, 1, 0)
    assert server.hits("/ada.xml")[1].headers["If-None-Match"] == '"v1"'
    assert len(items(db)) == 2
    events = db.rows("SELECT detail FROM events WHERE kind = 'refresh' ORDER BY id")
    assert [json.loads(event["detail"])["new_items"] for event in events] == [2, 0]
    assert db.last_refresh().not_modified == 1
    assert db.last_refresh().at == "2026-11-20T09:30:00+00:00"


def test_an_unchanged_body_without_validators_is_not_parsed_again(server, db):
    server.route("/plain.xml", rss("Bread"))
    follow_list = follow(("Ada", server.url("/plain.xml")))
    refresh(db, follow_list)
    again = refresh(db, follow_list)
    assert (again.fetched, again.not_modified) == (0, 1)
    assert feed_row(db, server.url("/plain.xml"))["body_hash"]


def test_changed_entries_update_text_but_keep_review_state(server, db):
    server.route("/ada.xml", rss("Bread", "Cake"))
    follow_list = follow(("Ada", server.url("/ada.xml")))
    refresh(db, follow_list)
    db.execute("UPDATE items SET state = 'queued' WHERE entry_key = 'post-0'")
    server.route("/ada.xml", rss("Sourdough bread", "Cake", "Pie"))
    report = refresh(db, follow_list)
    assert report.new_items == 1
    stored = {item["entry_key"]: item for item in items(db)}
    assert stored["post-0"]["title"] == "Sourdough bread"
    assert stored["post-0"]["state"] == "queued"
    assert stored["post-2"]["title"] == "Pie"
    assert db.scalar("SELECT COUNT(*) FROM items_fts WHERE items_fts MATCH 'sourdough'") == 1


def test_a_guid_listed_twice_keeps_its_first_entry_however_often_the_feed_changes(server, db):
    follow_list = follow(("Ada", server.url("/ada.xml")))
    for build in range(4):  # the feed changes around the two entries, which stay as they were
        server.route("/ada.xml", f"""<?xml version="1.0"?><rss version="2.0"><channel><title>Ada</title>
<link>https://ada.example/</link><lastBuildDate>Mon, 0{build + 1} Nov 2026 09:00:00 GMT</lastBuildDate>
<item><title>First</title><link>https://ada.example/1</link><guid>same</guid></item>
<item><title>Second</title><link>https://ada.example/2</link><guid>same</guid></item>
</channel></rss>""")
        refresh(db, follow_list, force=True)
        assert [item["title"] for item in items(db)] == ["First"], f"after refresh {build + 1}"


def test_entries_a_feed_sends_again_unchanged_are_not_read_again(server, db):
    server.route("/ada.xml", rss("Bread", "Cake"))
    follow_list = follow(("Ada", server.url("/ada.xml")))
    refresh(db, follow_list)
    assert db.scalar("SELECT COUNT(*) FROM items WHERE markup_digest IS NOT NULL") == 2
    db.execute("UPDATE items SET summary = 'as stored' WHERE entry_key = 'post-1'")  # what a reread would undo
    server.route("/ada.xml", rss("Bread", "Cake", "Pie"))
    report = refresh(db, follow_list)
    assert (report.new_items, report.parsers) == (1, {"fastfeedparser": 1})
    stored = {item["entry_key"]: item for item in items(db)}
    assert stored["post-1"]["summary"] == "as stored"
    assert stored["post-2"]["summary"] == "About Pie"
    db.execute("INSERT INTO items_fts(items_fts) VALUES ('integrity-check')")  # raises if the index went astray


def test_broken_and_hostile_feeds_cost_only_themselves(server, db, release_stalls):
    server.route("/good.xml", rss(*[f"Good {n}" for n in range(20)]))
    server.route("/html", "<!DOCTYPE html><html><body>A shop</body></html>", headers={"Content-Type": "text/html"})
    server.route("/broken.xml", "<rss><channel><item><title>cut off")
    server.route("/bomb.xml", gzip.compress(b" " * (8 * 1024 * 1024)), headers={"Content-Encoding": "gzip"})
    server.redirect("/js.xml", "javascript:alert(1)")
    server.route("/stall.xml", handler=lambda handler: release_stalls.wait(5))
    names = ["Good", "Missing", "Page", "Broken", "Bomb", "Script", "Stall"]
    paths = ["/good.xml", "/missing.xml", "/html", "/broken.xml", "/bomb.xml", "/js.xml", "/stall.xml"]
    follow_list = follow(*[(name, server.url(path)) for name, path in zip(names, paths, strict=True)])

    report = refresh(db, follow_list, limits=QUICK)

    assert (report.feeds, report.fetched, report.failed, report.new_items) == (7, 1, 6, 20)
    reasons = {problem.source: problem.error for problem in report.errors}
    assert "404" in reasons["Missing"]
    assert "web page, not a feed" in reasons["Page"]
    assert "not a readable feed" in reasons["Broken"]
    assert "larger than" in reasons["Bomb"]
    assert "non-web address" in reasons["Script"]
    assert "within" in reasons["Stall"]
    assert {problem.feed for problem in report.errors} == {server.url(path) for path in paths[1:]}
    assert db.scalar("SELECT COUNT(*) FROM items") == 20
    failed = feed_row(db, server.url("/missing.xml"))
    assert (failed["error_count"], failed["last_status"]) == (1, 404)
    assert failed["next_attempt_at"] == "2026-11-20T09:45:00+00:00"


@pytest.fixture
def release_stalls():
    import threading

    event = threading.Event()
    yield event
    event.set()


def test_backoff_waits_then_retries_and_force_ignores_it(server, db, clock):
    follow_list = follow(("Gone", server.url("/gone.xml")))
    refresh(db, follow_list)
    assert refresh(db, follow_list).feeds == 0  # still waiting out the first backoff
    clock.now = FIXED_NOW + timedelta(minutes=16)
    assert refresh(db, follow_list).failed == 1
    row = feed_row(db, server.url("/gone.xml"))
    assert row["error_count"] == 2
    assert row["next_attempt_at"] == "2026-11-20T10:16:00+00:00"  # 30 minutes after the second failure
    assert refresh(db, follow_list, force=True).failed == 1
    assert len(server.hits("/gone.xml")) == 3
    server.route("/gone.xml", rss("Back"))
    assert refresh(db, follow_list, force=True).new_items == 1
    row = feed_row(db, server.url("/gone.xml"))
    assert (row["error_count"], row["next_attempt_at"], row["last_error"]) == (0, None, None)


def test_backoff_is_capped_exponential():
    assert [backoff_delay(n) for n in (1, 2, 3)] == [timedelta(minutes=15), timedelta(minutes=30), timedelta(hours=1)]
    assert backoff_delay(8) == backoff_delay(500) == timedelta(hours=24)


def test_plan_refresh_is_pure_and_uses_moved_addresses():
    rows = [
        FeedRecord(id=1, source_id=1, source_name="A", url="http://a/1", moved_to="https://a/new"),
        FeedRecord(id=2, source_id=1, source_name="A", url="http://a/2", error_count=3,
                   next_attempt_at="2026-11-20T12:00:00+00:00"),
    ]
    plans = plan_refresh(rows, now=FIXED_NOW)
    assert plans == [FeedPlan(1, 1, "A", "http://a/1", "https://a/new", None, None, None, 0)]
    assert [plan.feed_id for plan in plan_refresh(rows, now=FIXED_NOW, force=True)] == [1, 2]


def test_the_planner_gives_each_host_a_few_threads_at_most():
    def plans(*urls, read_before=True):
        return [FeedPlan(n, n, "A", url, url, None, None, "hash" if read_before else None, 0)
                for n, url in enumerate(urls)]

    assert fetch_threads(plans("http://a/1")) == 1
    assert fetch_threads(plans(*[f"http://a/{n}" for n in range(20)])) == PER_HOST_CONNECTIONS
    assert fetch_threads(plans(*[f"http://A/{n}" for n in range(3)], "http://a/x", "http://b/1")) == 5
    assert fetch_threads(plans(*[f"http://h{n}/feed" for n in range(50)])) == FETCH_THREADS
    assert not parse_early(plans("http://a/1", "http://a/2"))
    assert parse_early([*plans("http://a/1"), *plans("http://a/2", read_before=False)])


def test_a_permanent_redirect_is_recorded_and_used_next_time(server, db):
    server.redirect("/old.xml", "/new.xml", status=301)
    server.route("/new.xml", rss("Moved"), headers={"ETag": '"m1"'})
    follow_list = follow(("Ada", server.url("/old.xml")))
    assert refresh(db, follow_list).new_items == 1
    assert feed_row(db, server.url("/old.xml"))["moved_to"] == server.url("/new.xml")
    assert refresh(db, follow_list).not_modified == 1
    assert len(server.hits("/old.xml")) == 1
    assert server.hits("/new.xml")[1].headers["If-None-Match"] == '"m1"'


def test_a_redirect_loop_is_reported(server, db):
    server.redirect("/a.xml", "/b.xml")
    server.redirect("/b.xml", "/a.xml")
    report = refresh(db, follow(("Loop", server.url("/a.xml"))))
    assert "loop" in report.errors[0].error


def test_nothing_unsafe_is_stored_from_a_hostile_feed(server, db):
    server.route("/xss.xml", """<?xml version="1.0"?><rss version="2.0"><channel><title>&lt;script&gt;x&lt;/script&gt;
      </title><item><title>&lt;script&gt;alert(1)&lt;/script&gt;Hi</title><link>javascript:alert(1)</link>
      <guid>x1</guid><description>&lt;a href="javascript:alert(2)" onclick="alert(3)"&gt;go&lt;/a&gt;
      &lt;script&gt;alert(4)&lt;/script&gt;&lt;img src="javascript:alert(5)"&gt;</description>
      <enclosure url="javascript:alert(6)" type="image/png"/></item></channel></rss>""")
    refresh(db, follow(("Mallory", server.url("/xss.xml"))))
    (item,) = items(db)
    stored = json.dumps(item) + json.dumps(db.rows("SELECT * FROM feeds"))
    assert "script" not in stored.lower()
    assert "javascript" not in stored.lower()
    assert "onclick" not in stored
    assert item["title"] == "Hi" and item["url"] is None


def test_half_a_character_in_a_json_feed_costs_only_itself(server, db):
    # JSON can spell half of a character (a lone surrogate), which SQLite cannot hold as text: it becomes U+FFFD.
    def json_feed(*titles: str) -> bytes:
        entries = ", ".join(f'{{"id": "half-\\ud800-{n}", "title": "{title}", "url": "https://ada.example/{n}",'
                            f' "content_text": "About \\udfff {title}"}}' for n, title in enumerate(titles))
        return (f'{{"version": "https://jsonfeed.org/version/1.1", "title": "Ada \\ud83d", "items": [{entries}]}}'
                .encode("ascii"))

    server.route("/ada.json", json_feed("Bread"), headers={"Content-Type": "application/feed+json"})
    server.route("/bea.xml", rss("Cake"))
    follow_list = follow(("Ada", server.url("/ada.json")), ("Bea", server.url("/bea.xml")))
    report = refresh(db, follow_list)
    assert (report.failed, report.new_items) == (0, 2)
    assert sorted((item.title, item.summary) for item in db.today().items) == [
        ("Bread", "About \ufffd Bread"), ("Cake", "About Cake")]
    assert feed_row(db, server.url("/ada.json"))["title"] == "Ada \ufffd"
    server.route("/ada.json", json_feed("Bread", "Pie"), headers={"Content-Type": "application/feed+json"})
    again = refresh(db, follow_list)
    assert (again.failed, again.new_items) == (0, 1)
    assert sorted(item["entry_key"] for item in items(db)) == ["half-\ufffd-0", "half-\ufffd-1", "post-0"]


def test_json_feed_and_the_real_world_fixtures_are_ingested(server, db):
    feeds = sorted(path.name for path in FIXTURES.iterdir() if path.suffix != ".md")
    for name in feeds:
        server.route(f"/{name}", (FIXTURES / name).read_bytes(), gzip=True)
    follow_list = follow(*[(name, server.url(f"/{name}")) for name in feeds])
    report = refresh(db, follow_list)
    assert (report.feeds, report.fetched, report.failed) == (17, 17, 0)
    per_feed = {row["url"].rsplit("/", 1)[1]: row["n"] for row in db.rows(
        "SELECT f.url, COUNT(i.id) AS n FROM feeds f JOIN items i ON i.feed_id = f.id GROUP BY f.url")}
    assert per_feed["jsonfeed-1.1.json"] == 20
    assert per_feed["windows-1251.rss"] == 50
    assert report.new_items == sum(per_feed.values()) == 300
    assert db.scalar("SELECT COUNT(*) FROM items WHERE title_is_derived = 1") == 22  # the two Mastodon feeds


def test_items_per_feed_are_capped(server, db):
    server.route("/many.xml", rss(*[f"Post {n}" for n in range(30)]))
    assert refresh(db, follow(("Ada", server.url("/many.xml"))), max_items=10).new_items == 10


def test_a_batch_records_each_feed_and_keeps_what_an_answer_did_not_say(db):
    from amplify.types import FeedUpdate

    db.sync_sources(follow(("Ada", "https://ada.example/a.xml"), ("Bea", "https://bea.example/b.xml")))
    ada, bea = feed_row(db, "https://ada.example/a.xml"), feed_row(db, "https://bea.example/b.xml")
    db.apply_feed_updates([FeedUpdate(ada["id"], ada["source_id"], 200, etag='"v1 ü"', title="Ada's 'posts'")])

    db.apply_feed_updates([
        FeedUpdate(ada["id"], ada["source_id"], 304),
        FeedUpdate(bea["id"], bea["source_id"], 500, error="the server had a problem", error_count=2,
                   next_attempt_at="2026-11-22T12:00:00+00:00", moved_to="https://bea.example/new.xml"),
    ])

    ada, bea = feed_row(db, "https://ada.example/a.xml"), feed_row(db, "https://bea.example/b.xml")
    assert (ada["last_status"], ada["etag"], ada["title"], ada["error_count"]) == (304, '"v1 ü"', "Ada's 'posts'", 0)
    assert ada["last_success_at"] == ada["last_fetched_at"] is not None
    assert (bea["last_status"], bea["last_error"], bea["error_count"], bea["next_attempt_at"], bea["moved_to"]) == (
        500, "the server had a problem", 2, "2026-11-22T12:00:00+00:00", "https://bea.example/new.xml")
    assert bea["last_success_at"] is None


def test_a_crash_between_feeds_leaves_a_consistent_database(server, db, monkeypatch):
    paths = [f"/feed{n}.xml" for n in range(6)]
    for number, path in enumerate(paths):
        server.route(path, rss(*[f"Feed {number} post {n}" for n in range(5)], prefix=f"f{number}"),
                     headers={"ETag": f'"{number}"'})
    follow_list = follow(*[(f"Source {n}", server.url(path)) for n, path in enumerate(paths)])
    original_batch = Store.apply_feed_updates
    original = Store._store_entries

    def one_transaction_per_feed(self, updates):  # so that some feeds land before the crash
        return [count for update in updates for count in original_batch(self, [update])]
    calls = []

    def die_halfway_through_the_third_feed(self, updates, now):
        counts = original(self, updates, now)  # its items are written, its feed row is not yet: then the crash
        calls.extend(update.feed_id for update in updates)
        if len(calls) == 3:
            raise KeyboardInterrupt("killed mid-refresh")
        return counts

    monkeypatch.setattr(Store, "apply_feed_updates", one_transaction_per_feed)
    monkeypatch.setattr(Store, "_store_entries", die_halfway_through_the_third_feed)
    with pytest.raises(KeyboardInterrupt):
        refresh(db, follow_list)
    monkeypatch.setattr(Store, "_store_entries", original)
    monkeypatch.setattr(Store, "apply_feed_updates", original_batch)

    per_feed = db.rows("SELECT f.url, f.etag, COUNT(i.id) AS n FROM feeds f LEFT JOIN items i ON i.feed_id = f.id "
                       "GROUP BY f.id")
    # every feed is either fully stored with its validators, or untouched: two before the crash, none after
    assert sorted((row["n"], row["etag"] is not None) for row in per_feed) == [(0, False)] * 4 + [(5, True)] * 2
    assert db.scalar("SELECT COUNT(*) FROM events WHERE kind = 'refresh'") == 0
    stored_before = sum(row["n"] for row in per_feed)

    report = refresh(db, follow_list)
    assert report.failed == 0
    assert report.new_items == 30 - stored_before
    assert db.scalar("SELECT COUNT(*) FROM items") == 30


def test_cli_refresh_json_prints_one_object_and_exits_0_with_failures(server, tmp_path):
    server.route("/ok.xml", rss("Bread"))
    feeds_file = tmp_path / "feeds.yml"
    feeds_file.write_text(f"sources:\n  - name: Ada\n    feed: {server.url('/ok.xml')}\n"
                          f"  - name: Gone\n    feed: {server.url('/gone.xml')}\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["refresh", "--feeds", str(feeds_file), "--db", str(tmp_path / "a.db"),
                                      "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert list(report) == ["feeds", "stopped", "fetched", "not_modified", "failed", "new_items", "seconds",
                            "errors", "parsers"]
    assert report["stopped"] is False
    assert (report["feeds"], report["fetched"], report["failed"], report["new_items"]) == (2, 1, 1, 1)
    assert report["parsers"] == {"fastfeedparser": 1}
    assert report["errors"] == [{"source": "Gone", "feed": server.url("/gone.xml"),
                                 "error": report["errors"][0]["error"]}]
    assert "404" in report["errors"][0]["error"]


def test_cli_refresh_plain_output(server, tmp_path, monkeypatch):
    server.route("/ok.xml", rss("Bread", "Cake"))
    feeds_file = tmp_path / "feeds.yml"
    feeds_file.write_text(f"sources:\n  - name: Ada\n    feed: {server.url('/ok.xml')}\n", encoding="utf-8")
    monkeypatch.setenv("AMPLIFY_FEEDS", str(feeds_file))
    monkeypatch.setenv("AMPLIFY_DB", str(tmp_path / "env.db"))
    result = CliRunner().invoke(cli, ["refresh"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("2 new posts from 1 feed (1 changed, 0 unchanged, 0 failed)")
    assert (tmp_path / "env.db").exists()


def test_cli_refresh_reports_bad_entries_every_time_even_when_the_file_is_not_read_again(server, tmp_path,
                                                                                         monkeypatch):
    from amplify.follow import sync

    server.route("/ok.xml", rss("Bread"), headers={"ETag": '"v1"'})
    feeds_file = tmp_path / "feeds.yml"
    feeds_file.write_text(f"sources:\n  - name: Ada\n    feed: {server.url('/ok.xml')}\n  - name: No Feed\n",
                          encoding="utf-8")
    command = ["refresh", "--feeds", str(feeds_file), "--db", str(tmp_path / "a.db"), "--json"]

    first = CliRunner().invoke(cli, command)
    monkeypatch.setattr(sync, "parse_follow_list", None)  # the unchanged file must not be parsed again
    second = CliRunner().invoke(cli, command)

    assert first.exit_code == second.exit_code == 0
    assert first.stderr == second.stderr == "feeds.yml line 4: `feed` is required: the URL of the source's RSS, " \
                                            "Atom or JSON feed (skipped)\n"
    assert json.loads(second.stdout)["not_modified"] == 1


def test_a_warm_refresh_loads_no_parser_yaml_or_process_pool(server, tmp_path):
    """Nor httpx and httpcore (requests go through http.client; httpx only builds upload bodies when posting), nor
    ruamel, which only edits feeds.yml."""
    import subprocess
    import sys

    server.route("/ok.xml", rss("Bread"), headers={"ETag": '"v1"'})
    feeds_file = tmp_path / "feeds.yml"
    feeds_file.write_text(f"sources:\n  - name: Ada\n    feed: {server.url('/ok.xml')}\n", encoding="utf-8")
    script = (
        "import sys\n"
        "from amplify.cli import cli\n"
        "try:\n"
        f"    cli(['refresh', '--feeds', {str(feeds_file)!r}, '--db', {str(tmp_path / 'a.db')!r}, '--json'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(sorted(name for name in ('fastfeedparser', 'feedparser', 'nh3', 'multiprocessing', 'yaml',"
        " 'ruamel.yaml', 'trio', 'httpx', 'httpcore', 'pygments') if name in sys.modules))\n"
    )

    cold = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    warm = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)

    assert '"fetched": 1' in cold.stdout and '"parsers": {"fastfeedparser": 1}' in cold.stdout
    assert '"not_modified": 1' in warm.stdout
    assert warm.stdout.strip().endswith("[]"), warm.stdout


class Bug(BaseException):
    """Not an `Exception`: no feed's own handling catches it, as none would catch a bug in the run's own code."""


def test_a_bug_in_a_fetch_thread_stops_the_run_instead_of_leaving_it_waiting(server, db):
    import threading

    def broken(*args, **kwargs):
        raise Bug("a bug")

    outcome = []
    ada = follow(("Ada", server.url("/gone.xml")))
    runner = threading.Thread(target=lambda: outcome.append(_raised(refresh, db, ada, fetch=broken)), daemon=True)
    runner.start()
    runner.join(timeout=30)
    assert not runner.is_alive(), "refresh is still waiting for a result that will never come"
    assert outcome == ["Bug: a bug"]


def _raised(function, *args, **options):
    try:
        function(*args, **options)
    except BaseException as error:
        return f"{type(error).__name__}: {error}"
    return "nothing raised"


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity") or len(os.sched_getaffinity(0)) < 2,
                    reason="needs two cores and thread affinity")
def test_fetch_threads_share_one_core_and_leave_the_rest_alone():
    import threading

    from amplify.refresh.pool import share_one_core

    before = os.sched_getaffinity(0)
    try:
        os.sched_setaffinity(0, before)
    except OSError:
        pytest.skip("this sandbox refuses to set thread affinity")
    seen = []

    def fetch_thread():
        share_one_core()
        seen.append(os.sched_getaffinity(0))

    threads = [threading.Thread(target=fetch_thread) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(seen[0]) == 1 and seen[0] == seen[1] and seen[0] <= before
    assert os.sched_getaffinity(0) == before  # the calling thread, and so the parse workers it starts, keep all


def test_cli_refresh_refuses_an_unusable_follow_list_or_database(tmp_path):
    missing = CliRunner().invoke(cli, ["refresh", "--feeds", str(tmp_path / "nope.yml"), "--db",
                                       str(tmp_path / "a.db")])
    assert missing.exit_code != 0
    assert "nope.yml" in missing.output and "Traceback" not in missing.output
    feeds_file = tmp_path / "feeds.yml"
    feeds_file.write_text("sources: []\n", encoding="utf-8")
    not_a_db = tmp_path / "notes.db"
    not_a_db.write_bytes(b"these are my notes, not a database" * 100)
    broken = CliRunner().invoke(cli, ["refresh", "--feeds", str(feeds_file), "--db", str(not_a_db), "--json"])
    assert broken.exit_code != 0
    assert "notes.db" in broken.output
    assert len(broken.output.strip().splitlines()) == 1


def test_a_refresh_killed_while_writing_leaves_a_consistent_database(server, tmp_path, release_stalls):
    import os
    import signal
    import subprocess
    import sys
    import time

    def slow(body, etag):
        def answer(handler):
            release_stalls.wait(0.3)  # keeps the run going while the first feeds are written
            handler.send_response(200)
            handler.send_header("ETag", etag)
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body)
        return answer

    feeds_yml = "sources:\n"
    for number in range(40):
        body = rss(*[f"Feed {number} post {n}" for n in range(20)], prefix=f"f{number}").encode()
        path = f"/feed{number}.xml"
        etag = f'"{number}"'
        server.route(path, body, handler=slow(body, etag) if number % 2 else None, headers={"ETag": etag})
        feeds_yml += f"  - name: Source {number}\n    feed: {server.url(path)}\n"
    feeds_file, db_file = tmp_path / "feeds.yml", tmp_path / "amplify.db"
    feeds_file.write_text(feeds_yml, encoding="utf-8")
    command = [sys.executable, "-c", "from amplify.cli import cli; cli()", "refresh", "--feeds", str(feeds_file),
               "--db", str(db_file), "--json"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        while process.poll() is None:
            time.sleep(0.05)  # polling pace only: nothing below depends on how long anything took
            if db_file.exists():
                with Store(db_file) as watcher:
                    if watcher.scalar("SELECT COUNT(*) FROM items"):
                        break
        os.killpg(process.pid, signal.SIGKILL)
    finally:
        process.wait()
        process.stdout.close()
        process.stderr.close()

    with Store(db_file) as store:
        assert store.scalar("PRAGMA integrity_check") == "ok"
        per_feed = store.rows("SELECT f.etag, COUNT(i.id) AS n FROM feeds f LEFT JOIN items i ON i.feed_id = f.id "
                              "GROUP BY f.id")
        assert len(per_feed) == 40  # the follow list is stored before any feed is fetched
        # each feed whole with its validator, or not at all; something was stored before the kill
        assert {(row["n"], row["etag"] is None) for row in per_feed} <= {(20, False), (0, True)}
        assert sum(row["n"] for row in per_feed) > 0
        report = refresh(store, follow(*[(f"Source {n}", server.url(f"/feed{n}.xml")) for n in range(40)]))
        assert report.failed == 0
        assert store.scalar("SELECT COUNT(*) FROM items") == 800
        assert store.scalar("PRAGMA integrity_check") == "ok"


def test_an_unexpected_failure_while_fetching_costs_only_that_feed(server, db):
    from amplify.fetch import fetch_feed

    server.route("/good.xml", rss("Bread"))

    def fetch(client, url, **options):
        if url.endswith("/odd.xml"):
            raise UnicodeError("a header no codec can read")
        return fetch_feed(client, url, **options)

    report = refresh(db, follow(("Good", server.url("/good.xml")), ("Odd", server.url("/odd.xml"))), fetch=fetch)
    assert (report.fetched, report.failed, report.new_items) == (1, 1, 1)
    assert report.errors[0].error == "could not be fetched (UnicodeError: a header no codec can read)"


def test_bodies_are_parsed_on_the_executor_given(server, db):
    from amplify.refresh.pool import InlineExecutor

    class Counting(InlineExecutor):
        def __init__(self):
            self.bodies = []

        def submit(self, fn, /, *args, **kwargs):
            if args:  # the warm-up tasks take none; a body to parse is the first argument
                self.bodies.append(args[0])
            return super().submit(fn, *args, **kwargs)

    made = []

    def start_pool():
        made.append(Counting())
        return made[-1]

    server.route("/ada.xml", rss("Bread", "Cake"), headers={"ETag": '"a1"'})
    server.route("/bea.xml", rss("Tea", prefix="bea"))
    follow_list = follow(("Ada", server.url("/ada.xml")), ("Bea", server.url("/bea.xml")))
    report = refresh(db, follow_list, parse_pool=start_pool)
    assert (report.fetched, report.new_items) == (2, 3)
    assert len(made) == 1
    assert sorted(made[0].bodies) == sorted([rss("Bread", "Cake").encode(), rss("Tea", prefix="bea").encode()])

    again = refresh(db, follow_list, parse_pool=start_pool)
    assert (again.not_modified, len(made)) == (2, 1)  # nothing to parse: no executor started


def test_on_one_core_parsing_runs_in_process():
    from concurrent.futures import ProcessPoolExecutor

    from amplify.refresh.pool import InlineExecutor, start_parse_pool

    assert isinstance(start_parse_pool(cores=1), InlineExecutor)
    pool = start_parse_pool(cores=2)
    try:
        assert isinstance(pool, ProcessPoolExecutor)
    finally:
        pool.shutdown()
