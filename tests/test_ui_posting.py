"""The Post buttons on the Queue page, through Streamlit's AppTest: what a disabled button says is missing, posting
to mastodon-mock with a connected account (the share then in History), and a scheduled post showing when it goes
out."""

import pytest
from account_fixtures import ADA_TOKEN, ada_on_mastodon
from posting_fixtures import LIMITS, mastodon_statuses
from support import FIXED_NOW
from test_gate import attest_all
from test_ui_queue import QueueApp

from amplify import accounts
from amplify.connect import connect_mastodon
from amplify.posting import _open_attempt
from amplify.types import LinkProbe

SCHEDULE = "  timezone: Europe/Berlin\n  schedule: {mastodon: ['Tue 09:00']}\n"


@pytest.fixture
def app(tmp_path, monkeypatch, server):
    server.route("/dawn", "<html><title>Sourdough at dawn</title></html>", headers={"Content-Type": "text/html"})
    return QueueApp(tmp_path, monkeypatch, server.url(""))


def ready(app, text: str | None = None) -> int:
    """A queued draft whose Mastodon post passes the gate."""
    draft_id = app.queue(networks=("mastodon",))
    url = f"{app.site}/dawn"
    with app.store() as store:
        store.save_post_text(draft_id, "mastodon", text or f"@ada@bakers.social: Sourdough at dawn\n{url}")
        store.save_link_probe(LinkProbe(url, True, 200, url, 0, None))
        attest_all(store, draft_id)
    return draft_id


def connected_and_ready(app, mastodon) -> int:
    with app.store() as store:
        connect_mastodon(store, mastodon.base_url, ADA_TOKEN, limits=LIMITS)
    return ready(app)


def assert_posted_once(app, at, mastodon) -> None:
    """One status on the server, and the share in History with its address; the page thanks the user."""
    [status] = mastodon_statuses(mastodon.base_url, ADA_TOKEN)
    assert not at.exception
    with app.store() as store:
        [share] = store.shares()
    assert share.post_url == status["url"]
    assert any("Posted to Mastodon" in toast.value for toast in at.toast)


def test_without_an_account_the_button_says_what_is_missing(app):
    draft_id = ready(app)
    at = app.open()
    button = at.button(key=f"post_{draft_id}_mastodon")
    assert button.disabled and button.label == "Post to Mastodon: connect an account in Settings first"


def test_with_an_account_and_a_passing_gate_a_click_posts_and_the_share_is_in_history(app):
    with ada_on_mastodon() as mastodon:
        draft_id = connected_and_ready(app, mastodon)
        at = app.open()
        button = at.button(key=f"post_{draft_id}_mastodon")
        assert not button.disabled and button.label.startswith("Post to Mastodon as @ada@")
        button.click().run()
        assert_posted_once(app, at, mastodon)


def test_a_draft_the_gate_refuses_cannot_be_posted(app):
    with ada_on_mastodon() as mastodon:
        with app.store() as store:
            connect_mastodon(store, mastodon.base_url, ADA_TOKEN, limits=LIMITS)
        draft_id = app.queue(networks=("mastodon",))
        at = app.open()
    button = at.button(key=f"post_{draft_id}_mastodon")
    assert button.disabled and button.label == "Post to Mastodon: finish the checklist first"


def test_post_at_the_next_slot_shows_when_it_goes_out(app, tmp_path):
    feeds = tmp_path / "feeds.yml"
    feeds.write_text(feeds.read_text().replace("settings:\n", "settings:\n" + SCHEDULE), encoding="utf-8")
    with ada_on_mastodon() as mastodon:
        draft_id = connected_and_ready(app, mastodon)
        at = app.open()
        at.button(key=f"schedule_{draft_id}_mastodon").click().run()
        assert mastodon_statuses(mastodon.base_url, ADA_TOKEN) == []
    assert not at.exception
    shown = "\n".join(info.value for info in at.info)
    assert "Goes out on Mastodon on Tue" in shown and "09\\:00 \\(Europe\\/Berlin\\)" in shown
    assert any(markdown.value.startswith("**Scheduled** (Europe\\/Berlin)") for markdown in at.markdown)
    with app.store() as store:
        [row] = store.outbox_rows("scheduled")
    assert row.draft_id == draft_id


def test_a_post_left_on_its_way_is_finished_once_from_the_queue(app):
    with ada_on_mastodon() as mastodon:
        draft_id = connected_and_ready(app, mastodon)
        at = app.open()
        with app.store() as store:
            # The call was made and its answer never came: the row is open, nothing is known.
            _open_attempt(store, draft_id, "mastodon", accounts.connected(store, "mastodon").handle, FIXED_NOW)
        at.run()
        assert any("not finished yet" in warning.value for warning in at.warning)
        at.button(key=f"finish_{draft_id}_mastodon").click().run()
        assert_posted_once(app, at, mastodon)
