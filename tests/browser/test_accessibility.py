"""Every page, in each state a user meets it, against axe-core's WCAG 2.0, 2.1 and 2.2 A and AA rules, in the
light and the dark theme (docs/accessibility.md).

Three apps serve the whole module: one with an empty follow list, `amplify demo`, and one on a prepared
database (a year of shares with a retraction, 120 posts to page through, drafts for the Queue, an image
served on loopback). A test that changes that database prepares what it needs first, so tests do not depend on
their order.
"""

import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from accessibility import SETTLED
from apprunner import RunningApp, launch_app, launch_demo
from audit_fixtures import add_year_of_shares
from loopback import LoopbackServer
from playwright.sync_api import expect
from review_fixtures import add_item, fill
from support import source_by_name

from amplify import checklist
from amplify.audit import parse_window, run_audit
from amplify.follow.load import parse_follow_list
from amplify.report import build_report
from amplify.report_render import render_html
from amplify.store import Store
from amplify.types import LinkProbe

ATTESTATIONS = ("read_whole", "checked_source", "traced_claims", "meant_public", "their_words_first")
LOAF = ('<svg xmlns="http://www.w3.org/2000/svg" width="320" height="200"><rect width="320" height="200" '
        'fill="#b07a45"/></svg>')
# The prepared app fetches nothing, but a link check pressed in a test goes to the loopback server.
LOOPBACK_OPT_IN = {"AMPLIFY_ALLOW_PRIVATE": "1"}


def follow_list(site: str) -> str:
    return (
        "settings:\n  networks: [mastodon, bluesky, x]\n  mastodon_instance: bakers.social\n"
        "sources:\n"
        f"  - name: Ada's Bakery\n    feed: {site}/feed.xml\n    url: {site}/\n    kind: business\n"
        "    tags: [bread]\n    handles: {mastodon: '@ada@bakers.social', bluesky: ada.example}\n"
    )


@pytest.fixture(scope="module")
def site() -> Iterator[LoopbackServer]:
    server = LoopbackServer().start()
    server.route("/dawn", "<html><title>Sourdough at dawn</title></html>", headers={"Content-Type": "text/html"})
    server.route("/loaf.svg", LOAF, headers={"Content-Type": "image/svg+xml"})
    yield server
    server.stop()


