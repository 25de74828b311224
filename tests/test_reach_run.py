"""The reach runner against real HTTP servers: loopback stand-ins for the edges (401, 404, 429, old instances),
mastodon-mock for a Mastodon that counts, and the Bluesky AppView from @atproto/dev-env."""

import time
from datetime import timedelta
from urllib.parse import urlsplit

import httpx
import pytest
from audit_fixtures import add_share, add_source
from loopback import LoopbackServer
from mastodon_mock.config import SeedAccount, SeedConfig
from mastodon_mock.testing.server import MockServer
from reach_servers import AppView, Instance
from support import FIXED_NOW, MovingClock, Waits

from amplify.clock import to_iso
from amplify.reach import PRIVATE_NUMBERS
from amplify.reach_run import check_reach
from amplify.store import Store
from amplify.types import Account

HOUR, DAY = timedelta(hours=1), timedelta(days=1)


@pytest.fixture
def clock():
    return MovingClock()


@pytest.fixture
def db(tmp_path, clock):
    opened = Store(tmp_path / "amplify.db", clock=clock)
    yield opened
    opened.close()


def shared(db: Store, network: str, post_url: str, age: timedelta = DAY * 2) -> int:
    source = db.scalar("SELECT id FROM sources LIMIT 1") or add_source(db, "Ada Bakes")
    return add_share(db, source, to_iso(FIXED_NOW - age), network=network, post_url=post_url)


def api_requests(server, prefix: str = "/api/") -> list[str]:
    return [seen.path for seen in server.requests if seen.path.startswith(prefix)]


def latest(db: Store, share_id: int):
    return db.latest_reach([share_id]).get(share_id)


# -- Mastodon, loopback -------------------------------------------------------------------------------------------


def test_a_batch_reads_several_statuses_in_one_call(server, db):
    instance = Instance()
    for number, likes in (("101", 3), ("102", 5)):
        instance.add(server, number, likes=likes, reposts=1)
    instance.mount(server)
    first = shared(db, "mastodon", server.url("/@ada/101"))
    second = shared(db, "mastodon", server.url("/@ada/102"))
    run = check_reach(db, sleep=Waits())
    assert (run.due, run.taken, run.calls["mastodon"]) == (2, 2, 1)
    assert api_requests(server)[0].startswith("/api/v1/statuses?id%5B%5D=101&id%5B%5D=102")
    assert (latest(db, first).likes, latest(db, second).likes, latest(db, second).reposts) == (3, 5, 1)


def test_an_instance_without_batches_is_asked_status_by_status(server, db):
    instance = Instance(batch=False)
    instance.add(server, "101", likes=2)
    instance.add(server, "102", replies=4)
    instance.mount(server)
    first, second = (shared(db, "mastodon", server.url(f"/@ada/{number}")) for number in ("101", "102"))
    run = check_reach(db, sleep=Waits())
    assert run.taken == 2 and run.problems == []
    assert [path.split("?")[0] for path in api_requests(server)] == [
        "/api/v1/statuses", "/api/v1/statuses/101", "/api/v1/statuses/102"]
    assert (latest(db, first).likes, latest(db, second).replies) == (2, 4)


def test_a_deleted_status_ends_its_series(server, db, clock):
    instance = Instance()
    instance.add(server, "101", likes=2)
    instance.mount(server)
    gone = shared(db, "mastodon", server.url("/@ada/404404"))
    kept = shared(db, "mastodon", server.url("/@ada/101"))
    run = check_reach(db, sleep=Waits())
    assert (run.taken, run.deleted) == (2, 1)
    assert latest(db, gone).deleted and latest(db, gone).likes is None
    assert not latest(db, kept).deleted
    assert "/api/v1/statuses/404404" in api_requests(server)  # left out of the batch, so asked alone: 404
    before = len(server.requests)
    clock.now = FIXED_NOW + DAY * 8  # the 7-day snapshot of the one still there; none for the deleted one
    run = check_reach(db, sleep=Waits())
    assert run.due == 1 and run.taken == 1
    assert not any("404404" in seen.path for seen in server.requests[before:])


