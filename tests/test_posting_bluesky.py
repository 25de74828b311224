"""Posting to Bluesky on the real PDS (`@atproto/dev-env`): the record as written (text, facets with the mention
resolved, langs, the link card with its thumbnail), the share with the post's address, and a retry that finds the
record by its key instead of making a second post."""

import uuid

import httpx
import pytest
from posting_fixtures import LIMITS, ready_draft
from support import FIXED_NOW

from amplify.bluesky_post import COLLECTION, BlueskyPoster
from amplify.posting import _open_attempt, post_now, settle
from amplify.publish import PostFailed, PostRequest, new_tid
from amplify.types import Settings

PNG = b"\x89PNG\r\n\x1a\n" + bytes.fromhex(
    "0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000201"
    "a5f5e0f10000000049454e44ae426082"
)


def account(bluesky, name: str):
    """A new account on the session's network (each test its own: handles are unique there)."""
    return bluesky.create_account(f"{name}{uuid.uuid4().hex[:6]}")


def poster(bluesky, account, **options) -> BlueskyPoster:
    return BlueskyPoster(bluesky.pds, lambda: {"Authorization": f"Bearer {account.access_jwt}"}, did=account.did,
                         handle=account.handle, limits=LIMITS, **options)


def records(bluesky, account) -> list[dict]:
    answer = httpx.get(f"{bluesky.pds}/xrpc/com.atproto.repo.listRecords",
                       params={"repo": account.did, "collection": COLLECTION})
    answer.raise_for_status()
    return answer.json()["records"]


def test_a_post_is_written_with_facets_langs_and_a_link_card(store, bluesky):
    ada = account(bluesky, "ada")
    bea = account(bluesky, "bea")
    # @ada.example resolves nowhere on this network: it stays plain text; Bea's handle becomes a mention facet.
    text = (f"🍞 @ada.example with @{bea.handle}: Three-day sourdough\nhttps://ada.example/sourdough\n\n"
            "#Bread #Sauerteig")
    draft_id = ready_draft(store, "bluesky", text=text)
    outcome = post_now(store, draft_id, "bluesky", poster(bluesky, ada), settings=Settings(language="de"),
                       limits=LIMITS)
    [record] = records(bluesky, ada)
    value = record["value"]
    rkey = record["uri"].rsplit("/", 1)[-1]
    assert outcome.post_url == f"https://bsky.app/profile/{ada.handle}/post/{rkey}"
    assert value["text"] == text and value["langs"] == ["de"]
    encoded = text.encode("utf-8")
    read_back = [(encoded[f["index"]["byteStart"]:f["index"]["byteEnd"]].decode(), f["features"][0])
                 for f in value["facets"]]
    assert read_back == [
        (f"@{bea.handle}", {"$type": "app.bsky.richtext.facet#mention", "did": bea.did}),
        ("https://ada.example/sourdough", {"$type": "app.bsky.richtext.facet#link",
                                           "uri": "https://ada.example/sourdough"}),
        ("#Bread", {"$type": "app.bsky.richtext.facet#tag", "tag": "Bread"}),
        ("#Sauerteig", {"$type": "app.bsky.richtext.facet#tag", "tag": "Sauerteig"}),
    ]
    card = value["embed"]["external"]
    assert card["uri"] == "https://ada.example/sourdough" and card["title"] == "Three-day sourdough"
    assert "thumb" not in card
    [share] = store.shares()
    assert share.post_url == outcome.post_url
    [row] = store.outbox_rows("recorded")
    assert row.key == rkey and row.post_id == record["uri"]


