"""The daily path with the keyboard alone: Today (queue a post), Queue (write, check the link, confirm each
attestation, share), History, with Tab, Shift+Tab, Enter and Space (and typing the post's words).

At every stop the focused element must show that it has focus (its outline, shadow, border or background
differs from how it looks without focus), and each Tab must move forward in the page's order (Shift+Tab
backward), so the order follows what is on screen.
"""

import re
from datetime import UTC, datetime

import pytest
from accessibility import SETTLED
from loopback import LoopbackServer
from playwright.sync_api import expect
from review_fixtures import add_item
from support import source_by_name
from test_share_flow import follow_list

from amplify import compose
from amplify.follow.load import parse_follow_list
from amplify.store import Store

ATTESTATIONS = ("read_whole", "checked_source", "traced_claims", "meant_public", "their_words_first")
# A page has a few dozen stops; a walk longer than this has lost its way.
MOST_PRESSES = 150
# How the widget holding an element looks (every part of it, up to its Streamlit element container, or the
# element alone outside one): a visible focus indicator changes some part's outline, shadow, border or fill.
_LOOK = """element => {
    const widget = element.closest('[data-testid="stElementContainer"]') || element;
    return [widget, ...widget.querySelectorAll('*')].slice(0, 400).map(part => {
        const style = getComputedStyle(part);
        return [style.outlineStyle, style.outlineWidth, style.outlineColor, style.boxShadow, style.borderColor,
                style.backgroundColor].join(' ');
    }).join(' | ');
}"""
# Streamlit makes the page's scrolling area a focus stop (so arrow keys scroll it) and draws no focus on it;
# the app cannot change that (docs/accessibility.md). It is the only stop allowed to show no focus.
_SCROLL_AREA = "element => element.matches('[data-testid=\"stMain\"], [data-testid=\"stSidebarContent\"]')"
_FOLLOWS = "([earlier, later]) => !!(earlier.compareDocumentPosition(later) & Node.DOCUMENT_POSITION_FOLLOWING)"


class Keyboard:
    """Moves focus with Tab or Shift+Tab only, checking at each stop that focus is visible and in order."""

    def __init__(self, page) -> None:
        self.page = page

    def to(self, target, *, backwards: bool = False) -> None:
        """Press Tab (Shift+Tab) until `target` has focus."""
        key = "Shift+Tab" if backwards else "Tab"
        previous = None
        for _ in range(MOST_PRESSES):
            self.page.keyboard.press(key)
            self.page.wait_for_function(SETTLED)  # a focus ring may fade in
            focused = self.page.evaluate_handle("document.activeElement")
            if focused.evaluate("element => element === document.body"):
                previous = None  # a rerun redrew the page: the walk starts again from the top
                continue
            look = focused.evaluate(_LOOK)
            if previous is not None and previous[0].evaluate("element => element.isConnected"):
                earlier, later = (focused, previous[0]) if backwards else (previous[0], focused)
                assert self.page.evaluate(_FOLLOWS, [earlier, later]), (
                    f"{key} went against the page's order, from {describe(previous[0])} to {describe(focused)}")
                assert previous[0].evaluate(_SCROLL_AREA) or previous[0].evaluate(_LOOK) != previous[1], (
                    f"no visible focus on {describe(previous[0])}")
            if target.evaluate("(element, focused) => element === focused || element.contains(focused)",
                               focused):
                assert self.look_without_focus(focused) != look, f"no visible focus on {describe(focused)}"
                return
            previous = (focused, look)
        raise AssertionError(f"{MOST_PRESSES} presses of {key} never reached {target}")

    def look_without_focus(self, focused) -> str:
        """How the focused element looks with focus moved away and back (by keyboard-equivalent calls)."""
        focused.evaluate("element => element.blur()")
        self.page.wait_for_function(SETTLED)
        look = focused.evaluate(_LOOK)
        focused.evaluate("element => element.focus({focusVisible: true})")
        self.page.wait_for_function(SETTLED)
        return look


