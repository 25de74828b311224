"""Posting from the app in a real browser: connect a Mastodon account (mastodon-mock) and a Bluesky account (the
real PDS) on the Settings page, post one ready draft to each from the Queue, and find both shares in History,
each linking to its post, which its server then serves."""

import uuid

import httpx
from account_fixtures import ADA_TOKEN, ada_on_mastodon, app_password
from playwright.sync_api import expect
from review_fixtures import add_item
from support import source_by_name
from test_gate import attest_all

from amplify.follow.load import parse_follow_list
from amplify.store import Store
from amplify.types import LinkProbe

SLOW_STEP_MS = 60_000  # a post fetches, uploads and writes on two busy cores: a guard, not a measurement


def follow_list(site: str) -> str:
    return (
        "settings:\n  networks: [mastodon, bluesky]\n"
        "sources:\n"
        f"  - name: Ada's Bakery\n    feed: {site}/feed.xml\n    url: {site}/\n    kind: business\n"
        "    handles: {mastodon: '@ada@bakers.social', bluesky: ada.example}\n"
    )


def ready_draft(db_path, feeds_yml: str, site: str) -> int:
    """A draft for Mastodon and Bluesky whose posts both pass the gate."""
    url = f"{site}/posts/dawn"
    with Store(db_path) as store:
        store.sync_sources(parse_follow_list(feeds_yml))
        item_id = add_item(store, source_by_name(store, "Ada's Bakery").id, title="Sourdough at dawn",
                           summary="We shape every loaf by hand before dawn.", url=url)
        draft_id = store.create_draft(item_id, ["mastodon", "bluesky"])
        store.save_post_text(draft_id, "mastodon", f"@ada@bakers.social shapes every loaf by hand: {url}")
        store.save_post_text(draft_id, "bluesky", f"@ada.example shapes every loaf by hand: {url} #Bread")
        store.save_link_probe(LinkProbe(url, True, 200, url, 0, None))
        for network in ("mastodon", "bluesky"):
            attest_all(store, draft_id, network)
    return draft_id


def connect_both(ui, page, app, mastodon, bluesky, person) -> None:
    ui.open(f"{app.url}/settings")
    ui.keyed("settings_mastodon_way").get_by_text("Paste an access token").click()
    ui.wait_for_run()
    ui.text_input("settings_server").fill(mastodon.base_url)
    ui.text_input("settings_token").fill(ADA_TOKEN)
    ui.button("settings_mastodon_submit").click()
    expect(ui.keyed("settings_disconnect_mastodon")).to_be_visible(timeout=SLOW_STEP_MS)
    ui.text_input("settings_handle").fill(person.handle)
    ui.text_input("settings_app_password").fill(app_password(bluesky, person))
    ui.text_input("settings_pds").fill(bluesky.pds)
    ui.button("settings_bluesky_submit").click()
    expect(ui.keyed("settings_disconnect_bluesky")).to_be_visible(timeout=SLOW_STEP_MS)
    ui.screenshot("1-connected")


def test_connect_both_post_to_each_and_see_both_in_history(start_app, server, bluesky, tmp_path, page, ui):
    site = server.url("").rstrip("/")
    server.route("/posts/dawn", "<html><body><h1>Sourdough at dawn</h1></body></html>",
                 headers={"Content-Type": "text/html"})
    person = bluesky.create_account(f"ada{uuid.uuid4().hex[:6]}")
    feeds_yml = follow_list(site)
    db_path = tmp_path / "posting.db"
    draft_id = ready_draft(db_path, feeds_yml, site)
    with ada_on_mastodon() as mastodon:
        app = start_app(feeds_yml, db_path=db_path, env={"AMPLIFY_ALLOW_PRIVATE": "1"})
        connect_both(ui, page, app, mastodon, bluesky, person)

        # The Queue: post to Mastodon, then (in its tab) to Bluesky.
        ui.open(f"{app.url}/queue")
        ui.button(f"post_{draft_id}_mastodon").click()
        expect(page.get_by_text("Posted to Mastodon")).to_be_visible(timeout=SLOW_STEP_MS)
        page.get_by_role("tab", name="Bluesky").click()
        post_bluesky = ui.button(f"post_{draft_id}_bluesky")
        expect(post_bluesky).to_contain_text(f"Post to Bluesky as {person.handle}")
        ui.screenshot("2-queue")
        post_bluesky.click()
        expect(page.get_by_text("Nothing is queued")).to_be_visible(timeout=SLOW_STEP_MS)

        # History: both shares, each linking to its post.
        ui.open(f"{app.url}/history")
        links = page.get_by_role("link", name="Your post")
        expect(links).to_have_count(2)
        ui.screenshot("3-history")
        assert not ui.exceptions().count()
        hrefs = {links.nth(number).get_attribute("href") for number in range(2)}
        with app.store() as store:
            shares = {share.network: share.post_url for share in store.shares()}
            rows = {row.network: row for row in store.outbox_rows("recorded")}
        assert set(shares.values()) == hrefs
        # Each link is the post its server made: Mastodon serves the status with that address, the PDS the
        # record whose key ends the Bluesky address.
        status = httpx.get(f"{mastodon.base_url}/api/v1/statuses/{rows['mastodon'].post_id}").json()
        assert status["url"] == shares["mastodon"] and "shapes every loaf" in status["content"]
    rkey = shares["bluesky"].rsplit("/", 1)[-1]
    assert shares["bluesky"] == f"https://bsky.app/profile/{person.handle}/post/{rkey}"
    record = httpx.get(f"{bluesky.pds}/xrpc/com.atproto.repo.getRecord",
                       params={"repo": person.did, "collection": "app.bsky.feed.post", "rkey": rkey}).json()
    assert record["value"]["text"].startswith("@ada.example shapes every loaf")
