"""Starting from a Mastodon follow list in a real browser: fetch it from a loopback instance, choose two accounts,
see them on Sources, and their posts on Today after Refresh."""

from follow_fixtures import mastodon_account, serve_mastodon
from playwright.sync_api import expect

from amplify.follow.load import load_follow_list

ACCOUNT_FEED = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>{name}</title><description>Public posts from @{user}@social.example</description>
<link>{profile}</link><generator>Mastodon v4.3.0</generator>
<item><guid isPermaLink="true">{profile}/1</guid><link>{profile}/1</link>
<pubDate>Fri, 20 Nov 2026 08:00:00 +0000</pubDate>
<description>&lt;p&gt;{post}&lt;/p&gt;</description></item>
</channel></rss>"""


def test_import_two_accounts_then_refresh(start_app, server, page, ui):
    people = {"cy": "Cy weaves a new rug", "dee": "Dee prints a zine", "eli": "Eli opens the studio"}
    accounts = [mastodon_account(server, user) for user in people]
    serve_mastodon(server, "me", accounts, page_size=2)
    for user, post in people.items():
        server.route(f"/@{user}.rss", ACCOUNT_FEED.format(name=user.title(), user=user, post=post,
                                                          profile=server.url(f"/@{user}")),
                     headers={"Content-Type": "application/rss+xml; charset=utf-8"})
    app = start_app(env={"AMPLIFY_ALLOW_PRIVATE": "1"})  # the instance is on 127.0.0.1

    ui.open(f"{app.url}/sources")
    page.get_by_role("tab", name="From Mastodon or Bluesky").click()
    ui.text_input("import_account").fill("@me@social.example")
    ui.text_input("import_server").fill(server.url(""))
    ui.button("import_fetch").click()
    expect(page.get_by_text("follows 3 accounts")).to_be_visible()
    ui.keyed("pick_0").locator("label").click()
    ui.keyed("pick_2").locator("label").click()
    expect(ui.button("import_confirm")).to_have_text("Follow 2 chosen")
    assert load_follow_list(app.feeds_path).sources == ()  # nothing written before confirming
    ui.screenshot("chosen")
    ui.button("import_confirm").click()
    expect(page.get_by_text("Now following 2 more sources")).to_be_visible()
    expect(page.get_by_text("Your 2 sources")).to_be_visible()
    page.get_by_text("Your 2 sources").scroll_into_view_if_needed()
    ui.screenshot("sources")
    assert [source.name for source in load_follow_list(app.feeds_path).sources] == ["Cy", "Eli"]
    expect(ui.exceptions()).to_have_count(0)

    ui.open(app.url)
    ui.button("refresh").click()
    expect(page.get_by_text("Cy weaves a new rug").first).to_be_visible()
    expect(page.get_by_text("Eli opens the studio").first).to_be_visible()
    expect(page.get_by_text("Dee prints a zine")).to_have_count(0)
    ui.screenshot("today")
