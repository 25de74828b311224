"""The link probe behind `link_resolves` and `link_on_own_site`, against real loopback servers."""

import threading
from datetime import timedelta

import pytest
from support import FIXED_NOW
from test_gate import attest_all, make_draft

from amplify import checklist
from amplify.checklist import ShareRefused, gate_status, mark_shared, refresh_link_probe
from amplify.fetch import FetchLimits

QUICK = FetchLimits(connect_timeout=1.0, total_timeout=0.5)


@pytest.fixture
def creator(store, server):
    """A creator whose site is the loopback server at 127.0.0.1, with a draft linking `/post`."""
    server.route("/post", "<h1>Three-day sourdough</h1>", headers={"Content-Type": "text/html"})
    item_url = server.url("/post")
    draft_id = make_draft(store, source_url=server.url("").rstrip("/"), item_url=item_url)
    store.save_post_text(draft_id, "mastodon", f"@ada@bakers.social: Three-day sourdough {item_url}")
    attest_all(store, draft_id)
    return draft_id, item_url


def results(store, draft_id):
    return {result.check.id: result for result in gate_status(store, draft_id, "mastodon").results}


def test_a_page_that_answers_200_passes_and_can_be_shared(store, server, creator):
    draft_id, item_url = creator
    probe = refresh_link_probe(store, item_url)
    assert (probe.ok, probe.status, probe.final_url, probe.redirects) == (True, 200, item_url, 0)
    assert probe.checked_at == FIXED_NOW
    found = results(store, draft_id)
    assert found["link_resolves"].passed and "status 200" in found["link_resolves"].detail
    assert found["link_on_own_site"].passed and "127.0.0.1" in found["link_on_own_site"].detail
    assert mark_shared(store, draft_id, "mastodon") > 0
    assert store.scalar("SELECT COUNT(*) FROM events WHERE kind = 'link_probed'") == 1


def test_a_missing_page_fails_with_the_reason(store, server, creator):
    draft_id, item_url = creator
    server.route("/post", "gone", status=404)
    probe = refresh_link_probe(store, item_url)
    assert not probe.ok and probe.status == 404
    found = results(store, draft_id)["link_resolves"]
    assert not found.passed and "nothing is there any more (404 Not Found)" in found.detail


def test_a_redirect_chain_within_the_limit_resolves(store, server, creator):
    draft_id, item_url = creator
    server.redirect("/old", "/older")
    server.redirect("/older", "/oldest", status=301)
    server.redirect("/oldest", item_url)
    with store.transaction():
        store.execute("UPDATE items SET url = ?", (server.url("/old"),))
    store.save_post_text(draft_id, "mastodon", f"@ada@bakers.social: sourdough {server.url('/old')}")
    attest_all(store, draft_id)
    probe = refresh_link_probe(store, server.url("/old"))
    assert probe.ok and probe.redirects == 3 and probe.final_url == item_url
    found = results(store, draft_id)
    assert found["link_resolves"].passed and "after 3 redirects" in found["link_resolves"].detail
    assert found["link_on_own_site"].passed


def test_more_than_five_redirects_fail(store, server, creator):
    for hop in range(6):
        server.redirect(f"/hop{hop}", f"/hop{hop + 1}")
    server.route("/hop6", "finally")
    probe = refresh_link_probe(store, server.url("/hop0"))
    assert not probe.ok and "more than 5 redirects" in probe.error


def test_a_redirect_off_the_creators_domain_is_refused(store, server, creator):
    draft_id, item_url = creator
    # Same server, another host name: the link now ends on a site that is not the creator's.
    elsewhere = f"http://localhost:{server.port}/copy"
    server.route("/copy", "a copy")
    server.redirect("/post", elsewhere)
    probe = refresh_link_probe(store, item_url)
    assert probe.ok and probe.final_url == elsewhere
    found = results(store, draft_id)
    assert found["link_resolves"].passed
    assert not found["link_on_own_site"].passed
    assert "localhost is not one of their own sites (127.0.0.1" in found["link_on_own_site"].detail
    assert not gate_status(store, draft_id, "mastodon").can_share


def test_a_redirect_to_a_shortener_is_refused_as_one(store, server, creator, monkeypatch):
    # Real shorteners cannot be served on loopback, so this test names the loopback host "localhost" one: the
    # probe follows the redirect for real and the check judges where it ended.
    monkeypatch.setattr(checklist.hosts, "SHORTENER_HOSTS", frozenset({"localhost"}))
    draft_id, item_url = creator
    shortened = f"http://localhost:{server.port}/s/3xYz"
    server.route("/s/3xYz", "a shortener's landing page")
    server.redirect("/post", shortened)
    probe = refresh_link_probe(store, item_url)
    assert probe.ok and probe.url == item_url and probe.final_url == shortened and probe.redirects == 1
    found = results(store, draft_id)["link_on_own_site"]
    assert not found.passed
    assert found.detail == (
        "it redirects: localhost is a link shortener, which hides where the link goes: link their own page instead"
    )
    with pytest.raises(ShareRefused) as refused:
        mark_shared(store, draft_id, "mastodon")
    assert [result.check.id for result in refused.value.failures] == ["link_on_own_site"]


def test_a_server_that_never_answers_times_out(store, server, creator):
    release = threading.Event()

    def never_answers(handler):
        release.wait(5)

    server.route("/slow", handler=never_answers)
    try:
        probe = refresh_link_probe(store, server.url("/slow"), limits=QUICK)
    finally:
        release.set()
    assert not probe.ok and probe.status is None
    assert "within 0.5 s" in probe.error


def test_probing_inside_a_transaction_is_refused(store, server, creator):
    _draft_id, item_url = creator
    with pytest.raises(RuntimeError, match="not in one"), store.transaction():
        refresh_link_probe(store, item_url, force=True)
    assert server.hits("/post") == []


def test_a_fresh_probe_is_reused_and_an_old_one_repeated(store, server, creator):
    _draft_id, item_url = creator
    refresh_link_probe(store, item_url)
    refresh_link_probe(store, item_url, now=FIXED_NOW + timedelta(hours=23))
    assert len(server.hits("/post")) == 1
    refresh_link_probe(store, item_url, now=FIXED_NOW + timedelta(hours=25))
    assert len(server.hits("/post")) == 2
    refresh_link_probe(store, item_url, force=True)
    assert len(server.hits("/post")) == 3
