"""`amplify run` and `amplify demo`: the command line, its errors, a real server started, reached and stopped,
and the demo's sample sites, follow list and first refresh."""

import json
import signal
import socket
import urllib.request
from datetime import UTC, datetime

import pytest
from apprunner import launch_app
from click.testing import CliRunner

import amplify
from amplify import demo, launch
from amplify.cli import cli
from amplify.follow.load import load_follow_list, parse_follow_list
from amplify.refresh import refresh
from amplify.store import Store


def refused(host: str, port: int) -> bool:
    with socket.socket() as attempt:
        attempt.settimeout(5)
        return attempt.connect_ex((host, port)) != 0


def test_run_has_help_text():
    result = CliRunner().invoke(cli, ["run", "--help"])
    assert result.exit_code == 0
    for option in ("--db", "--feeds", "--port", "--host"):
        assert option in result.output


def test_command_listens_on_loopback_unless_told_otherwise(tmp_path):
    default = launch.streamlit_command(tmp_path / "app.py", port=9123)
    assert default[default.index("--server.address") + 1] == "127.0.0.1"
    assert default[default.index("--server.port") + 1] == "9123"
    assert default[default.index("--server.headless") + 1] == "true"
    assert default[default.index("--browser.gatherUsageStats") + 1] == "false"
    chosen = launch.streamlit_command(tmp_path / "app.py", host="0.0.0.0", port=9123)
    assert chosen[chosen.index("--server.address") + 1] == "0.0.0.0"


def test_app_is_found_at_the_checkout_root():
    assert launch.app_path().read_text().count("amplify.ui.app") == 1


def test_missing_app_file_is_a_clear_error(tmp_path, monkeypatch):
    package = tmp_path / "site-packages" / "amplify"
    package.mkdir(parents=True)
    monkeypatch.setattr(amplify, "__file__", str(package / "__init__.py"))
    with pytest.raises(launch.AppNotFound, match=r"pip install -e \."):
        launch.app_path()
    arguments = ["run", "--db", str(tmp_path / "x.db"), "--feeds", str(tmp_path / "f.yml")]
    result = CliRunner().invoke(cli, arguments)
    assert result.exit_code == 1
    assert "cannot find the app" in result.output


def test_unusable_database_stops_before_serving(tmp_path):
    not_a_database = tmp_path / "notes.db"
    not_a_database.write_text("these are my notes, not a database\n" * 100)
    result = CliRunner().invoke(cli, ["run", "--db", str(not_a_database), "--feeds", str(tmp_path / "f.yml")])
    assert result.exit_code == 1
    assert "file is not a database" in result.output
    assert not_a_database.read_text().startswith("these are my notes")


def test_run_serves_the_app_on_loopback_and_stops_cleanly(tmp_path):
    app = launch_app(tmp_path, feeds_yml=None)
    try:
        with urllib.request.urlopen(app.url, timeout=10) as answer:
            assert answer.status == 200
            assert b"<html" in answer.read().lower()
        # Bound to 127.0.0.1 itself, not to every address: another loopback address is not answered.
        assert refused("127.0.0.2", app.port)
        with Store(app.db_path) as created:  # the database exists before the first page view
            assert created.schema_version >= 1
        assert "No follow list at" in app.log()
    finally:
        status = app.stop()
    assert status == 0
    assert refused("127.0.0.1", app.port)  # Streamlit went down with `amplify run`


# -- amplify demo ------------------------------------------------------------------------------------------


def test_demo_has_help_text():
    result = CliRunner().invoke(cli, ["demo", "--help"])
    assert result.exit_code == 0
    assert "--dir" in result.output and "no network needed" in result.output


def test_demo_sites_serve_feeds_pages_and_images():
    started = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
    with demo.DemoSites(started=started) as sites:
        status, content_type, body = sites.answer("/ada/feed.xml")
        assert (status, content_type) == (200, "application/rss+xml; charset=utf-8")
        assert b"{{" not in body
        assert sites.site_url("ada").encode() + b"/posts/rye-is-back" in body
        assert b"<pubDate>Fri, 20 Nov 2026 07:30:00 +0000</pubDate>" in body  # two hours before `started`
        status, content_type, body = sites.answer("/quilt/feed.json")
        assert json.loads(body)["items"][0]["date_published"] == "2026-11-20T04:30:00+00:00"
        homepage = sites.answer("/rosa/")[2].decode()
        assert f"href='{sites.feed_url(demo.DEMO_SOURCES[1])}'" in homepage
        assert sites.answer("/kwame/bike.svg")[1] == "image/svg+xml"
        assert sites.answer("/kwame/../../etc/passwd")[0] == 404
        assert sites.answer("/nobody/feed.xml")[0] == 404
        with urllib.request.urlopen(sites.feed_url(demo.DEMO_SOURCES[0]), timeout=10) as answer:
            assert answer.status == 200 and answer.headers["ETag"]


def test_demo_follow_list_is_valid_and_every_label_has_its_statement():
    with demo.DemoSites() as sites:
        follow_list = parse_follow_list(demo.follow_list_text(sites))
        assert follow_list.problems == ()
        assert [source.name for source in follow_list.sources] == [source.name for source in demo.DEMO_SOURCES]
        for source in follow_list.sources:
            if source.identity_labels:
                about = sites.answer(source.identity_source.removeprefix(f"http://127.0.0.1:{sites.port}"))
                assert about[0] == 200
                for label in source.identity_labels:
                    assert label in about[2].decode()  # in their own words, on their own page


def test_prepare_demo_refreshes_every_sample_source(tmp_path):
    with demo.DemoSites() as sites:
        setup = demo.prepare_demo(tmp_path / "demo", sites)
        assert setup.problems == ()
        assert setup.new_items == 14
        with Store(setup.db_path) as opened:
            assert opened.review_counts().new == 14
            assert opened.scalar("SELECT COUNT(*) FROM items WHERE image_url IS NOT NULL") >= 3
            with_alt = opened.scalar("SELECT image_alt FROM items WHERE title = 'Rye is back on Saturdays'")
            assert with_alt == "A round rye loaf with a cross cut on top, on a wooden board"
            again = refresh(opened, load_follow_list(setup.feeds_path))
            assert (again.new_items, again.not_modified) == (0, len(demo.DEMO_SOURCES))


def test_demo_never_writes_over_existing_files(tmp_path):
    mine = tmp_path / "amplify.db"
    mine.write_bytes(b"my own data")
    with demo.DemoSites() as sites, pytest.raises(demo.DemoError, match="empty or new folder"):
        demo.prepare_demo(tmp_path, sites)
    assert mine.read_bytes() == b"my own data"
    result = CliRunner().invoke(cli, ["demo", "--dir", str(tmp_path)])
    assert result.exit_code == 1 and "already has amplify.db" in result.output


def test_an_interrupt_sent_to_amplify_alone_still_stops_the_app(tmp_path):
    app = launch_app(tmp_path)
    app.process.send_signal(signal.SIGINT)  # not to the whole group, as a terminal's Ctrl-C would
    assert app.process.wait(timeout=60) == 0
    assert refused("127.0.0.1", app.port)
