"""Drafts in the store: one open draft per item, queue order, text versions, networks, discard."""

import json

import pytest
import review_fixtures
from support import source_by_name

from amplify import checklist
from amplify.store.drafts import DraftError


def add_item(store, title="Sourdough at dawn", *, source="Ada's Bakery", state="new", image_alt=None):
    """One item of `source` (created on first use), as the review fixtures write it."""
    found = source_by_name(store, source)
    source_id = found.id if found else review_fixtures.add_source(store, source)
    return review_fixtures.add_item(store, source_id, title=title, summary="We bake at four.", state=state,
                                    image_alt=image_alt)


def events(store, kind):
    return [dict(row, detail=json.loads(row["detail"])) for row in
            store.rows("SELECT * FROM events WHERE kind = ? ORDER BY id", (kind,))]


def test_create_draft_queues_the_item_and_logs_it(store):
    item_id = add_item(store)
    draft_id = store.create_draft(item_id, ["mastodon", "bluesky"])
    draft = store.draft(draft_id)
    assert draft.item_id == item_id
    assert draft.state == "open"
    assert draft.source_name == "Ada's Bakery"
    assert draft.item_title == "Sourdough at dawn"
    assert draft.item_state == "queued"
    assert list(store.draft_posts(draft_id)) == ["mastodon", "bluesky"]
    logged = events(store, "draft_created")
    assert [(e["draft_id"], e["item_id"], e["detail"]["networks"]) for e in logged] == [
        (draft_id, item_id, ["mastodon", "bluesky"])
    ]


def test_create_draft_is_idempotent(store):
    item_id = add_item(store)
    first = store.create_draft(item_id, ["mastodon"])
    again = store.create_draft(item_id, ["bluesky", "x"])
    assert again == first
    assert store.scalar("SELECT count(*) FROM drafts") == 1
    assert list(store.draft_posts(first)) == ["mastodon"]
    assert len(events(store, "draft_created")) == 1


def test_new_drafts_go_to_the_end_of_the_queue(store):
    ids = [store.create_draft(add_item(store, f"post {n}"), ["mastodon"]) for n in range(3)]
    assert [d.id for d in store.drafts()] == ids


def test_create_draft_refuses_unknown_items_and_empty_networks(store):
    with pytest.raises(DraftError, match="item 999 does not exist"):
        store.create_draft(999, ["mastodon"])
    item_id = add_item(store)
    with pytest.raises(DraftError, match="at least one network"):
        store.create_draft(item_id, [" "])
    with pytest.raises(DraftError, match="list of names"):
        store.create_draft(item_id, "mastodon")
    assert store.scalar("SELECT count(*) FROM drafts") == 0


def test_save_post_text_bumps_the_version_only_when_the_text_changes(store):
    draft_id = store.create_draft(add_item(store), ["mastodon"])
    assert store.draft_posts(draft_id)["mastodon"].version == 1
    assert store.save_post_text(draft_id, "mastodon", "Ada bakes at dawn", template="link_first") == 2
    assert store.save_post_text(draft_id, "mastodon", "Ada bakes at dawn") == 2
    assert store.save_post_text(draft_id, "mastodon", "Ada bakes at dawn", template="short") == 2
    post = store.draft_posts(draft_id)["mastodon"]
    assert (post.text, post.version, post.template) == ("Ada bakes at dawn", 2, "short")
    assert store.save_post_text(draft_id, "mastodon", "Ada's bread, at dawn") == 3
    assert [e["detail"]["version"] for e in events(store, "draft_edited")] == [2, 2, 3]


def test_save_post_text_for_a_network_not_chosen_is_refused(store):
    draft_id = store.create_draft(add_item(store), ["mastodon"])
    with pytest.raises(DraftError, match="no bluesky post"):
        store.save_post_text(draft_id, "bluesky", "hello")


def test_set_draft_networks_adds_and_removes_keeping_removed_text_in_the_log(store):
    draft_id = store.create_draft(add_item(store), ["mastodon", "bluesky"])
    store.save_post_text(draft_id, "bluesky", "Ada's words first")
    store.set_draft_networks(draft_id, ["mastodon", "linkedin"])
    assert list(store.draft_posts(draft_id)) == ["mastodon", "linkedin"]
    [changed] = events(store, "draft_networks_changed")
    assert changed["detail"]["removed_texts"] == {"bluesky": "Ada's words first"}
    assert changed["detail"]["added"] == ["linkedin"]