def describe(element) -> str:
    return element.evaluate("element => element.outerHTML.slice(0, 160)")


@pytest.fixture
def daily(start_app, tmp_path):
    """The app with one post waiting on Today, its page served on loopback for the link check."""
    server = LoopbackServer().start()
    server.route("/posts/dawn", "<html><body><h1>Sourdough at dawn</h1></body></html>",
                 headers={"Content-Type": "text/html"})
    site = server.url("").rstrip("/")
    feeds = follow_list(site)
    db_path = tmp_path / "daily.db"
    with Store(db_path) as store:
        store.sync_sources(parse_follow_list(feeds))
        add_item(store, source_by_name(store, "Ada's Bakery").id, title="Sourdough at dawn",
                 url=f"{site}/posts/dawn", sort_at=datetime.now(UTC),
                 summary="We shape every loaf by hand before dawn. The market opens on Saturday at eight.")
    yield start_app(feeds, db_path=db_path, env={"AMPLIFY_ALLOW_PRIVATE": "1"}), site
    server.stop()


def test_the_daily_path_with_the_keyboard_alone(daily, page, ui):
    app, site = daily
    keys = Keyboard(page)
    with app.store() as store:
        item_id = store.scalar("SELECT id FROM items")

    # Today: queue the post.
    ui.open(app.url)
    keys.to(ui.button(f"queue_{item_id}"))
    page.keyboard.press("Enter")
    expect(ui.keyed(f"item_{item_id}")).to_have_count(0)
    ui.wait_for_run()

    # To the Queue, by the page list in the sidebar (above the page: Shift+Tab).
    keys.to(page.get_by_role("link", name="Queue"), backwards=True)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Queue", level=1)).to_be_visible()
    ui.wait_for_run()
    with app.store() as store:
        [draft] = store.drafts()
    draft_id = draft.id

    # Write: replace the text, then leave the box with Tab, which saves it.
    text = ui.text_input(f"draft_text_{draft_id}_mastodon")
    keys.to(text)
    page.keyboard.press("Control+A")
    written = f"“We shape every loaf by hand before dawn.” — @ada@bakers.social {site}/posts/dawn"
    page.keyboard.type(written)
    page.keyboard.press("Tab")
    count = ui.keyed(f"draft_count_{draft_id}_mastodon")
    expect(count.get_by_role("status")).to_contain_text(f"{compose.count(written, 'mastodon')} of 500 characters")
    ui.wait_for_run()
    with app.store() as store:
        assert store.draft_posts(draft_id)["mastodon"].text == written

    # Check the link.
    status = ui.keyed(f"share_status_{draft_id}_mastodon")
    keys.to(ui.button(f"probe_{draft_id}_mastodon").first)
    page.keyboard.press("Enter")
    expect(status).not_to_contain_text("The link opens", timeout=60_000)
    ui.wait_for_run()

    # Confirm each attestation with Space.
    for check_id in ATTESTATIONS:
        box = ui.keyed(f"attest_{draft_id}_mastodon_{check_id}")
        label = box.inner_text().strip()
        keys.to(box.get_by_role("checkbox"))
        page.keyboard.press("Space")
        expect(status).not_to_contain_text(label)
        ui.wait_for_run()

    # Share: "Mark shared" sits above the checklist, so Shift+Tab back up to it.
    share = ui.button(f"share_{draft_id}_mastodon").first
    expect(share).to_be_enabled()
    keys.to(share, backwards=True)
    page.keyboard.press("Enter")
    expect(page.get_by_text("Nothing is queued")).to_be_visible()
    ui.wait_for_run()
    with app.store() as store:
        [share_row] = store.shares()
        assert share_row.text == written

    # History, by the sidebar again.
    keys.to(page.get_by_role("link", name="History"), backwards=True)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="History", level=1)).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("Sourdough at dawn"))).to_be_visible()
    ui.screenshot("history")
