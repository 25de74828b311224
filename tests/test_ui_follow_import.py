"""The Sources page's import from Mastodon (a loopback instance) and the follow list at a glance, through AppTest."""

import threading
import time

import pytest
from follow_fixtures import FOLLOW_LIST, mastodon_account, serve_mastodon
from pages import follow_list_beside, open_page
from review_fixtures import add_item
from streamlit.testing.v1 import AppTest

from amplify.display import isolated
from amplify.follow.load import load_follow_list
from amplify.glance import Group
from amplify.ui import components, follow_import


@pytest.fixture
def follow_list(store, tmp_path, monkeypatch):
    monkeypatch.setenv("AMPLIFY_ALLOW_PRIVATE", "1")  # the instance is on 127.0.0.1
    monkeypatch.delenv("AMPLIFY_MASTODON_TOKEN", raising=False)
    return follow_list_beside(store, tmp_path, monkeypatch, FOLLOW_LIST)


@pytest.fixture
def instance(server):
    accounts = [mastodon_account(server, name) for name in ("cy", "dee", "eli")]
    accounts[1]["note"] = "<p>Zines about <b>bread</b>, she/her</p>"
    accounts.append({**mastodon_account(server, "ada"), "acct": "ada@bakers.example"})  # followed already
    serve_mastodon(server, "me", accounts, page_size=2)
    return server


def checked(app: AppTest) -> AppTest:
    app.run()
    assert not app.exception, [exception.value for exception in app.exception]
    return app


def fetch(app: AppTest, account: str, server_url: str) -> AppTest:
    app.text_input(key="import_account").input(account)
    app.text_input(key="import_server").input(server_url)
    app.button(key="import_fetch").click()
    checked(app)
    follow_import.wait(app.session_state[follow_import.JOB_KEY], 60)
    return checked(checked(app))  # the progress sees the end and shows the list


def names(app: AppTest) -> list[str]:
    return [row["Name"] for row in app.dataframe[0].value.to_dict("records")]


def test_import_choose_two_and_nothing_before_confirming(follow_list, instance):
    app = fetch(open_page("sources"), "@me@social.example", instance.url(""))
    assert "follows 4 accounts. You follow 1 of them already." in "\n".join(m.value for m in app.markdown)
    assert any("what a source says of itself" in caption.value for caption in app.caption)
    boxes = {box.key: box for box in app.checkbox}
    assert set(boxes) == {"pick_0", "pick_1", "pick_2", "pick_3"}
    assert boxes["pick_3"].disabled and boxes["pick_3"].value  # Ada: followed already
    assert components.escape_markdown("Zines about bread, she/her") in "\n".join(c.value for c in app.caption)
    app.checkbox(key="pick_0").check()
    app.checkbox(key="pick_2").check()
    checked(app)
    assert load_follow_list(follow_list).source("Cy") is None  # nothing added yet
    assert app.button(key="import_confirm").label == "Follow 2 chosen"
    app.button(key="import_confirm").click()
    checked(app)
    assert "Now following 2 more sources" in app.success[0].value
    loaded = load_follow_list(follow_list)
    assert [source.name for source in loaded.sources] == ["Ada's Bakery", "Rosa Poems", "Cy", "Eli"]
    assert all(not source.identity_labels for source in loaded.sources)
    assert follow_list.read_text().startswith(FOLLOW_LIST)
    assert names(app)[-2:] == ["Cy", "Eli"]


def test_search_and_choose_all_found(follow_list, instance):
    app = fetch(open_page("sources"), "@me@social.example", instance.url(""))
    app.text_input(key="import_search").input("bread")
    checked(app)
    assert [box.key for box in app.checkbox] == ["pick_1"]
    app.button(key="import_select_all").click()
    checked(app)
    assert app.checkbox(key="pick_1").value
    app.text_input(key="import_search").input("")
    checked(app)
    assert [box.value for box in app.checkbox] == [False, True, False, True]  # the choice stays; Ada is followed
    app.button(key="import_clear").click()
    checked(app)
    assert app.button(key="import_confirm").disabled


def test_a_hidden_list_is_explained(follow_list, server):
    serve_mastodon(server, "me", [mastodon_account(server, "cy")], page_size=5, token="mine")
    app = fetch(open_page("sources"), "@me@social.example", server.url(""))
    assert "keeps the list of whom they follow hidden" in app.warning[0].value.replace("\\", "")
    assert len(app.checkbox) == 0


def test_a_bad_address_is_a_plain_error(follow_list):
    app = open_page("sources")
    app.text_input(key="import_account").input("just-a-name")
    app.button(key="import_fetch").click()
    checked(app)
    assert "is not a Mastodon address" in app.error[0].value


