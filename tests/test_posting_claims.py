"""Two processes on one database (two stores on the same file): a row one of them is posting is not settled by
the other, a claim is won by exactly one, and a row moved on by one is not moved back by the other."""

from datetime import timedelta

import pytest
from mastodon_mock.config import SeedAccount, SeedConfig
from mastodon_mock.testing.server import MockServer
from posting_fixtures import LIMITS, mastodon_poster, mastodon_statuses, ready_draft
from support import FIXED_NOW
from test_posting_schedule import SETTINGS, linked_draft

from amplify.posting import _claimant, _open_attempt, post_due, post_now, schedule_post, settle
from amplify.store import Store

LATER = FIXED_NOW + timedelta(days=4)


@pytest.fixture
def mastodon():
    seed = SeedConfig(accounts=[SeedAccount(username="ada", display_name="Ada", access_token="ada_token")])
    with MockServer(seed=seed) as running:
        yield running


@pytest.fixture
def two_stores(tmp_path):
    app, cron = (Store(tmp_path / "amplify.db", clock=lambda: LATER) for _ in range(2))
    yield app, cron
    app.close()
    cron.close()


def test_a_row_another_process_is_posting_is_left_to_it(two_stores, mastodon):
    app, cron = two_stores
    draft_id = ready_draft(app)
    # The app has written its row and is calling the network right now.
    row, _ctx = _open_attempt(app, draft_id, "mastodon", "@ada@mock.local", LATER, _claimant())
    [outcome] = settle(cron, lambda network: mastodon_poster(mastodon.base_url), limits=LIMITS)
    assert "Another amplify is posting this" in outcome.message and outcome.state == "pending"
    assert mastodon_statuses(mastodon.base_url) == []
    assert cron.outbox_row(row.id).claimed_by == _claimant()


def test_a_claim_is_won_by_exactly_one_store(two_stores):
    app, cron = two_stores
    draft_id = ready_draft(app)
    row, _ctx = _open_attempt(app, draft_id, "mastodon", "@ada@mock.local", LATER)
    seen_by_app, seen_by_cron = app.outbox_row(row.id), cron.outbox_row(row.id)
    assert [app.claim_outbox(seen_by_app, "app:1"), cron.claim_outbox(seen_by_cron, "cron:2")] == [True, False]
    assert cron.outbox_row(row.id).claimed_by == "app:1"


def test_a_scheduled_draft_posted_meanwhile_is_not_marked_failed_by_post_due(two_stores, server, mastodon):
    app, cron = two_stores
    draft_id = linked_draft(app, server)
    row = schedule_post(app, draft_id, "mastodon", settings=SETTINGS, now=FIXED_NOW)
    poster = mastodon_poster(mastodon.base_url)

    def poster_for(network):
        # After post-due read the due rows, the user pressed Post in the app.
        if not app.shares():
            post_now(app, draft_id, "mastodon", poster, settings=SETTINGS, limits=LIMITS)
        return poster

    post_due(cron, poster_for, settings=SETTINGS, limits=LIMITS)
    assert cron.outbox_row(row.id).state == "recorded"
    assert len(mastodon_statuses(mastodon.base_url)) == 1 and len(cron.shares()) == 1
