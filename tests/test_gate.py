"""The share gate on a real database: attestations, refusals with reasons, the recorded snapshot, retraction,
and the append-only share log."""

import json
import sqlite3
from datetime import timedelta

import pytest
from query_plans import query_plan
from support import FIXED_NOW

from amplify.checklist import InvalidPostURL, ShareError, ShareRefused, gate_status, mark_shared
from amplify.store import Store
from amplify.store.shares import ShareStoreError
from amplify.types import LinkProbe

ITEM_URL = "https://ada.example/sourdough"
GOOD_TEXT = f"@ada@bakers.social: Three-day sourdough\n{ITEM_URL}\n\n#Bread"
SOURCE_ATTESTATIONS = ("read_whole", "checked_source", "meant_public")
TEXT_ATTESTATIONS = ("traced_claims", "their_words_first")


def make_draft(
    store: Store,
    *,
    credit: str = "tag",
    networks: tuple[str, ...] = ("mastodon",),
    item_url: str | None = ITEM_URL,
    source_url: str = "https://ada.example",
    image_url: str | None = None,
    published_at: str | None = "2026-11-19T08:00:00+00:00",
    name: str = "Ada's Bakery",
) -> int:
    """A followed source with one feed and one item, queued as a draft for `networks` (texts still empty)."""
    now = store.now()
    with store.adding_items():
        source_id = store.execute(
            "INSERT INTO sources (name, url, handles, credit, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (
                name,
                source_url,
                json.dumps({"mastodon": "@ada@bakers.social", "bluesky": "ada.example"}),
                credit,
                now,
                now,
            ),
        ).lastrowid
        feed_id = store.execute(
            "INSERT INTO feeds (url, source_id) VALUES (?, ?)",
            (f"{source_url}/feed-{source_id}.xml", source_id),
        ).lastrowid
        item_id = store.execute(
            "INSERT INTO items (source_id, feed_id, entry_key, url, title, published_at, image_url,"
            " first_seen_at, sort_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                source_id,
                feed_id,
                f"entry-{source_id}",
                item_url,
                "Three-day sourdough",
                published_at,
                image_url,
                now,
                now,
            ),
        ).lastrowid
    return store.create_draft(item_id, networks)


def probe_ok(store: Store, url: str = ITEM_URL) -> None:
    store.save_link_probe(LinkProbe(url, True, 200, url, 0, None))


def attest_all(
    store: Store, draft_id: int, network: str = "mastodon", *, extra: tuple[str, ...] = ()
) -> None:
    version = store.draft_posts(draft_id)[network].version
    for check_id in (*SOURCE_ATTESTATIONS, *TEXT_ATTESTATIONS, *extra):
        store.attest(draft_id, network, check_id, version)


@pytest.fixture
def ready(store):
    """A draft whose Mastodon post passes every check and has every attestation."""
    draft_id = make_draft(store)
    store.save_post_text(draft_id, "mastodon", GOOD_TEXT)
    probe_ok(store)
    attest_all(store, draft_id)
    return draft_id


def failing(error: ShareRefused) -> list[str]:
    return [result.check.id for result in error.failures]


def test_a_fresh_draft_is_refused_with_every_reason_and_the_attempt_is_logged(store):
    draft_id = make_draft(store)
    with pytest.raises(ShareRefused) as refused:
        mark_shared(store, draft_id, "mastodon")
    assert failing(refused.value) == [
        "link_resolves",
        "links_original",
        "credits_creator",
        "length_fits",
        "read_whole",
        "checked_source",
        "traced_claims",
        "meant_public",
        "their_words_first",
    ]
    assert "The link opens: not checked yet: check the link first" in str(refused.value)
    assert store.scalar("SELECT COUNT(*) FROM shares") == 0
    event = store.row("SELECT draft_id, detail FROM events WHERE kind = 'share_refused'")
    assert event is not None and event["draft_id"] == draft_id
    detail = json.loads(event["detail"])
    assert detail["failed"] == ["link_resolves", "links_original", "credits_creator", "length_fits"]
    assert "read_whole" in detail["missing_attestations"] and detail["network"] == "mastodon"