def test_the_glance_counts_and_filters_the_table(follow_list, store):
    follow_list.write_text(FOLLOW_LIST + """\
  - name: Quilt Circle
    feed: https://quilt.example/feed.xml
    kind: organization
    identity: {labels: [Black-owned], source: https://quilt.example/about}
""")
    app = open_page("sources")
    quilt = store.scalar("SELECT id FROM sources WHERE name = 'Quilt Circle'")
    add_item(store, quilt, title="a quilt")
    with store.transaction():
        store.execute("UPDATE feeds SET last_fetched_at = '2026-11-20T09:00:00+00:00'")
    checked(app)
    glance = app.button_group(key="glance")
    labels = [getattr(option, "content", option) for option in glance.options]
    assert labels == ["creator: 2", "organization: 1", "Black-owned: 1", "no label stated: 2",
                      "posted in the last 30 days: 1", "quiet for 90 days: 2"]
    assert names(app) == ["Ada's Bakery", "Rosa Poems", "Quilt Circle"]
    glance.set_value(Group("not_stated", "not stated", 2))
    checked(app)
    assert names(app) == ["Ada's Bakery", "Rosa Poems"]
    assert any("2 of your 3 sources" in header.value for header in app.subheader)


def test_a_stopped_import_goes_on_from_the_page(follow_list, server):
    serve_mastodon(server, "me", [mastodon_account(server, name) for name in ("cy", "dee", "eli")], page_size=2)
    second = next(path for path in server.routes if "max_id" in path)
    kept = server.routes[second]
    server.route(second, b'{"error": "Too many requests"}', status=429, headers={"Retry-After": "3600"})
    app = fetch(open_page("sources"), "@me@social.example", server.url(""))
    assert "asks amplify to wait until" in app.warning[0].value.replace("\\", "")
    assert len(app.checkbox) == 0
    server.routes[second] = kept
    app.button(key="import_resume").click()
    checked(app)
    follow_import.wait(app.session_state[follow_import.JOB_KEY], 60)
    checked(checked(app))
    assert [box.key for box in app.checkbox] == ["pick_0", "pick_1", "pick_2"]
    assert len(server.hits("/api/v1/accounts/1/following?limit=80")) == 1  # the first page was not asked again


def test_progress_shows_while_the_list_comes_in(follow_list, server, store):
    serve_mastodon(server, "me", [mastodon_account(server, name) for name in ("cy", "dee", "eli")], page_size=2)
    second = next(path for path in server.routes if "max_id" in path)
    page, release = server.routes[second], threading.Event()

    def held(handler):
        release.wait(60)
        handler.send_response(200)
        for name, value in page.headers.items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(page.body)))
        handler.end_headers()
        handler.wfile.write(page.body)

    server.route(second, handler=held)
    app = open_page("sources")
    app.text_input(key="import_account").input("@me@social.example")
    app.text_input(key="import_server").input(server.url(""))
    app.button(key="import_fetch").click()
    checked(app)
    deadline = time.monotonic() + 60  # a bound on waiting for the first page, not a measurement
    while getattr(store.follow_import("mastodon", "@me@social.example", server.url("")), "fetched", 0) != 2:
        assert time.monotonic() < deadline, "the first page never landed"
        time.sleep(0.05)
    checked(app)
    assert "2 of 3 accounts so far" in app.get("progress")[0].proto.text
    assert len(app.checkbox) == 0  # nothing to choose before the list is in
    release.set()
    follow_import.wait(app.session_state[follow_import.JOB_KEY], 60)
    checked(checked(app))
    assert [box.key for box in app.checkbox] == ["pick_0", "pick_1", "pick_2"]


def test_a_hostile_name_bio_and_website_reorder_nothing_beside_them(follow_list, server):
    # An override left open reverses what follows it on the line ("gnp.exe" reads "exe.png").
    name = "Mallory\u202e: gnp.exe"
    mallory = mastodon_account(server, "mallory", display_name=name)
    mallory["note"] = "<p>I bake\u202e loaves</p>"
    mallory["fields"] = [{"name": "Site", "value": "https://mallory.example/\u202egnp.exe", "verified_at": None}]
    serve_mastodon(server, "me", [mallory], page_size=5)
    app = fetch(open_page("sources"), "@me@social.example", server.url(""))
    label = app.checkbox(key="pick_0").label
    assert label.startswith(f"**{components.escape_markdown(isolated(name))}** · ")
    caption = next(caption.value for caption in app.caption if "mallory" in caption.value)
    assert components.escape_markdown(isolated("I bake\u202e loaves")) in caption  # closed before the site
    assert components.escape_markdown("site: https://mallory.example/gnp.exe") in caption


def test_the_tables_links_carry_no_direction_controls(store, tmp_path, monkeypatch):
    # As an import writes a website field: an override inside the address, which would show "gnp.exe" as "exe.png".
    follow_list_beside(store, tmp_path, monkeypatch, """\
sources:
  - name: Mallory
    feed: https://mallory.example/feed.xml
    url: "https://mallory.example/\\u202egnp.exe"
    identity: {labels: [Queer], source: "https://mallory.example/\\u202babout"}
""")
    app = checked(open_page("sources"))
    row = app.dataframe[0].value.to_dict("records")[0]
    assert row["Homepage"] == "https://mallory.example/gnp.exe"
    assert row["Where they said it"] == "https://mallory.example/about"
