"""The Queue page through Streamlit's AppTest: drafts, the composer, the checklist and the share gate.

Each test prepares a real database and feeds.yml, opens app.py at /queue, and drives widgets by their keys.
The item's page is served by a loopback server, so "Check the link" probes a real URL.
"""

from pathlib import Path

import pytest
import review_fixtures
from pages import open_page, rerun, use_files
from review_fixtures import add_item
from streamlit.testing.v1 import AppTest
from support import source_by_name

from amplify import checklist
from amplify.clock import utcnow
from amplify.follow.load import parse_follow_list
from amplify.store import Store

HOSTILE_TITLE = "<script>alert('x')</script> **Ada** [click](javascript:alert(1)) :red[boo]"
SUMMARY = "We bake every loaf by hand before dawn. Come to the market on Saturday! Bring a friend."
ATTESTATIONS = ("read_whole", "checked_source", "traced_claims", "meant_public", "their_words_first")


def follow_list(site: str, *, credit: str = "tag") -> str:
    return (
        "settings:\n  networks: [mastodon, bluesky]\n  mastodon_instance: bakers.social\n"
        "sources:\n"
        f"  - name: Ada's Bakery\n    feed: {site}/feed.xml\n    url: {site}/\n    kind: business\n"
        f"    credit: {credit}\n    tags: [black owned, bread]\n"
        "    handles: {mastodon: '@ada@bakers.social', bluesky: ada.example}\n"
    )


class QueueApp:
    """A prepared database and follow list, and AppTest sessions opened on the Queue page."""

    def __init__(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, site: str,
                 credit: str = "tag") -> None:
        self.db_path = tmp_path / "amplify.db"
        feeds = tmp_path / "feeds.yml"
        feeds.write_text(follow_list(site, credit=credit), encoding="utf-8")
        use_files(monkeypatch, self.db_path, feeds)
        with self.store() as store:
            store.sync_sources(parse_follow_list(feeds.read_text()))
        self.site = site

    def store(self) -> Store:
        return Store(self.db_path)

    def queue(self, title: str = "Sourdough at dawn", *, path: str = "/dawn",
              networks=("mastodon", "bluesky"), url: str | None = None, image: bool = False) -> int:
        with self.store() as store:
            source_id = source_by_name(store, "Ada's Bakery").id
            item_id = add_item(store, source_id, title=title, summary=SUMMARY,
                               url=url or f"{self.site}{path}",
                               image_url=f"{self.site}/loaf.jpg" if image else None)
            return store.create_draft(item_id, list(networks))

    def open(self) -> AppTest:
        return open_page("queue")


def markdown(at: AppTest) -> str:
    return "\n".join(element.value for element in at.markdown)


def captions(at: AppTest) -> list[str]:
    return [caption.value for caption in at.caption]


@pytest.fixture
def app(tmp_path, monkeypatch, server):
    server.route("/dawn", "<html><title>Sourdough at dawn</title></html>",
                 headers={"Content-Type": "text/html"})
    return QueueApp(tmp_path, monkeypatch, server.url(""))


def test_an_empty_queue_says_what_to_do(app):
    at = app.open()
    assert at.title[0].value == "Queue"
    assert "press Queue on a post" in at.info[0].value
    assert not at.text_area


def test_a_queue_among_ten_thousand_items_shows_only_the_queue(app):
    with app.store() as store:
        review_fixtures.fill(store, sources=100, items=10_000, newest=utcnow())
        item_ids = [page_item.id for page_item in store.today(page_size=3).items]
        draft_ids = [store.create_draft(item_id, ["mastodon"]) for item_id in item_ids]
    at = app.open()
    assert at.caption[0].value.startswith("3 drafts waiting")
    assert [button.key for button in at.button if button.key.startswith("draft_up_")] == [
        f"draft_up_{draft_id}" for draft_id in draft_ids
    ]
    assert len(at.text_area) == 1  # the first in line is open for writing


