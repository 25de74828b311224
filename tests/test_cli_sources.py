"""The follow-list commands through click's CliRunner: sources, add, import-opml, export-opml."""

import json
from datetime import timedelta

import click
import pytest
from click.testing import CliRunner
from support import every_command

from amplify.cli import cli
from amplify.clock import to_iso, utcnow
from amplify.follow.load import load_follow_list
from amplify.store import Store

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Ada's Bakery</title><link href="/" rel="alternate"/>
  <id>urn:ada</id><updated>2026-11-20T09:00:00Z</updated>
</feed>
"""

FEEDS_YML = """\
# my people
sources:
  - name: Bea Builds   # the workshop
    feed: https://bea.example/feed.xml
    tags: [making]
  - name: Broken
    feed: not a url
"""

OPML = b"""<?xml version="1.0"?>
<opml version="2.0"><head><title>x</title></head><body>
  <outline text="Bea again" xmlUrl="https://bea.example/feed.xml"/>
  <outline text="Cam Zines" xmlUrl="https://cam.example/rss" htmlUrl="https://cam.example/" category="zines"/>
  <outline text="Dee" xmlUrl="https://dee.example/feed"/>
</body></opml>
"""


@pytest.fixture
def paths(tmp_path, monkeypatch):
    feeds = tmp_path / "feeds.yml"
    feeds.write_text(FEEDS_YML)
    monkeypatch.setenv("AMPLIFY_FEEDS", str(feeds))
    monkeypatch.setenv("AMPLIFY_DB", str(tmp_path / "amplify.db"))
    return tmp_path


def _run(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.mark.parametrize("command", ["sources", "add", "import-opml", "export-opml"])
def test_every_follow_list_command_explains_itself(command):
    result = _run(command, "--help")

    assert result.exit_code == 0
    assert len(result.output.split("Options:")[0].strip().splitlines()) >= 3


def test_sources_lists_health_and_reports_bad_entries(paths):
    with Store(paths / "amplify.db") as store:
        store.sync_sources(load_follow_list(paths / "feeds.yml"))
        store.execute(
            "UPDATE feeds SET last_fetched_at = ?, last_status = 404, last_error = 'the feed is gone (404)', "
            "error_count = 3",
            (to_iso(utcnow() - timedelta(hours=3)),),  # the command tells the time as a person would
        )

    result = _run("sources")

    assert result.exit_code == 0
    assert "Bea Builds  (creator, 1 feed, 0 items)" in result.stdout
    assert "last fetch: 3 hours ago, HTTP 404" in result.stdout
    assert "error (3 in a row): the feed is gone (404)" in result.stdout
    assert "feeds.yml line 7: `feed` must be an http(s) URL" in result.stderr


def test_a_source_never_fetched_says_how_to_fetch_it(paths):
    result = _run("sources")

    assert result.exit_code == 0
    assert "Bea Builds  (creator, 1 feed, 0 items)\n    not fetched yet: `amplify refresh` fetches it" in result.stdout


def test_sources_json_is_one_object(paths):
    result = _run("sources", "--json")

    document = json.loads(result.stdout)
    assert [source["name"] for source in document["sources"]] == ["Bea Builds"]
    assert document["sources"][0]["tags"] == ["making"]
    assert document["problems"][0]["line"] == 7


def test_sources_with_an_unusable_file_is_one_line_and_non_zero(paths):
    (paths / "feeds.yml").write_text("sources: [oops\n")

    result = _run("sources")

    assert result.exit_code != 0
    assert result.output.count("\n") == 1
    assert "not valid YAML" in result.output and "Traceback" not in result.output


def test_add_discovers_the_feed_and_appends_keeping_comments(paths, server):
    server.route(
        "/",
        '<html><head><link rel="alternate" type="application/atom+xml" href="/blog.atom"></head></html>',
        headers={"Content-Type": "text/html"},
    )
    server.route("/blog.atom", ATOM, headers={"Content-Type": "application/atom+xml"})

    result = _run(
        "add", server.url("/"), "--kind", "business", "--tag", "food", "--tag", "local", "--credit", "ask"
    )

    assert result.exit_code == 0, result.output
    assert f"Added Ada's Bakery: {server.url('/blog.atom')}" in result.output
    text = (paths / "feeds.yml").read_text()
    assert "# my people" in text and "# the workshop" in text
    ada = load_follow_list(paths / "feeds.yml").source("Ada's Bakery")
    assert (ada.url, ada.kind, ada.tags, ada.credit) == (
        server.url("/"),
        "business",
        ("food", "local"),
        "ask",
    )


def test_add_with_a_name_and_the_same_feed_twice(paths, server):
    server.route("/blog.atom", ATOM, headers={"Content-Type": "application/atom+xml"})

    first = _run("add", server.url("/blog.atom"), "--name", "Ada")
    again = _run("add", server.url("/blog.atom"), "--name", "Ada B")

    assert first.exit_code == 0 and "Added Ada:" in first.output
    assert again.exit_code != 0
    assert "is already followed as 'Ada'" in again.output and "Traceback" not in again.output


def test_add_a_page_without_a_feed_is_a_clear_error(paths, server):
    server.route("/", "<html><head><title>hi</title></head></html>", headers={"Content-Type": "text/html"})
    before = (paths / "feeds.yml").read_text()

    result = _run("add", server.url("/"))

    assert result.exit_code != 0
    assert "found no feed on this page" in result.output
    assert (paths / "feeds.yml").read_text() == before


def test_import_opml_adds_new_sources_and_reports_skipped_ones(paths):
    (paths / "list.opml").write_bytes(OPML)

    result = _run("import-opml", str(paths / "list.opml"))

    assert result.exit_code == 0
    assert "Added 2 sources" in result.output
    assert (
        "Skipped Bea again: https://bea.example/feed.xml is already followed as 'Bea Builds'" in result.output
    )
    names = [source.name for source in load_follow_list(paths / "feeds.yml").sources]
    assert names == ["Bea Builds", "Cam Zines", "Dee"]
    assert "# the workshop" in (paths / "feeds.yml").read_text()


def test_import_opml_refuses_entities(paths):
    (paths / "bomb.opml").write_bytes(b'<!DOCTYPE x [<!ENTITY a "aaaa">]><opml><body/></opml>')

    result = _run("import-opml", str(paths / "bomb.opml"))

    assert result.exit_code != 0
    assert "declares a DTD or entities" in result.output


def test_export_opml_to_a_file_and_to_the_screen(paths):
    out = paths / "out.opml"

    written = _run("export-opml", str(out))
    shown = _run("export-opml")

    assert written.exit_code == 0 and shown.exit_code == 0
    assert b'xmlUrl="https://bea.example/feed.xml"' in out.read_bytes()
    assert 'category="making"' in shown.stdout


@pytest.mark.parametrize(("path", "command"), list(every_command(cli)), ids=lambda value: " ".join(value)
                         if isinstance(value, tuple) else "")
def test_every_command_and_option_has_help_text(path, command):
    assert (command.help or "").strip(), f"amplify {' '.join(path)} has no help text"
    for param in command.params:
        if isinstance(param, click.Option):
            assert (param.help or "").strip(), f"amplify {' '.join(path)} {param.opts[0]} has no help text"
        elif isinstance(param, click.Argument):  # arguments take no help: the command's text names them
            assert param.human_readable_name in command.help, f"amplify {' '.join(path)} never explains it"
    assert _run(*path, "--help").exit_code == 0


def test_adding_a_feed_you_follow_says_so_rather_than_asking_for_another_name(paths, server):
    server.route("/blog.atom", ATOM, headers={"Content-Type": "application/atom+xml"})
    assert _run("add", server.url("/blog.atom")).exit_code == 0

    again = _run("add", server.url("/blog.atom"))

    assert again.exit_code != 0
    assert "is already followed as \"Ada's Bakery\"" in again.output and "another name" not in again.output
