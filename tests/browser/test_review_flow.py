"""The daily review in a real browser: refresh from a loopback feed, see hostile text stay text, queue an item,
reload and find the decision kept; and `amplify demo` opening on a populated Today."""

import re

from playwright.sync_api import expect
from review_fixtures import add_item, add_source

from amplify.store import Store

FEED = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Ada's Bakery</title><link>{site}/</link>
<item><title>Rye is back on Saturdays</title><link>{site}/posts/rye</link><guid>rye</guid>
  <pubDate>Fri, 20 Nov 2026 08:00:00 GMT</pubDate>
  <description>Forty loaves, baked overnight. Orders to orders@ada.example or at www.ada.example</description></item>
<item><title>**bold** [click](javascript:alert(2)) :red[alarm] &amp;lt;img src=x onerror=alert(1)&amp;gt;</title>
  <link>javascript:alert(3)</link><guid>hostile</guid>
  <pubDate>Thu, 19 Nov 2026 08:00:00 GMT</pubDate>
  <description>&amp;lt;script&amp;gt;alert(4)&amp;lt;/script&amp;gt; plain words</description></item>
</channel></rss>"""


def follow_list(feed_url: str) -> str:
    return f"settings:\n  networks: [mastodon]\nsources:\n  - name: Ada's Bakery\n    feed: {feed_url}\n"


def test_refresh_then_queue_an_item(start_app, server, page, ui):
    server.route("/feed.xml", FEED.format(site=server.url("")), headers={"Content-Type": "application/rss+xml"})
    app = start_app(follow_list(server.url("/feed.xml")))
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))

    ui.open(app.url)
    expect(page.get_by_text("Nothing here yet.")).to_be_visible()
    ui.button("refresh").click()
    expect(page.get_by_text("Rye is back on Saturdays")).to_be_visible()
    expect(page.get_by_text("2 new posts from 1 feed")).to_be_visible()
    ui.screenshot("refreshed")

    # Hostile feed text is shown as the characters it is: no markup, no script, no javascript: link.
    # (the feed escaped its tags twice: they are stripped all the same, and the Markdown-like text remains)
    expect(page.get_by_text("**bold** [click](javascript:alert(2)) :red[alarm]", exact=True)).to_be_visible()
    expect(page.get_by_text("plain words", exact=True)).to_be_visible()
    assert page.locator("a[href^='javascript']").count() == 0
    # Bare addresses in feed text stay words: no mailto: or web link made from them.
    expect(page.get_by_text("orders@", exact=False)).to_be_visible()
    assert page.locator("a[href^='mailto']").count() == 0
    assert page.locator("a[href*='www.ada.example']").count() == 0
    assert page.locator("[data-testid='stMain'] img[src='x']").count() == 0
    # The card's title is bold as a whole; "**bold**" inside it made no bold of its own.
    assert page.locator("[data-testid='stMain'] strong", has_text=re.compile(r"^bold$")).count() == 0
    assert page.locator("[data-testid='stMain'] [class*='red'], [data-testid='stMain'] span[color]",
                        has_text=re.compile(r"^alarm$")).count() == 0
    rye = page.get_by_role("link", name="Rye is back on Saturdays")
    expect(rye).to_have_attribute("href", server.url("/posts/rye"))

    with app.store() as store:
        rye_id = store.scalar("SELECT id FROM items WHERE title = 'Rye is back on Saturdays'")
    ui.button(f"queue_{rye_id}").click()
    expect(ui.keyed(f"item_{rye_id}")).to_have_count(0)
    with app.store() as store:
        assert store.scalar("SELECT state FROM items WHERE id = ?", (rye_id,)) == "queued"
        assert store.scalar("SELECT COUNT(*) FROM drafts WHERE item_id = ? AND state = 'open'", (rye_id,)) == 1
        kinds = [row["kind"] for row in store.rows("SELECT kind FROM events WHERE item_id = ?", (rye_id,))]
        assert kinds == ["draft_created", "item_state_changed"]

    page.reload()
    ui.wait_for_run()
    expect(page.get_by_text("1 in your queue")).to_be_visible()
    expect(ui.keyed(f"item_{rye_id}")).to_have_count(0)
    assert ui.exceptions().count() == 0
    assert dialogs == []  # no script from the feed ever ran
    ui.screenshot("queued")


def test_demo_opens_on_a_populated_today(demo_app, page, ui):
    ui.open(demo_app.url)
    expect(page.get_by_role("link", name="Rye is back on Saturdays")).to_be_visible()
    expect(page.get_by_text(re.compile(r"\d+ to review"))).to_be_visible()
    expect(page.get_by_role("img", name="A round rye loaf with a cross cut on top, on a wooden board")
           ).to_be_visible()
    assert ui.exceptions().count() == 0
    ui.screenshot("demo-today")


def test_filters_are_deep_links(start_app, tmp_path, page, ui):
    db_path = tmp_path / "prepared.db"
    with Store(db_path) as store:
        bakery = add_source(store, "Ada's Bakery", tags=["food"])
        poet = add_source(store, "Rosa Méndez", tags=["poetry"], labels=["Latina"])
        add_item(store, bakery, title="Rye is back on Saturdays")
        add_item(store, poet, title="Salt and Lemon is out today")
        add_item(store, poet, title="A reading on Thursday", state="later")
    app = start_app(db_path=db_path)

    ui.open(f"{app.url}/?source=Rosa+M%C3%A9ndez")
    expect(page.get_by_text("Salt and Lemon is out today")).to_be_visible()
    expect(page.get_by_text("Rye is back on Saturdays")).to_have_count(0)

    ui.open(f"{app.url}/?label=Latina&view=Saved+for+later")
    expect(page.get_by_text("A reading on Thursday")).to_be_visible()
    expect(page.get_by_text("Salt and Lemon is out today")).to_have_count(0)

    ui.open(f"{app.url}/?tag=food")
    expect(page.get_by_text("Rye is back on Saturdays")).to_be_visible()
    expect(page.get_by_text("Salt and Lemon is out today")).to_have_count(0)
    ui.screenshot("filtered")


HOMEPAGE = """<!doctype html><html><head><title>Quilt Circle</title>
<link rel="alternate" type="application/rss+xml" href="/feed.xml"></head><body>Welcome</body></html>"""


def test_follow_someone_new_then_see_their_posts(start_app, server, page, ui):
    server.route("/", HOMEPAGE, headers={"Content-Type": "text/html"})
    server.route("/feed.xml", FEED.format(site=server.url("")).replace("<title>Ada's Bakery</title>",
                                                                       "<title>Quilt Circle</title>", 1),
                 headers={"Content-Type": "application/rss+xml"})
    app = start_app()
    ui.open(f"{app.url}/sources")
    ui.text_input("add_url").fill(server.url("/"))
    ui.button("add_submit").click()
    expect(page.get_by_text("Now following Quilt Circle.")).to_be_visible()
    assert "name: Quilt Circle" in app.feeds_path.read_text()
    ui.screenshot("followed")

    page.get_by_role("link", name="Today").click()
    ui.wait_for_run()
    ui.button("refresh").click()
    expect(page.get_by_role("link", name="Rye is back on Saturdays")).to_be_visible()
    expect(page.get_by_text("Quilt Circle · ").first).to_be_visible()
    assert ui.exceptions().count() == 0