def test_a_hostile_title_is_shown_as_text_and_an_unsafe_link_is_not_linked(app):
    app.queue(HOSTILE_TITLE, url="javascript:alert(1)")
    at = app.open()
    shown = markdown(at)
    assert "\\<script\\>" in shown and "<script>" not in shown
    assert "\\*\\*Ada\\*\\*" in shown and "\\:red\\[boo\\]" in shown
    assert "](javascript" not in shown and "](" not in shown.split("\n")[0]
    # The draft itself is plain text in a text area, never rendered.
    assert HOSTILE_TITLE in at.text_area(key="draft_text_1_mastodon").value


def test_the_creator_is_credited_and_the_draft_starts_from_their_words(app):
    draft_id = app.queue()
    at = app.open()
    assert at.subheader[0].value == "Ada\\'s Bakery"
    mastodon = at.text_area(key=f"draft_text_{draft_id}_mastodon").value
    assert mastodon.startswith("“We bake every loaf by hand before dawn.”")
    assert "@ada@bakers.social" in mastodon and "#BlackOwned #Bread" in mastodon
    assert "@ada.example" in at.text_area(key=f"draft_text_{draft_id}_bluesky").value
    assert "Credit: their handle here, `@ada@bakers.social`" in captions(at)
    with app.store() as store:
        assert store.draft_posts(draft_id)["mastodon"].text == mastodon


def test_the_count_follows_the_text_and_turns_red_over_the_limit(app):
    draft_id = app.queue()
    at = app.open()
    at.text_area(key=f"draft_text_{draft_id}_bluesky").input("Ada's bread, by Ada.").run()
    assert any(caption.startswith('<span role="status">20 of 300 characters') for caption in captions(at))
    at.text_area(key=f"draft_text_{draft_id}_bluesky").input("é" * 301)
    rerun(at)
    assert any(caption.startswith('<span role="status">:red[301 of 300 characters: 1 over Bluesky\'s limit]')
               for caption in captions(at))
    with app.store() as store:
        assert store.draft_posts(draft_id)["bluesky"].text == "é" * 301


def test_edits_reorder_and_discard_survive_a_new_session(app):
    first, second, third = (app.queue(f"Post {number}", path=f"/p{number}") for number in range(3))
    at = app.open()
    at.toggle(key=f"draft_open_{second}").set_value(True).run()
    at.text_area(key=f"draft_text_{second}_mastodon").input("Ada's words, edited.").run()
    at.button(key=f"draft_down_{first}").click()
    rerun(at)
    at.button(key=f"draft_discard_{third}").click()
    rerun(at)
    assert "Draft discarded" in at.toast[0].value
    reopened = app.open()  # a new session: everything shown comes from the database
    assert [button.key for button in reopened.button if button.key.startswith("draft_up_")] == [
        f"draft_up_{second}", f"draft_up_{first}"
    ]
    # The first in line is open for writing; the others open on request.
    assert reopened.text_area(key=f"draft_text_{second}_mastodon").value == "Ada's words, edited."
    assert f"draft_text_{first}_mastodon" not in [area.key for area in reopened.text_area]
    assert reopened.button(key=f"draft_up_{second}").disabled
    with app.store() as store:
        assert store.draft(third).item_state == "skipped"


def test_a_draft_changed_elsewhere_is_reported_not_crashed(app):
    first, second = (app.queue(f"Post {number}", path=f"/p{number}") for number in range(2))
    at = app.open()
    with app.store() as other_tab:
        other_tab.discard_draft(second)
    at.button(key=f"draft_up_{second}").click()
    rerun(at)
    assert f"draft {second} is already discarded" in at.error[0].value
    assert [button.key for button in at.button if button.key.startswith("draft_up_")] == [f"draft_up_{first}"]


def test_a_template_rewrites_the_text_and_networks_can_change(app):
    draft_id = app.queue()
    at = app.open()
    at.selectbox(key=f"draft_template_{draft_id}_mastodon").select("short").run()
    text = at.text_area(key=f"draft_text_{draft_id}_mastodon").value
    assert text.startswith("@ada@bakers.social: Sourdough at dawn http")
    at.multiselect(key=f"draft_networks_{draft_id}").select("linkedin").run()
    assert at.text_area(key=f"draft_text_{draft_id}_linkedin").value.startswith("“We bake")
    with app.store() as store:
        assert list(store.draft_posts(draft_id)) == ["mastodon", "bluesky", "linkedin"]
        assert store.draft_posts(draft_id)["mastodon"].template == "short"


