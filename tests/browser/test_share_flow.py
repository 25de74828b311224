"""The whole path in a real browser: refresh a loopback feed, queue its post, write the draft and watch the
count, a refused share with its reasons, the confirmations, the share, and the share in History.

The feed and the post it links are served by the same loopback server, so the "link opens" check probes a
page that exists, on the creator's own host.
"""

import re
from datetime import UTC, datetime
from email.utils import format_datetime

from playwright.sync_api import expect

from amplify import compose
from amplify.store import Store

# A refresh starts worker processes and a probe opens a link: on two busy cores either can outlast an ordinary
# step's wait. A guard against hanging, not a measurement.
SLOW_STEP_MS = 60_000
TEXT_BOUND = ("traced_claims", "their_words_first")
ATTESTATIONS = ("read_whole", "checked_source", "meant_public", *TEXT_BOUND)


def feed_xml(site: str) -> str:
    published = format_datetime(datetime.now(UTC))
    return f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel>
  <title>Ada's Bakery</title><link>{site}/</link><description>Bread notes</description>
  <item>
    <title>Sourdough at dawn</title>
    <link>{site}/posts/dawn</link>
    <guid>{site}/posts/dawn</guid>
    <pubDate>{published}</pubDate>
    <description>We shape every loaf by hand before dawn. The market opens on Saturday at eight.</description>
  </item>
</channel></rss>
"""


def follow_list(site: str) -> str:
    return (
        "settings:\n  networks: [mastodon]\n  mastodon_instance: bakers.social\n"
        "sources:\n"
        f"  - name: Ada's Bakery\n    feed: {site}/feed.xml\n    url: {site}/\n    kind: business\n"
        "    handles: {mastodon: '@ada@bakers.social'}\n"
    )


def button(ui, key: str):
    """The button with this key (Streamlit draws a button with help text twice, once hidden to measure it)."""
    return ui.button(key).first


def confirm(ui, draft_id: int, check_id: str) -> None:
    """Tick one confirmation and wait until the server has taken it off the list of what is missing."""
    box = ui.keyed(f"attest_{draft_id}_mastodon_{check_id}")
    label = box.inner_text().strip()
    box.locator("label").click()
    expect(ui.keyed(f"share_status_{draft_id}_mastodon")).not_to_contain_text(label)


def test_refresh_queue_draft_refused_attest_share_history(start_app, server, page, ui):
    site = server.url("").rstrip("/")
    server.route("/feed.xml", feed_xml(site), headers={"Content-Type": "application/rss+xml"})
    server.route("/posts/dawn", "<html><body><h1>Sourdough at dawn</h1></body></html>",
                 headers={"Content-Type": "text/html"})
    app = start_app(follow_list(site))

    # Today: refresh from the loopback feed, then queue the post.
    ui.open(app.url)
    button(ui, "refresh").click()
    expect(page.get_by_text("Sourdough at dawn")).to_be_visible(timeout=SLOW_STEP_MS)
    ui.screenshot("1-today")
    page.locator("[class*='st-key-queue_'] button").first.click()
    expect(page.get_by_text("Sourdough at dawn")).to_have_count(0)
    with app.store() as store:
        [draft] = store.drafts()
    draft_id = draft.id

    # Queue: the draft starts from the creator's words and credits their handle; the count follows the text.
    ui.open(f"{app.url}/queue")
    text = ui.text_input(f"draft_text_{draft_id}_mastodon")
    expect(text).to_have_value(re.compile(r"^“We shape every loaf by hand before dawn\.”.*@ada@bakers\.social",
                                          re.DOTALL))
    first_draft = text.input_value()
    count = ui.keyed(f"draft_count_{draft_id}_mastodon")
    expect(count).to_contain_text(f"{compose.count(first_draft, 'mastodon')} of 500 characters")
    written = f"“We shape every loaf by hand before dawn.” — @ada@bakers.social {site}/posts/dawn"
    assert compose.count(written, "mastodon") != compose.count(first_draft, "mastodon")
    text.fill(written)
    text.press("Control+Enter")
    expect(count).to_contain_text(f"{compose.count(written, 'mastodon')} of 500 characters")
    count.scroll_into_view_if_needed()
    ui.screenshot("2-draft")

    # Not ready: the share button is disabled and every reason is listed.
    share = button(ui, f"share_{draft_id}_mastodon")
    expect(share).to_be_disabled()
    reasons = ui.keyed(f"share_status_{draft_id}_mastodon")
    expect(reasons).to_contain_text("The link opens")
    expect(reasons).to_contain_text("I read the whole piece")
    button(ui, f"probe_{draft_id}_mastodon").click()
    expect(reasons).not_to_contain_text("The link opens", timeout=SLOW_STEP_MS)
    for check_id in ATTESTATIONS:
        confirm(ui, draft_id, check_id)
    expect(share).to_be_enabled()

    # The words change in another tab after this page was drawn: the gate refuses, naming every reason.
    with Store(app.db_path) as other_tab:
        other_tab.save_post_text(draft_id, "mastodon", f"{written} So proud to support them!")
    share.click()
    refusal = ui.keyed(f"share_refused_{draft_id}_mastodon")
    expect(refusal).to_contain_text("Not marked shared")
    expect(refusal).to_contain_text("Their words come first")
    expect(refusal).to_contain_text("Claims in my post are traced")
    refusal.scroll_into_view_if_needed()
    ui.screenshot("3-refused")
    with app.store() as store:
        assert store.shares() == []

    # Read the new words, confirm them, and share with the post's address.
    page.reload()
    ui.wait_for_run()
    changed = written + " So proud to support them!"
    expect(ui.text_input(f"draft_text_{draft_id}_mastodon")).to_have_value(changed)
    for check_id in TEXT_BOUND:
        confirm(ui, draft_id, check_id)
    ui.text_input(f"post_url_{draft_id}_mastodon").fill("https://bakers.social/@me/1")
    ui.text_input(f"post_url_{draft_id}_mastodon").press("Enter")
    ui.wait_for_run()
    expect(share).to_be_enabled()
    share.click()
    expect(page.get_by_text("Nothing is queued")).to_be_visible()

    # History: the share, its post and the checklist it passed.
    ui.open(f"{app.url}/history")
    expect(page.get_by_text("Sourdough at dawn")).to_be_visible()
    your_post = page.get_by_role("link", name="Your post")
    expect(your_post).to_have_attribute("href", "https://bakers.social/@me/1")
    page.get_by_text("The checklist when you shared it").click()
    expect(page.get_by_text("I read the whole piece, not just the headline")).to_be_visible()
    ui.screenshot("4-history")
    assert not ui.exceptions().count()
    with app.store() as store:
        [recorded] = store.shares()
        assert recorded.text == changed
        assert recorded.post_url == "https://bakers.social/@me/1"