def test_a_network_added_again_never_reuses_an_attested_version(store):
    draft_id = store.create_draft(add_item(store), ["mastodon"])
    store.save_post_text(draft_id, "mastodon", "first words")
    with store.transaction():
        store.execute(
            "INSERT INTO attestations (draft_id, network, check_id, text_version, attested_at)"
            " VALUES (?, 'mastodon', 'read_whole_piece', 2, ?)",
            (draft_id, store.now()),
        )
    store.set_draft_networks(draft_id, ["bluesky"])
    store.set_draft_networks(draft_id, ["bluesky", "mastodon"])
    assert store.draft_posts(draft_id)["mastodon"].version == 3


def test_the_feeds_image_description_starts_the_alt_text(store):
    draft_id = store.create_draft(add_item(store, image_alt=" A loaf,\n on a board "), ["mastodon"])
    assert store.draft(draft_id).alt_text == "A loaf, on a board"


def test_alt_text_is_stored_trimmed_and_logged_once(store):
    draft_id = store.create_draft(add_item(store), ["mastodon"])
    store.set_alt_text(draft_id, "  A loaf on a wooden board  ")
    store.set_alt_text(draft_id, "A loaf on a wooden board")
    assert store.draft(draft_id).alt_text == "A loaf on a wooden board"
    assert len(events(store, "draft_alt_text_set")) == 1


def test_move_draft_swaps_with_its_neighbour(store):
    first, second, third = (store.create_draft(add_item(store, f"post {n}"), ["mastodon"]) for n in range(3))
    assert store.move_draft(third, -1) is True
    assert [d.id for d in store.drafts()] == [first, third, second]
    assert store.move_draft(first, -1) is False
    assert store.move_draft(second, +1) is False
    assert store.move_draft(first, +1) is True
    assert [d.id for d in store.drafts()] == [third, first, second]
    assert len(events(store, "draft_moved")) == 2
    with pytest.raises(DraftError, match="-1 \\(up\\) or \\+1 \\(down\\)"):
        store.move_draft(first, 2)


def test_move_draft_untangles_tied_positions(store):
    first, second = (store.create_draft(add_item(store, f"post {n}"), ["mastodon"]) for n in range(2))
    with store.transaction():
        store.execute("UPDATE drafts SET position = 1")
    assert store.move_draft(second, -1) is True
    assert [d.id for d in store.drafts()] == [second, first]


def test_discard_takes_the_draft_out_of_the_queue_and_skips_the_item(store):
    item_id = add_item(store)
    draft_id = store.create_draft(item_id, ["mastodon"])
    store.save_post_text(draft_id, "mastodon", "kept words")
    store.discard_draft(draft_id)
    assert store.drafts() == []
    assert [d.id for d in store.drafts("discarded")] == [draft_id]
    assert store.draft(draft_id).item_state == "skipped"
    assert store.draft_posts(draft_id)["mastodon"].text == "kept words"
    assert len(events(store, "draft_discarded")) == 1
    with pytest.raises(DraftError, match="already discarded"):
        store.save_post_text(draft_id, "mastodon", "new words")
    # Queueing the item again starts a fresh draft.
    assert store.create_draft(item_id, ["mastodon"]) != draft_id


def test_unknown_draft_and_state_are_clear_errors(store):
    with pytest.raises(DraftError, match="draft 42 does not exist"):
        store.discard_draft(42)
    with pytest.raises(DraftError, match="unknown draft state"):
        store.drafts("archived")
    assert store.draft(42) is None
    assert store.draft_posts(42) == {}


def test_an_item_already_shared_is_not_queued_again(store):
    item_id = add_item(store, state="shared")
    with pytest.raises(DraftError, match="already shared"):
        store.create_draft(item_id, ["mastodon"])
    assert store.drafts() == []


def test_removing_the_last_network_not_yet_shared_finishes_the_draft(store, server):
    server.route("/dawn", "<html>dawn</html>", headers={"Content-Type": "text/html"})
    source_id = review_fixtures.add_source(store, "Ada's Bakery")
    with store.transaction():
        store.execute("UPDATE sources SET url = ? WHERE id = ?", (server.url("/"), source_id))
    item_id = review_fixtures.add_item(store, source_id, url=server.url("/dawn"))
    draft_id = store.create_draft(item_id, ["mastodon", "bluesky"])
    version = store.save_post_text(draft_id, "mastodon", f"Ada's Bakery: dawn bread {server.url('/dawn')}")
    checklist.refresh_link_probe(store, server.url("/dawn"))
    for attestation in checklist.ATTESTATIONS:
        if attestation.id != "creator_agreed":
            store.attest(draft_id, "mastodon", attestation.id, version)
    checklist.mark_shared(store, draft_id, "mastodon")
    assert store.draft(draft_id).state == "open"  # Bluesky is still to do
    store.set_draft_networks(draft_id, ["mastodon"])
    assert store.draft(draft_id).state == "shared"
    assert store.drafts() == []
    assert events(store, "draft_networks_changed")[-1]["detail"]["finished"] is True