def test_a_typed_hashtag_becomes_camel_case_and_joins_every_draft(app):
    draft_id = app.queue()
    at = app.open()
    key = f"draft_hashtags_{draft_id}"
    at.multiselect(key=key).set_value(["#BlackOwned", "women owned business"]).run()
    assert at.multiselect(key=key).value == ["#BlackOwned", "#WomenOwnedBusiness"]
    for network in ("mastodon", "bluesky"):
        assert at.text_area(key=f"draft_text_{draft_id}_{network}").value.endswith(
            "#BlackOwned #WomenOwnedBusiness")


def test_choosing_no_quote_rewrites_every_network(app):
    draft_id = app.queue()
    at = app.open()
    networks = ("mastodon", "bluesky")
    quoted = {network: at.text_area(key=f"draft_text_{draft_id}_{network}").value for network in networks}
    assert all(text.startswith("“") for text in quoted.values())  # the draft opens on a quote
    at.selectbox(key=f"draft_quote_{draft_id}").select("").run()
    for network in networks:
        text = at.text_area(key=f"draft_text_{draft_id}_{network}").value
        assert text.strip() and not text.startswith("“"), text
        assert quoted[network].split("”", 1)[0] + "”" not in text  # the quote is gone, the rest of the post stays


def test_ask_first_is_a_visible_reminder_and_an_extra_confirmation(tmp_path, monkeypatch, server):
    app = QueueApp(tmp_path, monkeypatch, server.url(""), credit="ask")
    draft_id = app.queue()
    at = app.open()
    assert "asked to be asked first" in at.warning[0].value
    assert "@ada" not in at.text_area(key=f"draft_text_{draft_id}_mastodon").value
    assert at.checkbox(key=f"attest_{draft_id}_mastodon_creator_agreed").value is False


def confirm_everything(at: AppTest, draft_id: int, network: str) -> None:
    for check_id in ATTESTATIONS:
        at.checkbox(key=f"attest_{draft_id}_{network}_{check_id}").check()
        rerun(at)


def ready_to_share(app: QueueApp, draft_id: int, network: str) -> AppTest:
    """The page with the link probed and everything confirmed: the gate passes."""
    at = app.open()
    at.button(key=f"probe_{draft_id}_{network}").click()
    rerun(at)
    confirm_everything(at, draft_id, network)
    return at


def test_sharing_is_enabled_only_when_the_gate_passes(app, server):
    draft_id = app.queue(networks=("mastodon",))
    at = app.open()
    share = at.button(key=f"share_{draft_id}_mastodon")
    assert share.disabled
    assert "The link opens**: not checked yet" in markdown(at)
    assert checklist.CHECKS_BY_ID["link_resolves"].why in captions(at)  # what fails says why, visibly
    at.button(key=f"probe_{draft_id}_mastodon").click()
    rerun(at)
    assert server.hits("/dawn"), "the link was not probed"
    assert "The link opens**: it opened \\(status 200\\)" in markdown(at)
    assert at.button(key=f"share_{draft_id}_mastodon").disabled
    confirm_everything(at, draft_id, "mastodon")
    assert not at.button(key=f"share_{draft_id}_mastodon").disabled
    [compose_link] = at.link_button
    assert not compose_link.proto.disabled
    assert compose_link.proto.url.startswith("https://bakers.social/share?text=")
    at.text_input(key=f"post_url_{draft_id}_mastodon").input("https://bakers.social/@me/1")
    at.button(key=f"share_{draft_id}_mastodon").click()
    rerun(at)
    assert "Nothing is queued" in at.info[0].value
    with app.store() as store:
        [share_row] = store.shares()
        assert (share_row.network, share_row.post_url) == ("mastodon", "https://bakers.social/@me/1")
        assert store.draft(draft_id).state == "shared"


