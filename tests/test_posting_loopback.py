"""What mastodon-mock does not do, on loopback servers of our own: an image processed in the background (202,
then 206 while polled), a rate limit (429 with X-RateLimit-Reset), and a server error after the status was made."""

import json
from datetime import timedelta

import pytest
from posting_fixtures import LIMITS, mastodon_poster, ready_draft
from support import FIXED_NOW

from amplify.errors import AmplifyError
from amplify.posting import post_now, settle
from amplify.publish import OutcomeUnknown, PostFailed, reset_time
from amplify.store import Store
from amplify.types import Settings

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def answer(handler, status: int, data: object, headers: dict[str, str] | None = None) -> None:
    body = json.dumps(data).encode()
    handler.send_response(status)
    for name, value in {"Content-Type": "application/json", **(headers or {})}.items():
        handler.send_header(name, value)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


class Statuses:
    """POST /api/v1/statuses that honours Idempotency-Key; `fail_first` answers the first call with a 500 after
    making the status (a server that broke while answering)."""

    def __init__(self, server, *, fail_first: bool = False) -> None:
        self.server = server
        self.made: dict[str, dict] = {}
        self.fail_first = fail_first

    def __call__(self, handler) -> None:
        key = handler.headers.get("Idempotency-Key")
        sent = json.loads(self.server.requests[-1].body)
        if key not in self.made:
            number = str(100 + len(self.made))
            self.made[key] = {"id": number, "url": self.server.url(f"/@ada/{number}"), "content": sent["status"],
                              "media_ids": sent.get("media_ids", [])}
        if self.fail_first:
            self.fail_first = False
            answer(handler, 500, {"error": "Internal server error"})
            return
        answer(handler, 200, self.made[key])


def test_an_image_being_processed_is_polled_until_ready_and_posted_with_its_alt_text(store, server):
    server.route("/sourdough.png", PNG, headers={"Content-Type": "image/png"})
    draft_id = ready_draft(store, image_url=server.url("/sourdough.png"))
    store.set_alt_text(draft_id, "A loaf with a dark crust")
    server.route("/api/v2/media", handler=lambda h: answer(h, 202, {"id": "m1", "url": None}))
    polls = iter([206, 206, 200])
    server.route("/api/v1/media/m1", handler=lambda h: answer(h, (code := next(polls)),
                                                               {"id": "m1", "url": None if code == 206 else "x"}))
    statuses = Statuses(server)
    server.route("/api/v1/statuses", handler=statuses)
    waits = []
    outcome = post_now(store, draft_id, "mastodon", mastodon_poster(server.url(""), sleep=waits.append),
                       limits=LIMITS)
    assert outcome.state == "recorded"
    [made] = statuses.made.values()
    assert made["media_ids"] == ["m1"] and len(server.hits("/api/v1/media/m1")) == 3 and waits == [1.0] * 3
    upload = server.hits("/api/v2/media")[0].body
    assert b"A loaf with a dark crust" in upload and PNG in upload


def test_a_rate_limit_says_until_when_to_wait(store, server):
    draft_id = ready_draft(store)
    server.route("/api/v1/statuses", handler=lambda h: answer(
        h, 429, {"error": "Too many requests"}, {"X-RateLimit-Reset": "2026-11-20T10:15:00.000Z"}))
    with pytest.raises(PostFailed) as failed:
        post_now(store, draft_id, "mastodon", mastodon_poster(server.url(""), zone="Europe/Berlin"),
                 settings=Settings(timezone="Europe/Berlin"), limits=LIMITS)
    assert "wait until 11:15 and post again" in str(failed.value)
    assert store.shares() == [] and store.outbox_rows("failed")[0].draft_id == draft_id


def test_reset_times_read_both_networks_forms():
    assert reset_time({"x-ratelimit-reset": "2026-11-20T10:15:00Z"}) == "10:15"
    assert reset_time({"ratelimit-reset": str(int(FIXED_NOW.timestamp()) + 2700)}, "UTC") == "10:15"
    assert reset_time({}) is None


def test_a_server_error_after_the_status_was_made_is_settled_without_a_second_status(store, server):
    draft_id = ready_draft(store)
    statuses = Statuses(server, fail_first=True)
    server.route("/api/v1/statuses", handler=statuses)
    poster = mastodon_poster(server.url(""))
    with pytest.raises(OutcomeUnknown) as unknown:
        post_now(store, draft_id, "mastodon", poster, limits=LIMITS)
    assert "may have gone out" in str(unknown.value) and store.shares() == []
    [open_row] = store.outbox_rows("pending")
    [outcome] = settle(store, lambda network: poster, now=FIXED_NOW)
    assert outcome.state == "recorded" and len(statuses.made) == 1
    keys = {seen.headers["Idempotency-Key"] for seen in server.hits("/api/v1/statuses")}
    assert keys == {open_row.key} and len(server.hits("/api/v1/statuses")) == 2
    [share] = store.shares()
    assert share.post_url == server.url("/@ada/100")


def test_an_unclear_post_is_resent_with_its_key_not_failed_when_the_gate_has_since_changed_its_mind(tmp_path,
                                                                                                  server):
    # The link was probed at T; the post went out at T+23h40 but the server answered 500; by the settle at T+24h10
    # the probe is stale, the link answers 404, the words were edited, and the look among the latest fails.
    moment = [FIXED_NOW]
    store = Store(tmp_path / "amplify.db", clock=lambda: moment[0])
    item_url = server.url("/sourdough")
    text = f"@ada@bakers.social: Three-day sourdough\n{item_url}\n\n#Bread"
    draft_id = ready_draft(store, text=text, item_url=item_url, source_url=server.url("/"))
    statuses = Statuses(server, fail_first=True)
    server.route("/api/v1/statuses", handler=statuses)
    server.route("/sourdough", b"gone", status=404)
    poster = mastodon_poster(server.url(""))
    moment[0] = FIXED_NOW + timedelta(hours=23, minutes=40)
    with pytest.raises(OutcomeUnknown):
        post_now(store, draft_id, "mastodon", poster, limits=LIMITS)
    store.save_post_text(draft_id, "mastodon", "So good! " + text)
    moment[0] = FIXED_NOW + timedelta(hours=24, minutes=10)
    [outcome] = settle(store, lambda network: poster, limits=LIMITS)
    assert outcome.state != "failed" and len(statuses.made) == 1
    assert {seen.headers["Idempotency-Key"] for seen in server.hits("/api/v1/statuses")} == {
        store.outbox_rows("pending", "sent", "recorded")[0].key}
    assert server.hits("/sourdough"), "settle checks the link again before deciding anything"
    with pytest.raises(AmplifyError):
        post_now(store, draft_id, "mastodon", poster, limits=LIMITS)
    assert len(statuses.made) == 1
    store.close()