def test_gate_status_tells_the_composer_what_is_missing(store, ready):
    status = gate_status(store, ready, "mastodon")
    assert status.can_share and status.missing_attestations == [] and status.failures == []
    store.withdraw_attestation(ready, "mastodon", "meant_public")
    status = gate_status(store, ready, "mastodon")
    assert not status.can_share
    assert [check.id for check in status.missing_attestations] == ["meant_public"]


def test_a_complete_post_is_recorded_with_its_snapshot(store, ready):
    share_id = mark_shared(store, ready, "mastodon", " https://bakers.social/@me/1 ")
    share = store.row("SELECT * FROM shares WHERE id = ?", (share_id,))
    assert share["text"] == GOOD_TEXT and share["post_url"] == "https://bakers.social/@me/1"
    assert share["shared_at"] == "2026-11-20T09:30:00+00:00" and share["network"] == "mastodon"
    snapshot = json.loads(share["checklist"])
    assert snapshot["missing_attestations"] == [] and snapshot["text_version"] == 2
    assert {check["id"] for check in snapshot["checks"]} >= {
        "link_resolves",
        "centering",
        "their_words_first",
    }
    assert all(check["passed"] for check in snapshot["checks"] if check["severity"] == "blocking")
    assert {entry["id"] for entry in snapshot["attestations"]} == {*SOURCE_ATTESTATIONS, *TEXT_ATTESTATIONS}
    assert snapshot["probe"]["status"] == 200 and snapshot["probe"]["final_url"] == ITEM_URL
    assert store.scalar("SELECT state FROM items WHERE id = ?", (share["item_id"],)) == "shared"
    assert store.scalar("SELECT state FROM drafts WHERE id = ?", (ready,)) == "shared"
    event = store.row("SELECT share_id, draft_id FROM events WHERE kind = 'share_recorded'")
    assert event == {"share_id": share_id, "draft_id": ready}
    with pytest.raises(ShareError, match="already shared on Mastodon"):
        mark_shared(store, ready, "mastodon")


def test_advisory_checks_are_recorded_but_do_not_block(store):
    draft_id = make_draft(store, published_at=None)
    store.save_post_text(draft_id, "mastodon", "So proud to support " + GOOD_TEXT)
    probe_ok(store)
    attest_all(store, draft_id)
    share_id = mark_shared(store, draft_id, "mastodon")
    snapshot = json.loads(store.scalar("SELECT checklist FROM shares WHERE id = ?", (share_id,)))
    flagged = {check["id"]: check["detail"] for check in snapshot["checks"] if not check["passed"]}
    assert set(flagged) == {"centering", "freshness"}
    assert "puts your pride at the center" in flagged["centering"]


def test_editing_the_text_resets_the_centering_attestations_only(store, ready):
    store.save_post_text(ready, "mastodon", GOOD_TEXT + " #Sourdough")
    with pytest.raises(ShareRefused) as refused:
        mark_shared(store, ready, "mastodon")
    assert failing(refused.value) == ["traced_claims", "their_words_first"]
    version = store.draft_posts(ready)["mastodon"].version
    for check_id in TEXT_ATTESTATIONS:
        store.attest(ready, "mastodon", check_id, version)
    assert mark_shared(store, ready, "mastodon") > 0
    assert store.scalar("SELECT text FROM shares") == GOOD_TEXT + " #Sourdough"


def test_saving_the_same_text_again_keeps_the_attestations(store, ready):
    store.save_post_text(ready, "mastodon", GOOD_TEXT)
    assert gate_status(store, ready, "mastodon").can_share


