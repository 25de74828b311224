"""Posting to Mastodon through the gate, against mastodon-mock (a server built against Mastodon's API schema): the
outbox row, the share with the post's address, the Idempotency-Key on a retry, and the network's reasons."""

import json
from datetime import timedelta

import httpx
import pytest
from mastodon_mock.config import SeedAccount, SeedConfig
from mastodon_mock.testing.server import MockServer
from posting_fixtures import LIMITS, mastodon_poster, mastodon_statuses, ready_draft
from support import FIXED_NOW
from test_gate import make_draft

from amplify.posting import PostRefused, _open_attempt, post_now, settle
from amplify.publish import PostFailed
from amplify.types import Settings


@pytest.fixture
def mastodon():
    seed = SeedConfig(accounts=[SeedAccount(username="ada", display_name="Ada", access_token="ada_token")])
    with MockServer(seed=seed) as running:
        yield running


def test_a_ready_draft_is_posted_once_and_its_share_recorded_with_the_posts_address(store, mastodon):
    draft_id = ready_draft(store)
    settings = Settings(post_visibility="unlisted", language="en")
    outcome = post_now(store, draft_id, "mastodon", mastodon_poster(mastodon.base_url), settings=settings,
                       limits=LIMITS)
    [status] = mastodon_statuses(mastodon.base_url)
    assert outcome.state == "recorded" and outcome.post_url == status["url"]
    assert status["visibility"] == "unlisted" and status["language"] == "en"
    assert "Three-day sourdough" in status["content"]
    [share] = store.shares()
    assert share.post_url == status["url"] and share.network == "mastodon"
    [row] = store.outbox_rows("recorded")
    assert (row.post_id, row.share_id, row.draft_id) == (status["id"], share.id, draft_id)


def test_a_draft_the_gate_refuses_is_not_posted_and_no_outbox_row_is_written(store, mastodon):
    draft_id = make_draft(store)
    with pytest.raises(PostRefused) as refused:
        post_now(store, draft_id, "mastodon", mastodon_poster(mastodon.base_url), limits=LIMITS)
    assert str(refused.value).startswith("Not posted. Still to do:")
    assert mastodon_statuses(mastodon.base_url) == []
    assert store.outbox_rows("pending", "sent", "recorded", "failed") == [] and store.shares() == []


def test_a_bad_token_says_reconnect_and_leaves_no_share(store, mastodon):
    draft_id = ready_draft(store)
    with pytest.raises(PostFailed) as failed:
        post_now(store, draft_id, "mastodon", mastodon_poster(mastodon.base_url, token="revoked"), limits=LIMITS)
    assert "connect it again with `amplify account add mastodon`" in str(failed.value)
    assert store.shares() == [] and store.draft(draft_id).state == "open"
    [row] = store.outbox_rows("failed")
    assert "refused the account's sign-in" in row.error


def test_the_servers_422_message_is_shown_and_nothing_is_recorded(store, mastodon):
    # amplify counts a link as 23 characters, as Mastodon does; the mock counts every character, so this long
    # link makes it refuse the post with its own words.
    long_url = "https://adasbakery.com/" + "a" * 600
    draft_id = ready_draft(store, text=f"@ada@bakers.social: Three-day sourdough\n{long_url}", item_url=long_url,
                           source_url="https://adasbakery.com")
    with pytest.raises(PostFailed) as failed:
        post_now(store, draft_id, "mastodon", mastodon_poster(mastodon.base_url), limits=LIMITS)
    assert "Text is too long (maximum is 500 characters)" in str(failed.value)
    assert store.shares() == [] and mastodon_statuses(mastodon.base_url) == []