def test_logged_out_reads_refused_say_so_and_a_connected_account_opens_them(server, db, clock):
    instance = Instance(private=True)
    instance.add(server, "101", likes=9)
    instance.mount(server)
    share_id = shared(db, "mastodon", server.url("/@ada/101"))
    run = check_reach(db, sleep=Waits(), mastodon_headers=lambda base: None)
    assert run.taken == 0 and [problem.reason for problem in run.problems] == [PRIVATE_NUMBERS]
    assert latest(db, share_id) is None  # still due, a day after the failure
    assert check_reach(db, sleep=Waits(), mastodon_headers=lambda base: None).due == 0
    clock.now = FIXED_NOW + DAY
    asked = []

    def connected(base: str) -> dict[str, str]:
        asked.append(base)
        return {"Authorization": "Bearer own-token"}

    run = check_reach(db, sleep=Waits(), mastodon_headers=connected)
    assert run.taken == 1 and latest(db, share_id).likes == 9
    assert asked == [server.url("").rstrip("/")]
    assert server.requests[-1].headers.get("Authorization") == "Bearer own-token"


def test_the_token_seam_sends_a_token_only_to_the_users_own_instance(server, db, clock, monkeypatch):
    instance = Instance(private=True)
    instance.add(server, "101", likes=9)
    instance.mount(server)
    share_id = shared(db, "mastodon", server.url("/@ada/101"))
    monkeypatch.setenv("AMPLIFY_MASTODON_TOKEN", "own-token")
    run = check_reach(db, sleep=Waits(), own_instance="elsewhere.example")
    assert run.taken == 0 and run.problems[0].reason == PRIVATE_NUMBERS
    assert all("Authorization" not in seen.headers for seen in server.requests)
    clock.now = FIXED_NOW + DAY  # a day after the failed reading
    run = check_reach(db, sleep=Waits(), own_instance=urlsplit(server.url("")).netloc)
    assert run.taken == 1 and latest(db, share_id).likes == 9


def test_a_429_is_waited_out_as_its_headers_say_and_the_run_goes_on(server, db):
    instance = Instance(limited=2)
    instance.add(server, "101", likes=1)
    instance.mount(server)
    share_id = shared(db, "mastodon", server.url("/@ada/101"))
    waits = Waits()
    run = check_reach(db, sleep=waits)
    assert waits == [7.0, 7.0] and run.taken == 1 and latest(db, share_id).likes == 1
    assert run.calls["mastodon"] == 3


def test_a_429_with_only_a_reset_time_waits_until_then(server, db):
    instance = Instance(limited=1, reset_only=True)
    instance.add(server, "101", likes=1)
    instance.mount(server)
    shared(db, "mastodon", server.url("/@ada/101"))
    waits = Waits()
    run = check_reach(db, sleep=waits)
    assert run.taken == 1 and len(waits) == 1 and 0 < waits[0] <= 5


def test_an_exhausted_rate_limit_waits_for_its_reset_before_the_next_call(server, db):
    instance = Instance(remaining_zero=True, batch=False)
    instance.add(server, "101", likes=1)
    instance.add(server, "102", likes=2)
    instance.mount(server)
    for number in ("101", "102"):
        shared(db, "mastodon", server.url(f"/@ada/{number}"))
    waits = Waits()
    run = check_reach(db, sleep=waits, now=FIXED_NOW)
    assert run.taken == 2 and len(waits) == 1 and 0 <= waits[0] <= 3


def test_a_long_rate_limit_pauses_the_server_and_leaves_its_posts_due(server, db):
    instance = Instance(limited=1)
    instance.add(server, "101", likes=1)
    instance.mount(server)
    share_id = shared(db, "mastodon", server.url("/@ada/101"))
    run = check_reach(db, sleep=Waits(), max_wait=1)
    assert run.taken == 0 and run.paused and "next run" in run.paused[0]
    assert [one.share_id for one in db.reach_shares() if one.last_checked_at is None] == [share_id]


