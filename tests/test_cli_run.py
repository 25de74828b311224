"""`amplify run`: the command line it builds, its errors, and a real server started, reached and stopped."""

import socket
import urllib.request

import pytest
from apprunner import launch_app
from click.testing import CliRunner

import amplify
from amplify import launch
from amplify.cli import cli
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