def test_an_attestation_for_words_no_longer_shown_is_refused(store):
    draft_id = make_draft(store)
    store.save_post_text(draft_id, "mastodon", "first words")
    shown = store.draft_posts(draft_id)["mastodon"].version
    store.save_post_text(draft_id, "mastodon", GOOD_TEXT)
    with pytest.raises(ShareStoreError, match="changed since it was shown"):
        store.attest(draft_id, "mastodon", "their_words_first", shown)
    with pytest.raises(ShareStoreError, match="unknown attestation"):
        store.attest(draft_id, "mastodon", "looks_fine", shown + 1)
    with pytest.raises(ShareStoreError, match="has no bluesky post"):
        store.attest(draft_id, "bluesky", "read_whole", 1)
    assert store.attestations(draft_id, "mastodon") == []


def test_attesting_and_withdrawing_are_logged(store):
    draft_id = make_draft(store)
    store.attest(draft_id, "mastodon", "read_whole", 1)
    store.attest(draft_id, "mastodon", "read_whole", 1)  # twice is harmless
    rows = store.attestations(draft_id, "mastodon")
    assert [(row.check_id, row.text_version) for row in rows] == [("read_whole", 1)]
    store.withdraw_attestation(draft_id, "mastodon", "read_whole")
    assert store.attestations(draft_id, "mastodon") == []
    kinds = [
        row["kind"]
        for row in store.rows("SELECT kind FROM events WHERE draft_id = ? ORDER BY id", (draft_id,))
    ]
    assert kinds == ["draft_created", "attested", "attestation_withdrawn"]


def test_ask_first_needs_the_consent_attestation(store):
    draft_id = make_draft(store, credit="ask")
    store.save_post_text(draft_id, "mastodon", f"Ada's Bakery: Three-day sourdough\n{ITEM_URL}")
    probe_ok(store)
    attest_all(store, draft_id)
    with pytest.raises(ShareRefused) as refused:
        mark_shared(store, draft_id, "mastodon")
    assert failing(refused.value) == ["credits_creator", "creator_agreed"]
    assert "asked to be asked first" in str(refused.value)
    store.attest(draft_id, "mastodon", "creator_agreed", store.draft_posts(draft_id)["mastodon"].version)
    assert mark_shared(store, draft_id, "mastodon") > 0


def test_an_old_probe_must_be_repeated(store, ready):
    later = FIXED_NOW + timedelta(hours=25)
    with pytest.raises(ShareRefused) as refused:
        mark_shared(store, ready, "mastodon", now=later)
    assert failing(refused.value) == ["link_resolves"]
    assert "check it again" in str(refused.value)


def test_an_image_needs_a_description(store):
    draft_id = make_draft(store, image_url="https://ada.example/loaf.jpg")
    store.save_post_text(draft_id, "mastodon", GOOD_TEXT)
    probe_ok(store)
    attest_all(store, draft_id)
    with pytest.raises(ShareRefused) as refused:
        mark_shared(store, draft_id, "mastodon")
    assert failing(refused.value) == ["image_alt"]
    store.set_alt_text(draft_id, "A round loaf with a deep cross cut, on a wooden board")
    assert mark_shared(store, draft_id, "mastodon") > 0


def test_an_edit_from_another_tab_after_the_last_look_is_refused(store, ready, tmp_path):
    assert gate_status(store, ready, "mastodon").can_share  # what the first tab shows
    other_tab = Store(tmp_path / "amplify.db", clock=lambda: FIXED_NOW)
    other_tab.save_post_text(ready, "mastodon", GOOD_TEXT.replace("Three-day", "Slow"))
    other_tab.close()
    with pytest.raises(ShareRefused) as refused:
        mark_shared(store, ready, "mastodon")
    assert failing(refused.value) == ["traced_claims", "their_words_first"]
    assert store.scalar("SELECT COUNT(*) FROM shares") == 0