def test_a_draft_shared_on_one_network_stays_for_the_others(app):
    draft_id = app.queue(networks=("mastodon", "bluesky"))
    at = ready_to_share(app, draft_id, "mastodon")
    at.button(key=f"share_{draft_id}_mastodon").click()
    rerun(at)
    assert "Marked shared on Mastodon" in at.toast[0].value
    assert "Shared on Mastodon. It is in your History." in [success.value for success in at.success]
    with pytest.raises(KeyError):
        at.button(key=f"share_{draft_id}_mastodon")
    assert at.button(key=f"share_{draft_id}_bluesky").disabled
    with app.store() as store:
        shared_text = store.draft_posts(draft_id)["mastodon"].text
    at.selectbox(key=f"draft_quote_{draft_id}").select("").run()  # rewrites what is not posted yet
    with app.store() as store:
        assert [draft.id for draft in store.drafts()] == [draft_id]
        assert [share.network for share in store.shares()] == ["mastodon"]
        assert store.draft_posts(draft_id)["mastodon"].text == shared_text
        assert not store.draft_posts(draft_id)["bluesky"].text.startswith("“")


def test_a_refused_attempt_shows_every_reason(app):
    draft_id = app.queue(networks=("mastodon",))
    at = ready_to_share(app, draft_id, "mastodon")
    assert not at.button(key=f"share_{draft_id}_mastodon").disabled
    with app.store() as other_tab:  # the text changes elsewhere after this page was drawn
        other_tab.save_post_text(draft_id, "mastodon", "so proud to support them!")
    at.button(key=f"share_{draft_id}_mastodon").click()
    rerun(at)
    [refusal] = [error.value for error in at.error if "Not marked shared" in error.value]
    assert "The post links the original" in refusal
    assert "The creator is credited as they asked" in refusal
    assert "Their words come first" in refusal and "Claims in my post" in refusal
    with app.store() as store:
        assert store.shares() == []
        assert store.draft(draft_id).state == "open"


def test_a_confirmation_for_words_changed_elsewhere_is_refused(app):
    draft_id = app.queue(networks=("mastodon",))
    at = app.open()
    with app.store() as other_tab:
        other_tab.save_post_text(draft_id, "mastodon", "Ada's words, rewritten in another tab.")
    at.checkbox(key=f"attest_{draft_id}_mastodon_their_words_first").check()
    rerun(at)
    assert "read it again and confirm again" in at.error[0].value
    assert at.checkbox(key=f"attest_{draft_id}_mastodon_their_words_first").value is False
    assert at.text_area(key=f"draft_text_{draft_id}_mastodon").value == "Ada's words, rewritten in another tab."
    with app.store() as store:
        assert store.attestations(draft_id, "mastodon") == []


def test_an_image_needs_a_description_before_sharing(app):
    draft_id = app.queue(networks=("mastodon",), image=True)
    at = app.open()
    assert "The image has a description**: describe the image" in markdown(at)
    at.text_input(key=f"draft_alt_{draft_id}").input("A round loaf on a floured board").run()
    assert "The image has a description**: the image is described" in markdown(at)
    with app.store() as store:
        assert store.draft(draft_id).alt_text == "A round loaf on a floured board"


def test_the_composer_image_carries_the_description_being_written(app):
    draft_id = app.queue(networks=("mastodon",), image=True)
    at = app.open()
    assert at.get("image")[0].proto.imgs[0].alt.startswith("Image from the post “")
    at.text_input(key=f"draft_alt_{draft_id}").input("A round loaf on a floured board").run()
    assert at.get("image")[0].proto.imgs[0].alt == "A round loaf on a floured board"


def test_an_invalid_post_url_is_refused_with_a_clear_message(app):
    draft_id = app.queue(networks=("mastodon",))
    at = ready_to_share(app, draft_id, "mastodon")
    at.text_input(key=f"post_url_{draft_id}_mastodon").input("javascript:alert(1)")
    at.button(key=f"share_{draft_id}_mastodon").click()
    rerun(at)
    assert any("is not a post address" in error.value for error in at.error)
    with app.store() as store:
        assert store.shares() == []