def test_a_link_cards_thumbnail_is_uploaded_as_a_blob(bluesky, server):
    ada = account(bluesky, "ada")
    server.route("/loaf.png", PNG, headers={"Content-Type": "image/png"})
    server.route("/huge.png", PNG + b"\x00" * 1_000_000, headers={"Content-Type": "image/png"})
    for image, thumbed in (("/loaf.png", True), ("/huge.png", False)):
        request = PostRequest(text="Three-day sourdough", link="https://ada.example/sourdough",
                              card_title="Three-day sourdough", image_url=server.url(image))
        poster(bluesky, ada).publish(request, new_tid())
        card = records(bluesky, ada)[0]["value"]["embed"]["external"]
        assert ("thumb" in card) is thumbed
        if thumbed:
            assert card["thumb"]["mimeType"] == "image/png" and card["thumb"]["size"] == len(PNG)


def test_a_kept_image_goes_with_its_alt_text(store, bluesky, server):
    ada = account(bluesky, "ada")
    server.route("/loaf.png", PNG, headers={"Content-Type": "image/png"})
    draft_id = ready_draft(store, "bluesky", image_url=server.url("/loaf.png"))
    store.set_alt_text(draft_id, "A loaf with a dark crust")
    post_now(store, draft_id, "bluesky", poster(bluesky, ada), limits=LIMITS)
    [record] = records(bluesky, ada)
    [image] = record["value"]["embed"]["images"]
    assert image["alt"] == "A loaf with a dark crust" and image["image"]["size"] == len(PNG)


def test_an_image_bluesky_cannot_take_leaves_a_link_card_to_the_creator(store, bluesky, server):
    ada = account(bluesky, "ada")
    server.route("/huge.png", PNG + b"\x00" * 1_000_000, headers={"Content-Type": "image/png"})
    draft_id = ready_draft(store, "bluesky", image_url=server.url("/huge.png"))
    store.set_alt_text(draft_id, "A loaf with a dark crust")
    post_now(store, draft_id, "bluesky", poster(bluesky, ada), limits=LIMITS)
    [record] = records(bluesky, ada)
    embed = record["value"]["embed"]
    assert embed["$type"] == "app.bsky.embed.external" and "thumb" not in embed["external"]
    assert embed["external"]["uri"].startswith("https://") and len(store.shares()) == 1


def test_a_retry_finds_the_record_by_its_key_and_posts_nothing_more(store, bluesky):
    ada = account(bluesky, "ada")
    draft_id = ready_draft(store, "bluesky")
    row, _ctx = _open_attempt(store, draft_id, "bluesky", ada.handle, FIXED_NOW)
    # The first call made the record; the process died before it heard back.
    bluesky.create_record(ada, COLLECTION, {"$type": COLLECTION, "text": row.text,
                                            "createdAt": "2026-11-20T09:30:00.000Z"}, rkey=row.key)
    [outcome] = settle(store, lambda network: poster(bluesky, ada), now=FIXED_NOW)
    assert outcome.state == "recorded" and outcome.post_url.endswith(f"/post/{row.key}")
    assert len(records(bluesky, ada)) == 1 and len(store.shares()) == 1


def test_a_retry_with_no_record_yet_posts_with_the_same_key(store, bluesky):
    ada = account(bluesky, "ada")
    draft_id = ready_draft(store, "bluesky")
    row, _ctx = _open_attempt(store, draft_id, "bluesky", ada.handle, FIXED_NOW)
    [outcome] = settle(store, lambda network: poster(bluesky, ada), now=FIXED_NOW)
    [record] = records(bluesky, ada)
    assert outcome.state == "recorded" and record["uri"].endswith(f"/{row.key}")


def test_an_expired_session_says_reconnect(store, bluesky):
    ada = account(bluesky, "ada")
    draft_id = ready_draft(store, "bluesky")
    stale = BlueskyPoster(bluesky.pds, lambda: {"Authorization": "Bearer not-a-token"}, did=ada.did,
                          handle=ada.handle, limits=LIMITS)
    with pytest.raises(PostFailed, match="connect it again"):
        post_now(store, draft_id, "bluesky", stale, limits=LIMITS)
    assert store.shares() == [] and records(bluesky, ada) == []