def test_a_bad_post_url_is_refused_before_anything_is_written(store, ready):
    with pytest.raises(InvalidPostURL):
        mark_shared(store, ready, "mastodon", "javascript:alert(1)")
    assert store.scalar("SELECT COUNT(*) FROM shares") == 0
    assert store.scalar("SELECT state FROM drafts WHERE id = ?", (ready,)) == "open"


def test_unknown_draft_or_network_is_a_clear_error(store, ready):
    with pytest.raises(ShareError, match="has no bluesky post"):
        mark_shared(store, ready, "bluesky")
    with pytest.raises(ShareError, match="draft 999"):
        mark_shared(store, 999, "mastodon")
    with pytest.raises(ValueError, match="unknown network"):
        gate_status(store, ready, "myspace")


def test_a_draft_stays_in_the_queue_until_every_network_is_shared(store):
    draft_id = make_draft(store, networks=("mastodon", "bluesky"))
    store.save_post_text(draft_id, "mastodon", GOOD_TEXT)
    store.save_post_text(draft_id, "bluesky", f"@ada.example: Three-day sourdough {ITEM_URL}")
    probe_ok(store)
    attest_all(store, draft_id, "mastodon")
    mark_shared(store, draft_id, "mastodon")
    assert store.scalar("SELECT state FROM drafts WHERE id = ?", (draft_id,)) == "open"
    assert store.scalar("SELECT state FROM items") == "shared"
    with pytest.raises(ShareRefused) as refused:
        mark_shared(store, draft_id, "bluesky")
    assert set(failing(refused.value)) == {*SOURCE_ATTESTATIONS, *TEXT_ATTESTATIONS}
    attest_all(store, draft_id, "bluesky")
    mark_shared(store, draft_id, "bluesky")
    assert store.scalar("SELECT state FROM drafts WHERE id = ?", (draft_id,)) == "shared"


def test_record_share_refuses_a_snapshot_the_gate_would_refuse(store, ready):
    version = store.draft_posts(ready)["mastodon"].version
    failed = {
        "checks": [{"id": "link_resolves", "severity": "blocking", "passed": False}],
        "missing_attestations": [],
    }
    for checklist in (failed, {"checks": [], "missing_attestations": ["read_whole"]}, {}):
        with pytest.raises(ShareStoreError, match="refused"):
            store.record_share(ready, "mastodon", text_version=version, post_url=None, checklist=checklist)
    with pytest.raises(ShareStoreError, match="text changed"):
        store.record_share(
            ready,
            "mastodon",
            text_version=version - 1,
            post_url=None,
            checklist={"checks": [], "missing_attestations": []},
        )
    assert store.scalar("SELECT COUNT(*) FROM shares") == 0


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE shares SET text = 'rewritten'",
        "UPDATE shares SET post_url = NULL",
        "DELETE FROM shares",
        "UPDATE events SET kind = 'nothing'",
        "DELETE FROM events",
    ],
)
def test_the_share_log_and_events_are_append_only(store, ready, statement):
    mark_shared(store, ready, "mastodon")
    before = store.rows("SELECT * FROM shares"), store.rows("SELECT * FROM events")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        store.execute(statement)
    assert (store.rows("SELECT * FROM shares"), store.rows("SELECT * FROM events")) == before


def test_retraction_keeps_the_row_and_hides_it_from_active_shares(store, ready):
    share_id = mark_shared(store, ready, "mastodon")
    assert [row.id for row in store.shares(include_retracted=False)] == [share_id]
    with pytest.raises(ShareStoreError, match="say in a few words"):
        store.retract_share(share_id, "  ")
    store.retract_share(share_id, "The post had a typo in their name")
    assert store.is_retracted(share_id)
    assert store.shares(include_retracted=False) == []
    (row,) = store.shares()
    assert row.id == share_id and row.retraction_reason == "The post had a typo in their name"
    assert row.retracted_at == "2026-11-20T09:30:00+00:00" and row.source_name == "Ada's Bakery"
    assert store.scalar("SELECT COUNT(*) FROM shares") == 1
    with pytest.raises(ShareStoreError, match="already retracted"):
        store.retract_share(share_id, "again")
    with pytest.raises(ShareStoreError, match="does not exist"):
        store.retract_share(share_id + 1, "no such share")