def test_no_request_for_a_share_not_due_nor_after_the_30_day_snapshot(server, db, clock):
    instance = Instance()
    instance.add(server, "101", likes=1)
    instance.add(server, "102", likes=1)
    instance.mount(server)
    shared(db, "mastodon", server.url("/@ada/101"), age=timedelta(minutes=30))  # not an hour old
    shared(db, "mastodon", server.url("/@ada/102"), age=DAY * 29)
    assert check_reach(db, sleep=Waits()).taken == 1  # the 102's 7-day snapshot, late
    clock.now = FIXED_NOW + DAY * 2  # 102 reaches 30 days
    assert check_reach(db, sleep=Waits(), now=clock.now).taken == 2  # and 101 its 1-day
    before = len(server.requests)
    for days in (3, 8, 40, 400):
        clock.now = FIXED_NOW + DAY * days
        check_reach(db, sleep=Waits(), now=clock.now)
    asked = [seen.path for seen in server.requests[before:]]
    assert not any("102" in path for path in asked)  # nothing after the 30-day snapshot
    assert len(asked) == 2  # 101's 7-day and 30-day ones


def test_a_share_that_cannot_be_read_is_asked_for_at_most_once_a_day_and_not_after_30_days(server, db, clock):
    private = Instance(private=True)
    private.add(server, "101", likes=1)
    private.mount(server)
    AppView().mount(server)
    other = LoopbackServer().start()  # a host that answers without JSON
    other.route("/api/v1/statuses/102", "<html>not a status</html>", headers={"Content-Type": "text/html"})
    try:
        kept = shared(db, "mastodon", server.url("/@ada/101"), age=DAY * 29)
        broken = shared(db, "mastodon", other.url("/@ada/102"), age=DAY * 29)
        unknown = shared(db, "bluesky", "https://bsky.app/profile/nobody.test/post/r1", age=DAY * 29)
        asked = []
        for hours in range(0, 24 * 40, 6):  # a cron run every 6 hours for 40 days
            clock.now = FIXED_NOW + HOUR * hours
            before = len(server.requests) + len(other.requests)
            run = check_reach(db, appview=server.url(""), sleep=Waits(), now=clock.now,
                              mastodon_headers=lambda instance: None)
            asked.append((hours, len(server.requests) + len(other.requests) - before))
            assert run.taken == 0
    finally:
        other.stop()
    days_asked = sorted({hours // 24 for hours, count in asked if count})
    # the 7-day milestone's one try, then the 30-day one's (day 1) and its two days of grace, then nothing
    assert days_asked == [0, 1, 2, 3] and all(count <= 3 for _, count in asked)
    said = db.reach_failures([kept, broken, unknown])
    assert said[kept][1] == PRIVATE_NUMBERS and "nobody.test" in said[unknown][1]
    assert said[broken][1].startswith("could not read the counts")
    assert db.scalar("SELECT count(*) FROM reach") == 0


def test_links_reach_cannot_read_are_not_due(server, db):
    shared(db, "mastodon", "https://bakers.social/@ada")  # a profile, not a post
    run = check_reach(db, sleep=Waits())
    assert (run.due, run.taken, run.problems, server.requests) == (0, 0, [], [])


# -- Bluesky, loopback ----------------------------------------------------------------------------------------


def test_bluesky_posts_are_read_25_a_call_and_a_handle_resolved_once(server, db, clock):
    appview = AppView(handles={"ada.test": "did:plc:ada"})
    appview.mount(server)
    appview.did_document(server, "did:plc:ada")
    ids = []
    for number in range(60):
        appview.add("did:plc:ada", f"r{number}", likes=number)
        ids.append(shared(db, "bluesky", f"https://bsky.app/profile/ada.test/post/r{number}"))
    gone = shared(db, "bluesky", "https://bsky.app/profile/ada.test/post/gone")
    run = check_reach(db, appview=server.url(""), sleep=Waits(), plc=server.url(""))
    paths = [urlsplit(seen.path).path for seen in server.requests]
    assert paths.count("/xrpc/com.atproto.identity.resolveHandle") == 1
    assert paths.count("/xrpc/app.bsky.feed.getPosts") == 3
    assert paths.count("/did:plc:ada") == 1 and paths.count("/xrpc/com.atproto.repo.getRecord") == 1  # confirmed
    assert run.calls["bluesky"] == 6
    assert (run.taken, run.deleted) == (61, 1) and latest(db, gone).deleted
    assert latest(db, ids[42]).likes == 42
    assert latest(db, ids[0]).post_ref == "at://did:plc:ada/app.bsky.feed.post/r0"
    appview.handles.clear()  # the handle moved on: the DID kept with the first snapshot is enough
    clock.now = FIXED_NOW + DAY * 8
    run = check_reach(db, appview=server.url(""), sleep=Waits(), now=clock.now)
    assert run.taken == 60 and run.calls["bluesky"] == 3 and run.problems == []


def test_a_post_the_appview_leaves_out_is_deleted_only_when_its_own_server_says_so(server, db, clock):
    appview = AppView()
    appview.mount(server)
    appview.did_document(server, "did:plc:ada")
    kept_uri = "at://did:plc:ada/app.bsky.feed.post/kept"
    appview.kept.add(kept_uri)  # on its server, but the AppView does not show it (behind, or deactivated)
    gone = shared(db, "bluesky", "https://bsky.app/profile/did:plc:ada/post/gone")
    kept = shared(db, "bluesky", "https://bsky.app/profile/did:plc:ada/post/kept")
    lost = shared(db, "bluesky", "https://bsky.app/profile/did:plc:lost/post/r1")  # no DID document to be found
    run = check_reach(db, appview=server.url(""), sleep=Waits(), plc=server.url(""))
    assert (run.taken, run.deleted) == (1, 1) and latest(db, gone).deleted
    reasons = {problem.share_id: problem.reason for problem in run.problems}
    assert "its server still has it" in reasons[kept] and "could not find its server" in reasons[lost]
    assert latest(db, kept) is None and latest(db, lost) is None
    assert set(db.reach_failures([kept, lost])) == {kept, lost}
    appview.add("did:plc:ada", "kept", likes=3)  # the AppView caught up
    clock.now = FIXED_NOW + DAY
    run = check_reach(db, appview=server.url(""), sleep=Waits(), plc=server.url(""), now=clock.now)
    assert latest(db, kept).likes == 3 and not latest(db, kept).deleted and run.deleted == 0


def test_the_connected_accounts_own_server_confirms_a_deletion_without_the_plc_directory(server, db):
    appview = AppView()
    appview.mount(server)  # no DID document anywhere: the connected account names its server
    db.save_account(Account(network="bluesky", server=server.url(""), handle="ada.test", did="did:plc:ada",
                            account_id=None, display_name="Ada", connected_at=to_iso(FIXED_NOW)))
    gone = shared(db, "bluesky", "https://bsky.app/profile/did:plc:ada/post/gone")
    run = check_reach(db, appview=server.url(""), sleep=Waits(), plc=server.url("/no-directory"))
    assert run.deleted == 1 and latest(db, gone).deleted
    assert not [seen for seen in server.requests if "did:plc" in seen.path.split("?")[0]]
    assert [seen for seen in server.requests if seen.path.startswith("/xrpc/com.atproto.repo.getRecord")]


def test_a_post_amplify_posted_is_found_by_the_did_the_outbox_kept_though_the_handle_changed(server, db):
    appview = AppView()  # the handle in the link no longer resolves
    appview.mount(server)
    uri = appview.add("did:plc:ada", "r1", likes=4)
    share_id = shared(db, "bluesky", "https://bsky.app/profile/ada.test/post/r1")
    draft_id = db.scalar("SELECT draft_id FROM shares WHERE id = ?", (share_id,))
    row = db.add_outbox(draft_id, "bluesky", text_version=1, text="Read this", checklist="{}", key="k1",
                        state="pending", account="ada.test")
    db.outbox_sent(row.id, post_id=uri, post_url="https://bsky.app/profile/ada.test/post/r1")
    db.outbox_recorded(row.id, share_id)
    run = check_reach(db, appview=server.url(""), sleep=Waits(), plc=server.url(""))
    assert run.problems == [] and latest(db, share_id).likes == 4 and latest(db, share_id).post_ref == uri
    assert not [seen for seen in server.requests if "resolveHandle" in seen.path]


def test_an_unknown_handle_is_reported(server, db):
    AppView().mount(server)
    shared(db, "bluesky", "https://bsky.app/profile/nobody.test/post/r1")
    run = check_reach(db, appview=server.url(""), sleep=Waits())
    assert run.taken == 0 and "nobody.test" in run.problems[0].reason


# -- mastodon-mock --------------------------------------------------------------------------------------------


def test_mastodon_mock_counts_a_favourite_a_boost_and_a_reply(db):
    seed = SeedConfig(accounts=[SeedAccount(username="ada", access_token="ada_token"),
                                SeedAccount(username="bea", access_token="bea_token")])
    with MockServer(seed=seed) as mock:
        base = mock.base_url.rstrip("/")
        ada, bea = ({"Authorization": f"Bearer {token}"} for token in ("ada_token", "bea_token"))
        status = httpx.post(f"{base}/api/v1/statuses", headers=ada, data={"status": "Read Bea's zine"}).json()
        other = httpx.post(f"{base}/api/v1/statuses", headers=ada, data={"status": "And this one"}).json()
        httpx.post(f"{base}/api/v1/statuses/{status['id']}/favourite", headers=bea).raise_for_status()
        httpx.post(f"{base}/api/v1/statuses/{status['id']}/reblog", headers=bea).raise_for_status()
        httpx.post(f"{base}/api/v1/statuses", headers=bea,
                   data={"status": "Thank you!", "in_reply_to_id": status["id"]}).raise_for_status()
        first = shared(db, "mastodon", f"{base}/@ada/{status['id']}")
        second = shared(db, "mastodon", f"{base}/@ada/{other['id']}")
        run = check_reach(db, sleep=Waits())
    assert run.taken == 2 and run.calls["mastodon"] == 1  # one batch
    snapshot = latest(db, first)
    assert (snapshot.reposts, snapshot.likes, snapshot.replies) == (1, 1, 1)
    assert latest(db, second).interactions == 0


# -- the Bluesky AppView from @atproto/dev-env ---------------------------------------------------------------


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())


def test_the_appview_counts_a_like_a_repost_and_a_reply_and_then_an_unlike(bluesky, db, clock):
    ada, bea = bluesky.create_account("reachada"), bluesky.create_account("reachbea")
    post = bluesky.post(ada, "Read Bea's zine")
    subject = {"uri": post["uri"], "cid": post["cid"]}
    like = bluesky.create_record(bea, "app.bsky.feed.like",
                                 {"$type": "app.bsky.feed.like", "subject": subject, "createdAt": _now()})
    bluesky.create_record(bea, "app.bsky.feed.repost",
                          {"$type": "app.bsky.feed.repost", "subject": subject, "createdAt": _now()})
    bluesky.create_record(bea, "app.bsky.feed.post", {"$type": "app.bsky.feed.post", "text": "Thank you!",
                                                      "createdAt": _now(), "reply": {"root": subject,
                                                                                     "parent": subject}})
    bluesky.process_all()
    rkey = post["uri"].rsplit("/", 1)[1]
    share_id = shared(db, "bluesky", f"https://bsky.app/profile/{ada.handle}/post/{rkey}", age=HOUR * 2)
    run = check_reach(db, appview=bluesky.appview, sleep=Waits())
    assert run.problems == [] and run.taken == 1
    snapshot = latest(db, share_id)
    assert (snapshot.likes, snapshot.reposts, snapshot.replies) == (1, 1, 1)
    assert snapshot.post_ref == f"at://{ada.did}/app.bsky.feed.post/{rkey}"
    httpx.post(f"{bluesky.pds}/xrpc/com.atproto.repo.deleteRecord", timeout=30,
               headers={"Authorization": f"Bearer {bea.access_jwt}"},
               json={"repo": bea.did, "collection": "app.bsky.feed.like",
                     "rkey": like["uri"].rsplit("/", 1)[1]}).raise_for_status()
    bluesky.process_all()
    clock.now = FIXED_NOW + DAY
    run = check_reach(db, appview=bluesky.appview, sleep=Waits(), now=clock.now)
    assert run.taken == 1
    snapshot = latest(db, share_id)
    assert (snapshot.likes, snapshot.reposts, snapshot.replies) == (0, 1, 1)