@pytest.fixture(scope="module")
def empty_app(browser, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    app = launch_app(tmp_path_factory.mktemp("empty"))
    yield app
    app.stop()


@pytest.fixture(scope="module")
def demo(browser, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    app = launch_demo(tmp_path_factory.mktemp("demo"))
    yield app
    app.stop()


@pytest.fixture(scope="module")
def prepared(browser, tmp_path_factory: pytest.TempPathFactory, site: LoopbackServer) -> Iterator[RunningApp]:
    folder = tmp_path_factory.mktemp("prepared")
    feeds = follow_list(site.url("").rstrip("/"))
    db_path = folder / "prepared.db"
    now = datetime.now(UTC).replace(microsecond=0)
    with Store(db_path) as store:
        store.sync_sources(parse_follow_list(feeds))
        add_year_of_shares(store, now, sources=20, shares=300)
        fill(store, sources=6, items=120, newest=now)
        share_id = store.scalar("SELECT id FROM shares ORDER BY shared_at DESC LIMIT 1")
        store.retract_share(share_id, "Shared the wrong post")
        ada = source_by_name(store, "Ada's Bakery").id
        add_item(store, ada, title="The oven is back", summary="Our oven is fixed.", sort_at=now,
                 image_url=site.url("/loaf.svg"), image_alt="A loaf on a floured board")
        add_item(store, ada, title="Rye on Saturdays", summary="Rye is back.", sort_at=now,
                 image_url=site.url("/loaf.svg"))
    app = launch_app(folder, feeds, db_path=db_path, env=LOOPBACK_OPT_IN)
    yield app
    app.stop()


def settle(ui) -> None:
    """The script has run and nothing from an earlier run is still on screen."""
    ui.wait_for_run()
    expect(ui.page.locator("[data-stale='true']")).to_have_count(0)


def open_options(ui, key: str) -> None:
    """Open the list of a select or multiselect: click it, and where a click only focused it, press the arrow
    down key as a keyboard user would."""
    ui.page.wait_for_function(SETTLED)  # an expander still opening moves the box under the pointer
    box = ui.keyed(key).get_by_role("combobox")
    box.click()
    if box.get_attribute("aria-expanded") != "true":
        box.press("ArrowDown")
    expect(box).to_have_attribute("aria-expanded", "true")
    expect(ui.page.get_by_role("option").first).to_be_visible()


# -- the empty app and the demo ------------------------------------------------------------------------------

PAGES = {"Today": "/", "Queue": "/queue", "Sources": "/sources", "History": "/history", "Audit": "/audit"}


@pytest.mark.parametrize("name", PAGES)
def test_every_page_with_no_sources(empty_app, page, ui, axe, name):
    ui.open(empty_app.url + PAGES[name])
    expect(page.get_by_role("heading", name=name, level=1)).to_be_visible()
    axe.check(page, f"{name}, no sources")


@pytest.mark.parametrize("name", PAGES)
def test_every_page_of_the_demo(demo, page, ui, axe, name):
    ui.open(demo.url + PAGES[name])
    expect(page.get_by_role("heading", name=name, level=1)).to_be_visible()
    axe.check(page, f"{name}, demo")


def test_todays_refresh_status_and_toast(demo, page, ui, axe):
    ui.open(demo.url)
    ui.button("refresh").click()
    expect(page.get_by_text(re.compile(r"Refreshed: "))).to_be_visible(timeout=60_000)
    settle(ui)
    axe.check(page, "Today after a refresh (status and toast)")


# -- Today ---------------------------------------------------------------------------------------------------


def test_today_filtered_by_source_tag_and_search(prepared, page, ui, axe):
    ui.open(f"{prepared.url}/?source=Source+0001&tag=tag-1&search=garden")
    expect(page.get_by_text(re.compile(r"of \d+ posts?"))).to_be_visible()
    axe.check(page, "Today filtered")


def test_today_paged(prepared, page, ui, axe):
    ui.open(prepared.url)
    ui.button("page_next").click()
    expect(page.get_by_text(re.compile(r"^Page 2 of \d+$"))).to_be_visible()
    settle(ui)
    axe.check(page, "Today, page 2")


def test_today_saved_for_later_and_nothing_matching(prepared, page, ui, axe):
    ui.open(f"{prepared.url}/?view=Saved+for+later")
    expect(page.get_by_text("Nothing saved for later.")).to_be_visible()
    axe.check(page, "Today, saved for later (empty)")
    ui.open(f"{prepared.url}/?search=nothing-like-this")
    expect(page.get_by_text("Nothing matches these filters.")).to_be_visible()
    axe.check(page, "Today, nothing matches")


def test_todays_images_say_what_they_show(prepared, page, ui, axe):
    ui.open(f"{prepared.url}/?source=Ada%27s+Bakery")
    expect(page.get_by_role("img", name="A loaf on a floured board")).to_be_visible()
    expect(page.get_by_role("img", name="Image from the post “Rye on Saturdays”")).to_be_visible()
    axe.check(page, "Today with feed images")


def test_todays_open_menus(prepared, page, ui, axe):
    ui.open(prepared.url)
    open_options(ui, "source")
    axe.check(page, "Today, the source list open")
    page.keyboard.press("Escape")
    open_options(ui, "published")
    expect(page.get_by_role("option", name="Since yesterday")).to_be_visible()
    axe.check(page, "Today, the published periods open")


# -- Queue: a draft in every checklist state -----------------------------------------------------------------


def fresh_draft(app: RunningApp, networks: tuple[str, ...]) -> int:
    """A new draft first in line (earlier ones discarded), its item linking to the loopback site."""
    with app.store() as store:
        for draft in store.drafts():
            store.discard_draft(draft.id)
        ada = source_by_name(store, "Ada's Bakery")
        site = ada.url.rstrip("/")
        item = add_item(store, ada.id, title="Sourdough at dawn", url=f"{site}/dawn",
                        summary="We shape every loaf by hand before dawn. The market opens at eight.",
                        image_url=f"{site}/loaf.svg")
        return store.create_draft(item, list(networks))


def make_ready(app: RunningApp, draft_id: int, network: str) -> None:
    """Everything the gate asks for, as the page would record it: the link checked, the image described, each
    confirmation given for the text on screen."""
    with app.store() as store:
        url = store.draft(draft_id).item_url
        store.save_link_probe(LinkProbe(url, True, 200, url, 0, None))
        store.set_alt_text(draft_id, "A round loaf on a floured board")
        version = store.draft_posts(draft_id)[network].version
        for check_id in ATTESTATIONS:
            store.attest(draft_id, network, check_id, version)


def open_queue(app: RunningApp, ui, draft_id: int, network: str):
    ui.open(f"{app.url}/queue")
    expect(ui.text_input(f"draft_text_{draft_id}_{network}")).to_be_visible()
    return ui.keyed(f"share_status_{draft_id}_{network}")


def test_a_draft_not_ready_lists_its_reasons(prepared, page, ui, axe):
    draft_id = fresh_draft(prepared, ("mastodon",))
    status = open_queue(prepared, ui, draft_id, "mastodon")
    expect(status).to_contain_text("Not ready to share yet")
    axe.check(page, "Queue, a draft not ready")


def test_a_draft_ready_to_share(prepared, page, ui, axe):
    draft_id = fresh_draft(prepared, ("mastodon",))
    open_queue(prepared, ui, draft_id, "mastodon")  # the page writes the first text
    make_ready(prepared, draft_id, "mastodon")
    status = open_queue(prepared, ui, draft_id, "mastodon")
    expect(status).to_contain_text("Everything is in place")
    expect(page.get_by_role("img", name="A round loaf on a floured board")).to_be_visible()
    axe.check(page, "Queue, a draft ready")


def test_a_share_refused_with_its_reasons(prepared, page, ui, axe):
    draft_id = fresh_draft(prepared, ("mastodon",))
    open_queue(prepared, ui, draft_id, "mastodon")
    make_ready(prepared, draft_id, "mastodon")
    open_queue(prepared, ui, draft_id, "mastodon")
    with prepared.store() as other_tab:
        text = other_tab.draft_posts(draft_id)["mastodon"].text
        other_tab.save_post_text(draft_id, "mastodon", f"{text} So proud to support them!")
    ui.button(f"share_{draft_id}_mastodon").first.click()
    expect(ui.keyed(f"share_refused_{draft_id}_mastodon")).to_contain_text("Not marked shared")
    settle(ui)
    axe.check(page, "Queue, a share refused")


def test_a_draft_shared_on_one_network_and_open_on_another(prepared, page, ui, axe):
    draft_id = fresh_draft(prepared, ("mastodon", "bluesky"))
    open_queue(prepared, ui, draft_id, "mastodon")
    make_ready(prepared, draft_id, "mastodon")
    with prepared.store() as store:
        checklist.mark_shared(store, draft_id, "mastodon", None)
    ui.open(f"{prepared.url}/queue")
    expect(page.get_by_text("Shared on Mastodon. It is in your History.")).to_be_visible()
    axe.check(page, "Queue, shared on Mastodon")
    page.get_by_role("tab", name="Bluesky").click()
    expect(ui.text_input(f"draft_text_{draft_id}_bluesky")).to_be_visible()
    axe.check(page, "Queue, the Bluesky tab")


def test_the_composers_lists_open(prepared, page, ui, axe):
    draft_id = fresh_draft(prepared, ("mastodon",))
    open_queue(prepared, ui, draft_id, "mastodon")
    open_options(ui, f"draft_hashtags_{draft_id}")
    axe.check(page, "Queue, the hashtag list open")


# -- History and Audit ---------------------------------------------------------------------------------------


def test_history_with_a_retraction_and_its_panels_open(prepared, page, ui, axe):
    ui.open(f"{prepared.url}/history")
    expect(page.get_by_text(re.compile(r"Retracted .*: Shared the wrong post"))).to_be_visible()
    axe.check(page, "History with a retraction")
    open_options(ui, "history_network")
    axe.check(page, "History, the network list open")
    page.keyboard.press("Escape")
    open_options(ui, "history_period")
    axe.check(page, "History, the periods open")
    page.keyboard.press("Escape")
    page.get_by_text("The checklist when you shared it").first.click()
    page.get_by_text("Retract this share").first.click()
    expect(page.get_by_text("Why, in a few words").first).to_be_visible()
    axe.check(page, "History, a share's panels open")


WINDOWS = {"Last 7 days": "over the last 7 days", "Last 30 days": "over the last 30 days",
           "Last 90 days": "over the last 90 days", "A month": r"in \w+ \d{4}", "All time": "since your first share"}


@pytest.mark.parametrize("window", WINDOWS)
def test_audit_over_each_window(prepared, page, ui, axe, window):
    ui.open(f"{prepared.url}/audit")
    ui.keyed("audit_window").get_by_text(window, exact=True).click()
    expect(page.get_by_text(re.compile(WINDOWS[window])).first).to_be_visible()
    settle(ui)
    expect(page.locator("[data-testid='stVegaLiteChart']").first).to_be_visible()
    axe.check(page, f"Audit, {window.lower()}")


def test_audits_panels_open(prepared, page, ui, axe):
    ui.open(f"{prepared.url}/audit")
    page.get_by_text("Forget a source").click()
    open_options(ui, "audit_forget_source")
    page.get_by_role("option", name="Voice 01").click()
    ui.button("audit_forget").click()
    expect(page.get_by_role("button", name="Yes, forget them")).to_be_visible()
    page.get_by_text("Set your goals").click()
    expect(page.get_by_role("button", name="Save goals")).to_be_visible()
    page.get_by_role("tab", name="Table").first.click()
    settle(ui)
    axe.check(page, "Audit, goals, forget and a table open")
    ui.button("audit_forget_no").click()


def test_sources_forms_open(demo, page, ui, axe):
    ui.open(f"{demo.url}/sources")
    page.get_by_text("Follow someone new").click()
    expect(ui.text_input("add_url")).to_be_visible()
    axe.check(page, "Sources, the add form open")


# -- the report ----------------------------------------------------------------------------------------------


def test_the_monthly_report(prepared, page, axe):
    now = datetime.now(UTC)
    with prepared.store() as store:
        report = render_html(build_report(run_audit(store, parse_window("all", now), now)))
    page.set_content(report)
    expect(page.get_by_role("img", name=re.compile(r"^Shares per week"))).to_be_visible()
    axe.check(page, "the monthly report", themes=("light",))