def test_shares_filters_by_time_source_and_network(store, tmp_path):
    moments = iter([FIXED_NOW, FIXED_NOW + timedelta(days=3)])
    dated = Store(tmp_path / "dated.db", clock=lambda: next(moments, FIXED_NOW + timedelta(days=3)))
    first = make_draft(dated, name="Ada's Bakery")
    dated.save_post_text(first, "mastodon", GOOD_TEXT)
    probe_ok(dated)
    attest_all(dated, first)
    early = mark_shared(dated, first, "mastodon", now=FIXED_NOW)
    assert [row.id for row in dated.shares(network="mastodon")] == [early]
    assert dated.shares(network="bluesky") == []
    assert dated.shares(since="2026-11-25T00:00:00+00:00") == []
    assert [row.id for row in dated.shares(until="2026-11-25T00:00:00+00:00", source_id=1)] == [early]
    assert dated.shares(source_id=2) == []
    dated.close()


def test_the_gate_finds_a_drafts_shares_without_reading_the_whole_log(store):
    # share_subject runs for every network panel in the Queue and in every mark_shared: a scan of a long share
    # log (each row carrying its snapshot) there would slow every keystroke.
    plan = query_plan(store, "SELECT 1 FROM shares sh WHERE sh.draft_id = ? AND sh.network = ?", (1, "mastodon"))
    assert "shares_draft" in plan.indexes and not plan.scanned, plan.steps


def test_shares_come_a_page_at_a_time_with_their_counts(store):
    probe_ok(store)
    share_ids = []
    for number in range(5):
        draft_id = make_draft(store, name=f"Ada's Bakery {number}")
        store.save_post_text(draft_id, "mastodon", GOOD_TEXT)
        attest_all(store, draft_id)
        share_ids.append(mark_shared(store, draft_id, "mastodon"))
    store.retract_share(share_ids[1], "posted twice")
    newest_first = share_ids[::-1]
    assert [row.id for row in store.shares()] == newest_first
    pages = [store.shares(limit=2, offset=offset) for offset in (0, 2, 4)]
    assert [[row.id for row in page] for page in pages] == [newest_first[:2], newest_first[2:4], newest_first[4:]]
    assert pages[1][1].retraction_reason == "posted twice"
    assert store.share_counts() == (5, 1)
    assert store.share_counts(include_retracted=False) == (4, 0)
    assert store.share_counts(network="bluesky") == (0, 0)
    assert [row.id for row in store.shares(include_retracted=False, limit=1, offset=3)] == [share_ids[0]]


def test_record_share_refuses_a_made_up_snapshot_for_a_post_nobody_confirmed(store):
    draft_id = make_draft(store, credit="ask")
    version = store.save_post_text(draft_id, "mastodon", GOOD_TEXT)
    probe_ok(store)
    made_up = {"checks": [], "missing_attestations": []}
    with pytest.raises(ShareStoreError, match=r"not confirmed \(read_whole, .*their_words_first, creator_agreed\)"):
        store.record_share(draft_id, "mastodon", text_version=version, post_url=None, checklist=made_up)
    attest_all(store, draft_id)
    with pytest.raises(ShareStoreError, match=r"not confirmed \(creator_agreed\)"):
        store.record_share(draft_id, "mastodon", text_version=version, post_url=None, checklist=made_up)
    assert store.scalar("SELECT COUNT(*) FROM shares") == 0
    store.attest(draft_id, "mastodon", "creator_agreed", version)
    assert store.record_share(draft_id, "mastodon", text_version=version, post_url=None, checklist=made_up) > 0
