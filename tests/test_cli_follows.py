"""`amplify import-follows` and `amplify sources --summary` through click's CliRunner, against a loopback Mastodon."""

import json

import pytest
from click.testing import CliRunner
from follow_fixtures import FOLLOW_LIST, follow_list_file, mastodon_account, serve_mastodon
from review_fixtures import add_item
from support import every_command

from amplify.cli import cli
from amplify.follow.load import load_follow_list
from amplify.store import Store


@pytest.fixture
def paths(tmp_path, monkeypatch):
    monkeypatch.setenv("AMPLIFY_FEEDS", str(follow_list_file(tmp_path)))
    monkeypatch.setenv("AMPLIFY_DB", str(tmp_path / "amplify.db"))
    monkeypatch.setenv("AMPLIFY_ALLOW_PRIVATE", "1")  # the servers here are on 127.0.0.1
    monkeypatch.delenv("AMPLIFY_MASTODON_TOKEN", raising=False)
    return tmp_path


@pytest.fixture
def instance(server):
    accounts = [mastodon_account(server, name) for name in ("cy", "dee", "eli")]
    accounts.append({**mastodon_account(server, "ada"), "acct": "ada@bakers.example"})  # followed already
    serve_mastodon(server, "me", accounts, page_size=2)
    return server


def _run(*args, input=None):
    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)


@pytest.mark.parametrize("path", [" ".join(path) for path, _ in every_command(cli)])
def test_every_command_has_help(path):
    result = _run(*path.split(), "--help")
    assert result.exit_code == 0
    assert result.output.split("Options:")[0].count("\n") >= 3, result.output  # usage line plus a description


def test_list_only_marks_who_is_followed_already(paths, instance):
    result = _run("import-follows", "mastodon", "@me@social.example", "--server", instance.url(""), "--list")
    assert result.exit_code == 0
    assert "@me@social.example follows 4 accounts (1 you follow already)." in result.output
    assert "    4. Ada  @ada@bakers.example  (following)" in result.output
    assert "    1. Cy  @cy@social.example\n       Hello from cy" in result.output
    assert (paths / "feeds.yml").read_text() == FOLLOW_LIST


def test_pick_by_number_and_handle(paths, instance):
    result = _run("import-follows", "mastodon", "@me@social.example", "--server", instance.url(""),
                  "--pick", "1", "--pick", "@eli@social.example")
    assert result.exit_code == 0, result.output
    assert "Added 2 sources" in result.output and "Identity labels stay empty" in result.output
    loaded = load_follow_list(paths / "feeds.yml")
    assert [source.name for source in loaded.sources] == ["Ada's Bakery", "Rosa Poems", "Cy", "Eli"]
    assert loaded.source("Cy").feeds == (instance.url("/@cy.rss"),)
    assert loaded.source("Cy").handles == {"mastodon": "@cy@social.example"}


def test_choosing_at_the_prompt_and_a_wrong_choice_adds_nothing(paths, instance):
    args = ("import-follows", "mastodon", "@me@social.example", "--server", instance.url(""))
    wrong = CliRunner().invoke(cli, list(args), input="2, 9\n")
    assert wrong.exit_code == 1 and "not on the list: 9; nothing was added" in wrong.output
    assert (paths / "feeds.yml").read_text() == FOLLOW_LIST
    result = _run(*args, input="1-2\n")
    assert "Added 2 sources" in result.output
    assert [source.name for source in load_follow_list(paths / "feeds.yml").sources][2:] == ["Cy", "Dee"]


def test_all_skips_the_followed_and_a_second_run_adds_nothing_twice(paths, instance):
    args = ("import-follows", "mastodon", "@me@social.example", "--server", instance.url(""), "--all", "--no-sites")
    result = _run(*args)
    assert "Added 3 sources" in result.output and "Already following 1 of those" in result.output
    again = _run(*args)
    assert "Added 0 sources" in again.output and "Already following 4 of those" in again.output
    text = (paths / "feeds.yml").read_text()
    assert text.startswith(FOLLOW_LIST) and "identity" not in text


def test_a_hidden_list_is_a_plain_error(paths, server):
    serve_mastodon(server, "me", [mastodon_account(server, "cy")], page_size=5, token="mine")
    result = CliRunner().invoke(cli, ["import-follows", "mastodon", "@me@social.example", "--server", server.url(""),
                                      "--all"])
    assert result.exit_code == 1
    assert "keeps the list of whom they follow hidden" in result.output
    assert (paths / "feeds.yml").read_text() == FOLLOW_LIST


def test_sources_summary_is_a_mirror(paths):
    feeds = paths / "feeds.yml"
    feeds.write_text(FOLLOW_LIST + """\
  - name: Quilt Circle
    feed: https://quilt.example/feed.xml
    kind: organization
    identity: {labels: [Black-owned, queer-owned], source: https://quilt.example/about}
  - name: Zed Zines
    feed: https://zed.example/feed.xml
    identity: {labels: [queer-owned], source: https://zed.example/about}
""")
    assert _run("sources").exit_code == 0  # syncs the list into the database
    with Store(paths / "amplify.db") as store:
        ids = {row["name"]: row["id"] for row in store.rows("SELECT id, name FROM sources")}
        now = store.clock()
        add_item(store, ids["Quilt Circle"], title="new quilt", sort_at=now)
        add_item(store, ids["Zed Zines"], title="old zine", sort_at="2020-01-01T00:00:00+00:00")
        with store.transaction():
            store.execute("UPDATE feeds SET last_fetched_at = ? WHERE source_id IN (?, ?, ?)",
                          (now.isoformat(), ids["Quilt Circle"], ids["Zed Zines"], ids["Rosa Poems"]))
    result = _run("sources", "--summary")
    assert result.output.splitlines() == [
        "4 sources",
        "By kind: 3 creator, 0 business, 1 organization",
        "As they describe themselves: 2 queer-owned, 1 Black-owned, 2 not stated",
        "Posted in the last 30 days: 1",
        "Quiet for 90 days: 2 (Rosa Poems, Zed Zines)",
        "Not fetched yet: 1",
    ]
    shape = json.loads(_run("sources", "--summary", "--json").output)
    assert shape["posted_recently"] == ["Quilt Circle"] and shape["not_fetched"] == ["Ada's Bakery"]
