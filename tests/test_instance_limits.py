"""The connected Mastodon server's own limits, not Mastodon's default 500: in the share gate's length check, in the
first draft, and in the composer's live count on the Queue page."""

import pytest
from test_gate import GOOD_TEXT, make_draft
from test_ui_queue import QueueApp, captions

from amplify.checklist import gate_status
from amplify.types import Account, InstanceRules

LONG_TEXT = GOOD_TEXT + "\n\n" + "Three days of rising, folded by hand every few hours. " * 12  # about 700 characters


def connect_big_server(store, *, max_characters: int = 1000, url_length: int = 30) -> None:
    """An account on a server that allows longer posts, as `amplify account add mastodon` keeps it."""
    store.save_account(Account(network="mastodon", server="https://bakers.social", handle="@me@bakers.social",
                               did=None, account_id="1", display_name="Me", connected_at=store.now(),
                               rules=InstanceRules(max_characters=max_characters,
                                                   characters_reserved_per_url=url_length),
                               rules_checked_at=store.now()))


def length_check(store, draft_id: int):
    return next(result for result in gate_status(store, draft_id, "mastodon").results
                if result.check.id == "length_fits")


def test_the_gate_measures_against_the_connected_server(store):
    draft_id = make_draft(store)
    store.save_post_text(draft_id, "mastodon", LONG_TEXT)
    assert 500 < len(LONG_TEXT) < 1000
    refused = length_check(store, draft_id)
    assert not refused.passed and "of 500 characters" in refused.detail
    connect_big_server(store)
    allowed = length_check(store, draft_id)
    assert allowed.passed and "of 1000 characters" in allowed.detail


def test_a_smaller_server_is_stricter_than_the_default(store):
    draft_id = make_draft(store)
    store.save_post_text(draft_id, "mastodon", GOOD_TEXT)
    connect_big_server(store, max_characters=40)
    assert not length_check(store, draft_id).passed


def test_bluesky_keeps_its_own_limits_whatever_mastodon_allows(store):
    draft_id = make_draft(store, networks=("bluesky",))
    store.save_post_text(draft_id, "bluesky", "é" * 301)
    connect_big_server(store)
    result = next(result for result in gate_status(store, draft_id, "bluesky").results
                  if result.check.id == "length_fits")
    assert not result.passed and "of 300" in result.detail


@pytest.fixture
def app(tmp_path, monkeypatch, server):
    server.route("/dawn", "<html><title>Sourdough at dawn</title></html>", headers={"Content-Type": "text/html"})
    return QueueApp(tmp_path, monkeypatch, server.url(""))


def test_the_composer_counts_by_the_connected_server(app):
    draft_id = app.queue(networks=("mastodon",))
    at = app.open()
    assert any("of 500 characters" in caption and "counts as 23" in caption for caption in captions(at))
    with app.store() as store:
        connect_big_server(store)
    at.text_area(key=f"draft_text_{draft_id}_mastodon").input(LONG_TEXT).run()
    shown = [caption for caption in captions(at) if "characters" in caption]
    assert any("of 1000 characters" in caption and "counts as 30" in caption for caption in shown), shown
    assert not any(":red[" in caption for caption in shown)


def test_the_first_draft_uses_the_room_the_server_gives():
    from amplify.compose import Limits, credit_for
    from amplify.drafting import draft_text

    title = "A long title about bread " * 24  # about 600 characters
    fields = {"title": title, "url": "https://ada.example/bread", "quote": None, "hashtags": [],
              "network": "mastodon", "template": "link_first",
              "creator": credit_for({"name": "Ada", "handles": {}, "credit": "name"}, "mastodon")}
    assert " ".join(title.split()) not in draft_text(**fields)  # shortened to fit 500
    assert " ".join(title.split()) in draft_text(**fields, limits=Limits(characters=1000, url_length=23))


def test_an_image_description_longer_than_the_server_takes_is_refused(store):
    draft_id = make_draft(store, image_url="https://ada.example/loaf.jpg")
    store.save_post_text(draft_id, "mastodon", GOOD_TEXT)
    store.set_alt_text(draft_id, "A round loaf on a floured board. " * 10)  # 329 characters once trimmed

    def image_check():
        return next(result for result in gate_status(store, draft_id, "mastodon").results
                    if result.check.id == "image_alt")

    assert image_check().passed
    store.save_account(Account(network="mastodon", server="https://small.example", handle="@me@small.example",
                               did=None, account_id="1", display_name="Me", connected_at=store.now(),
                               rules=InstanceRules(description_limit=200), rules_checked_at=store.now()))
    refused = image_check()
    assert not refused.passed and "329 characters; your server takes at most 200" in refused.detail