def test_a_retry_within_the_hour_sends_the_same_key_and_the_server_answers_with_the_same_status(store, mastodon):
    draft_id = ready_draft(store)
    row, _ctx = _open_attempt(store, draft_id, "mastodon", "@ada@mock.local", FIXED_NOW)
    # The first call reached the server, then the process died before it heard the answer.
    first = httpx.post(f"{mastodon.base_url}/api/v1/statuses", json={"status": row.text},
                       headers={"Authorization": "Bearer ada_token", "Idempotency-Key": row.key}).json()
    [outcome] = settle(store, lambda network: mastodon_poster(mastodon.base_url), now=FIXED_NOW)
    assert outcome.state == "recorded" and outcome.post_url == first["url"]
    assert [status["id"] for status in mastodon_statuses(mastodon.base_url)] == [first["id"]]
    assert len(store.shares()) == 1


def test_after_the_hour_the_status_is_found_among_the_latest_instead_of_posted_again(store, mastodon):
    draft_id = ready_draft(store)
    row, _ctx = _open_attempt(store, draft_id, "mastodon", "@ada@mock.local", FIXED_NOW)
    first = httpx.post(f"{mastodon.base_url}/api/v1/statuses", json={"status": row.text},
                       headers={"Authorization": "Bearer ada_token", "Idempotency-Key": row.key}).json()
    later = FIXED_NOW + timedelta(hours=2)
    # A new key would make a second status if the search did not find the first.
    store.execute("UPDATE outbox SET key = 'expired-' || key WHERE id = ?", (row.id,))
    [outcome] = settle(store, lambda network: mastodon_poster(mastodon.base_url), now=later)
    assert outcome.state == "recorded" and outcome.post_url == first["url"]
    assert len(mastodon_statuses(mastodon.base_url)) == 1 and len(store.shares()) == 1


def test_after_the_hour_with_nothing_found_it_is_posted(store, mastodon):
    draft_id = ready_draft(store)
    _open_attempt(store, draft_id, "mastodon", "@ada@mock.local", FIXED_NOW)
    [outcome] = settle(store, lambda network: mastodon_poster(mastodon.base_url), now=FIXED_NOW + timedelta(hours=2))
    [status] = mastodon_statuses(mastodon.base_url)
    assert outcome.state == "recorded" and outcome.post_url == status["url"]


def test_a_post_made_before_the_words_changed_is_recorded_with_the_words_and_version_it_went_out_with(store,
                                                                                                     mastodon):
    draft_id = ready_draft(store)
    row, _ctx = _open_attempt(store, draft_id, "mastodon", "@ada@mock.local", FIXED_NOW)
    first = httpx.post(f"{mastodon.base_url}/api/v1/statuses", json={"status": row.text},
                       headers={"Authorization": "Bearer ada_token", "Idempotency-Key": row.key}).json()
    # While the process was down the user changed the words, and a day and more went by: the link's probe is old.
    store.save_post_text(draft_id, "mastodon", "So good! " + row.text)
    later = FIXED_NOW + timedelta(days=2)
    [outcome] = settle(store, lambda network: mastodon_poster(mastodon.base_url), now=later)
    assert outcome.state == "recorded" and outcome.post_url == first["url"]
    [share] = store.shares()
    assert share.text == row.text and share.post_url == first["url"]
    checklist = json.loads(share.checklist)
    assert checklist["text_version"] == row.text_version and checklist["gate_passed_at"] == row.attempted_at
    assert len(mastodon_statuses(mastodon.base_url)) == 1 and store.verify_share_log() is None


def test_settle_does_not_post_as_an_account_other_than_the_one_the_post_was_started_as(store, mastodon):
    draft_id = ready_draft(store)
    row, _ctx = _open_attempt(store, draft_id, "mastodon", "@grace@elsewhere.social", FIXED_NOW)
    [outcome] = settle(store, lambda network: mastodon_poster(mastodon.base_url), now=FIXED_NOW)
    assert outcome.state == "pending" and mastodon_statuses(mastodon.base_url) == []
    assert "started as @grace@elsewhere.social" in outcome.message and "@ada@mock.local is connected" in outcome.message
    assert "connect @grace@elsewhere.social again" in store.outbox_row(row.id).error
