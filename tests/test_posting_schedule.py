"""The posting schedule: a ready draft put at the network's next slot, `post_due` posting it when its time comes
with the gate run again (a link probe older than a day is probed again), and `amplify post-due --json`."""

import json
from datetime import timedelta

import pytest
from click.testing import CliRunner
from mastodon_mock.config import SeedAccount, SeedConfig
from mastodon_mock.testing.server import MockServer
from posting_fixtures import LIMITS, mastodon_poster, mastodon_statuses, ready_draft
from support import FIXED_NOW

from amplify.cli import cli
from amplify.connect import connect_mastodon
from amplify.posting import PostingError, post_due, schedule_post
from amplify.types import Settings

# FIXED_NOW is Friday 20 November 2026, 09:30 UTC: the next slot is Tuesday 24 November, 08:00 UTC (09:00 Berlin).
SETTINGS = Settings(timezone="Europe/Berlin", schedule={"mastodon": ("Tue 09:00",)})
SLOT = "2026-11-24T08:00:00+00:00"


@pytest.fixture
def mastodon():
    seed = SeedConfig(accounts=[SeedAccount(username="ada", display_name="Ada", access_token="ada_token")])
    with MockServer(seed=seed) as running:
        yield running


def linked_draft(store, server, **options) -> int:
    server.route("/sourdough", "<p>Three-day sourdough</p>", headers={"Content-Type": "text/html"})
    item_url = server.url("/sourdough")
    return ready_draft(store, text=f"@ada@bakers.social: Three-day sourdough\n{item_url}\n\n#Bread",
                       item_url=item_url, source_url=server.url(""), **options)


def test_a_scheduled_post_waits_for_its_slot_then_goes_out_once(store, server, mastodon):
    draft_id = linked_draft(store, server)
    row = schedule_post(store, draft_id, "mastodon", settings=SETTINGS, now=FIXED_NOW)
    assert (row.state, row.scheduled_for) == ("scheduled", SLOT)
    poster_for = lambda network: mastodon_poster(mastodon.base_url)  # noqa: E731
    assert post_due(store, poster_for, settings=SETTINGS, limits=LIMITS, now=FIXED_NOW + timedelta(days=1)) == []
    assert mastodon_statuses(mastodon.base_url) == []
    store.clock = lambda: FIXED_NOW + timedelta(days=4)
    [outcome] = post_due(store, poster_for, settings=SETTINGS, limits=LIMITS)
    [status] = mastodon_statuses(mastodon.base_url)
    assert outcome.state == "recorded" and outcome.post_url == status["url"]
    store.clock = lambda: FIXED_NOW + timedelta(days=5)
    assert post_due(store, poster_for, settings=SETTINGS, limits=LIMITS) == []
    assert len(store.shares()) == 1


def test_a_link_gone_by_posting_time_is_probed_again_and_the_post_is_not_made(store, server, mastodon):
    draft_id = linked_draft(store, server)
    schedule_post(store, draft_id, "mastodon", settings=SETTINGS, now=FIXED_NOW)
    server.route("/sourdough", "gone", status=404)
    store.clock = lambda: FIXED_NOW + timedelta(days=4)
    [outcome] = post_due(store, lambda network: mastodon_poster(mastodon.base_url), settings=SETTINGS,
                         limits=LIMITS)
    assert outcome.state == "failed" and "The link opens" in outcome.message
    assert len(server.hits("/sourdough")) == 1  # the day-old probe was made again
    assert mastodon_statuses(mastodon.base_url) == [] and store.shares() == []
    [row] = store.outbox_rows("failed")
    assert "The link opens" in row.error


def test_scheduling_needs_slots_and_a_ready_draft(store, server):
    draft_id = linked_draft(store, server)
    with pytest.raises(PostingError, match="no posting times for Mastodon"):
        schedule_post(store, draft_id, "mastodon", settings=Settings(), now=FIXED_NOW)
    schedule_post(store, draft_id, "mastodon", settings=SETTINGS, now=FIXED_NOW)
    with pytest.raises(PostingError, match="already scheduled"):
        schedule_post(store, draft_id, "mastodon", settings=SETTINGS, now=FIXED_NOW)


def test_post_due_from_the_command_line_prints_a_json_summary(store, server, mastodon, tmp_path):
    connect_mastodon(store, mastodon.base_url, "ada_token", limits=LIMITS)
    draft_id = linked_draft(store, server)
    # Scheduled for a slot already past: the command runs on the real clock.
    store.add_outbox(draft_id, "mastodon", text_version=store.draft_posts(draft_id)["mastodon"].version,
                     text=store.draft_posts(draft_id)["mastodon"].text, key="k1", checklist="{}", state="scheduled",
                     account=None, scheduled_for="2026-01-01T00:00:00+00:00")
    result = CliRunner().invoke(cli, ["post-due", "--json", "--db", store.path, "--feeds", str(tmp_path / "f.yml")])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)  # stderr may hold the loopback server's own complaints
    [status] = mastodon_statuses(mastodon.base_url)
    assert report["summary"] == {"recorded": 1}
    assert report["posts"] == [{"draft": draft_id, "network": "mastodon", "state": "recorded",
                                "post_url": status["url"], "message": f"Posted to Mastodon: {status['url']}"}]


def test_a_rate_limit_keeps_the_due_posts_scheduled_and_stops_that_network_for_the_run(store, server):
    from test_posting_loopback import answer

    first, second = linked_draft(store, server), linked_draft(store, server, name="Grace's Garden")
    rows = [schedule_post(store, draft_id, "mastodon", settings=SETTINGS, now=FIXED_NOW) for draft_id in (first,
                                                                                                           second)]
    server.route("/api/v1/statuses", handler=lambda h: answer(
        h, 429, {"error": "Too many requests"}, {"X-RateLimit-Reset": "2026-11-24T10:15:00.000Z"}))
    store.clock = lambda: FIXED_NOW + timedelta(days=4)
    poster = mastodon_poster(server.url(""), zone="Europe/Berlin")
    outcomes = post_due(store, lambda network: poster, settings=SETTINGS, limits=LIMITS)
    assert [outcome.state for outcome in outcomes] == ["scheduled", "scheduled"]
    assert all("next `amplify post-due` after 11:15 posts it" in outcome.message for outcome in outcomes)
    assert len(server.hits("/api/v1/statuses")) == 1
    assert [(row.state, row.scheduled_for) for row in map(store.outbox_row, (row.id for row in rows))] == [
        ("scheduled", SLOT), ("scheduled", SLOT)]
