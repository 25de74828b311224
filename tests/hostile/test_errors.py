"""Clean errors instead of tracebacks: deep OPML, impossible months, a full disk during refresh, a damaged page, a
file of another program or a half-upgraded one, a port already taken, and a read-only database."""

import os
import shutil
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from audit_fixtures import add_share, add_source
from click.testing import CliRunner
from pages import APP, use_files
from streamlit.testing.v1 import AppTest
from support import FIXED_NOW
from test_share_log import database_before_the_chain

import amplify
from amplify.cli import cli
from amplify.refresh import refresh
from amplify.store import Store, StoreError
from amplify.types import FollowList, Settings, Source

ROOT = Path(amplify.__file__).resolve().parents[1]  # the checkout whose amplify this test imported


def invoke(*args: str):
    result = CliRunner().invoke(cli, list(args))
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def amplify_process(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """`python -m amplify ARGS` in a process of its own, with this checkout's amplify."""
    env = os.environ | {"PYTHONPATH": str(ROOT), "AMPLIFY_ALLOW_PRIVATE": "1"}
    return subprocess.run([sys.executable, "-m", "amplify", *args], capture_output=True, text=True, env=env,
                          timeout=timeout, cwd=ROOT)


# -- OPML and months


def test_opml_nested_deeper_than_the_recursion_limit_is_refused_plainly(tmp_path):
    depth = sys.getrecursionlimit() + 100
    opml = tmp_path / "deep.opml"
    opml.write_text('<?xml version="1.0"?><opml version="2.0"><body>' + '<outline text="folder">' * depth
                    + '<outline type="rss" text="Ada" xmlUrl="https://ada.example/feed.xml"/>'
                    + "</outline>" * depth + "</body></opml>", encoding="utf-8")
    feeds = tmp_path / "feeds.yml"
    result = invoke("import-opml", str(opml), "--feeds", str(feeds))
    assert result.exit_code == 1
    assert "nested more than" in result.output and "deep.opml" in result.output
    assert not feeds.exists()  # nothing half-imported


@pytest.mark.parametrize("month", ["0000-01", "9999-12", "0000-12"])
def test_a_month_outside_the_calendar_is_refused_plainly(tmp_path, month):
    result = invoke("report", "--month", month, "--db", str(tmp_path / "amplify.db"))
    assert result.exit_code == 1
    assert f"'{month}' is outside the months amplify reports on" in result.output


# -- the disk fills up during a refresh


def _feed(count: int, words: int) -> str:
    text = " ".join(["bread"] * words)
    items = "".join(f"<item><title>Post {n}</title><guid>p{n}</guid><link>https://ada.example/{n}</link>"
                    f"<description>{text} {n}</description></item>" for n in range(count))
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Ada</title>{items}</channel></rss>'


def test_a_full_disk_during_refresh_says_so_and_writes_nothing_half(tmp_path, server, monkeypatch):
    monkeypatch.setenv("AMPLIFY_ALLOW_PRIVATE", "1")
    server.route("/small.xml", _feed(2, 5), headers={"Content-Type": "application/rss+xml"})
    server.route("/big.xml", _feed(400, 400), headers={"Content-Type": "application/rss+xml"})
    sources = [Source(name="Small", feeds=(server.url("/small.xml"),))]
    with Store(tmp_path / "amplify.db", clock=lambda: FIXED_NOW) as store:
        refresh(store, FollowList(tuple(sources), Settings()))
        assert store.scalar("SELECT count(*) FROM items") == 2
        refreshes = "SELECT count(*) FROM events WHERE kind = 'refresh'"
        before = store.scalar(refreshes)
        # SQLite's own "database or disk is full", reached by capping the file's size at what it holds now.
        store.execute(f"PRAGMA max_page_count = {store.scalar('PRAGMA page_count') + 2}")
        bigger = FollowList((*sources, Source(name="Big", feeds=(server.url("/big.xml"),))), Settings())
        with pytest.raises(StoreError, match="disk is full.*Nothing was half-written"):
            refresh(store, bigger)
        assert store.scalar("SELECT count(*) FROM items") == 2
        assert store.scalar("SELECT count(*) FROM items WHERE source_id = (SELECT id FROM sources"
                            " WHERE name = 'Big')") == 0
        assert store.scalar(refreshes) == before  # the run was not recorded as done
        store.execute("PRAGMA max_page_count = 1073741823")  # room again: the same refresh now works
        assert refresh(store, bigger).new_items == store.scalar("SELECT count(*) FROM items") - 2 > 0


def _can_mount() -> bool:
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        return False
    return subprocess.run(["unshare", "-m", "true"], capture_output=True).returncode == 0


needs_mount = pytest.mark.skipif(not _can_mount(), reason="needs root and unshare to mount a small or read-only disk")


@needs_mount
def test_the_refresh_command_on_a_full_disk_says_so(tmp_path, server):
    server.route("/big.xml", _feed(400, 400), headers={"Content-Type": "application/rss+xml"})
    feeds = tmp_path / "feeds.yml"
    feeds.write_text(f"sources:\n  - name: Big\n    feed: {server.url('/big.xml')}\n", encoding="utf-8")
    disk = tmp_path / "disk"
    disk.mkdir()
    script = (f"mount -t tmpfs -o size=700k none {disk} && "
              f"{sys.executable} -m amplify refresh --feeds {feeds} --db {disk}/amplify.db")
    env = os.environ | {"PYTHONPATH": str(ROOT), "AMPLIFY_ALLOW_PRIVATE": "1"}
    result = subprocess.run(["unshare", "-m", "sh", "-c", script], capture_output=True, text=True, env=env,
                            timeout=120, cwd=ROOT)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "disk is full" in result.stderr and "Nothing was half-written" in result.stderr
    assert "Traceback" not in result.stderr


# -- damaged, foreign and half-upgraded files


def _shared(path: Path) -> None:
    with Store(path) as store:
        source = add_source(store, "Ada Bakes")
        for day in range(1, 30):
            add_share(store, source, f"2026-11-{day:02d}T10:00:00+00:00")


def test_a_corrupt_page_is_reported_as_a_damaged_file_with_the_way_back(tmp_path):
    path = tmp_path / "amplify.db"
    _shared(path)
    conn = sqlite3.connect(path)
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'shares'").fetchone()[0]
    conn.close()
    with open(path, "r+b") as file:
        file.seek((root - 1) * page_size)
        file.write(b"\xff" * page_size)
    for args in (["export", "shares"], ["report", "--month", "2026-11"], ["verify"]):
        result = invoke(*args, "--db", str(path))
        assert result.exit_code == 1, args
        assert "damaged" in result.output and "backup" in result.output and ".recover" in result.output


def test_the_way_back_from_a_damaged_file_is_a_command_that_runs_as_pasted(tmp_path):
    folder = tmp_path / "my data"
    folder.mkdir()
    path = folder / "amplify.db"
    path.write_bytes(b"SQLite format 3\x00" + b"\xff" * 8192)
    result = invoke("verify", "--db", str(path))
    assert result.exit_code == 1
    assert f"`sqlite3 '{path}' .recover | sqlite3 recovered.db`" in result.output


def test_the_app_shows_a_damaged_file_as_a_message_not_a_traceback(tmp_path, monkeypatch):
    path = tmp_path / "amplify.db"
    path.write_bytes(b"SQLite format 3\x00" + b"\xff" * 8192)  # a header, then nothing a database could be
    use_files(monkeypatch, path, tmp_path / "feeds.yml")
    app = AppTest.from_file(APP, default_timeout=60).run()
    assert not app.exception, [exception.value for exception in app.exception]
    assert any("damaged" in error.value and "backup" in error.value for error in app.error)


def test_a_database_of_another_program_is_refused_and_left_alone(tmp_path):
    path = tmp_path / "notes.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    conn.execute("INSERT INTO notes (body) VALUES ('my own notes')")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    for args in (["export", "shares"], ["report", "--month", "2026-11"], ["verify"]):
        result = invoke(*args, "--db", str(path))
        assert result.exit_code == 1
        assert "not an amplify database" in result.output and "another program" in result.output
    assert path.read_bytes() == before
    with pytest.raises(StoreError, match="another program"):
        Store(path)


def test_a_half_upgraded_database_is_refused_and_left_alone(tmp_path):
    path = tmp_path / "amplify.db"
    _shared(path)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 1")  # says it lacks upgrade 2, yet has its triggers
    conn.close()
    before = path.read_bytes()
    result = invoke("export", "shares", "--db", str(path))
    assert result.exit_code == 1
    assert "half-upgraded" in result.output and "backup" in result.output
    assert path.read_bytes() == before


def test_a_database_missing_a_table_is_refused_by_name(tmp_path):
    path = tmp_path / "amplify.db"
    Store(path).close()
    conn = sqlite3.connect(path)
    conn.execute("DROP TABLE link_probes")
    conn.close()
    result = invoke("report", "--month", "2026-11", "--db", str(path))
    assert result.exit_code == 1 and "no link_probes table" in result.output


# -- serving on a port that is taken


def test_run_on_a_port_in_use_says_so_before_printing_any_address(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = amplify_process("run", "--db", str(tmp_path / "amplify.db"), "--feeds", str(tmp_path / "f.yml"),
                                 "--port", str(port))
    assert result.returncode == 1
    assert f"port {port}" in result.stderr and "in use" in result.stderr
    assert "http://" not in result.stdout + result.stderr


# -- a read-only database


def _read_only(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run amplify with `folder` read-only: a read-only mount as root (file modes do not bind root), else the
    file at mode 0444 in a folder at 0555."""
    env = os.environ | {"PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "amplify", *args]
    if os.geteuid() == 0:
        script = f'mount --bind {folder} {folder} && mount -o remount,bind,ro {folder} && exec "$@"'
        return subprocess.run(["unshare", "-m", "sh", "-c", script, "sh", *command], capture_output=True,
                              text=True, env=env, timeout=120, cwd=ROOT)
    for path in folder.iterdir():
        path.chmod(0o444)
    folder.chmod(0o555)
    try:
        return subprocess.run(command, capture_output=True, text=True, env=env, timeout=120, cwd=ROOT)
    finally:
        folder.chmod(0o755)


@pytest.mark.skipif(os.geteuid() == 0 and not _can_mount(), reason="root needs unshare for a read-only disk")
@pytest.mark.parametrize("args", [["export", "shares"], ["export", "shares", "--format", "json"],
                                  ["report", "--month", "2026-11"], ["verify"]])
def test_export_report_and_verify_work_on_a_read_only_database(tmp_path, args):
    folder = tmp_path / "backup"
    folder.mkdir()
    _shared(folder / "amplify.db")
    assert sorted(path.name for path in folder.iterdir()) == ["amplify.db"]
    result = _read_only(folder, *args, "--db", str(folder / "amplify.db"))
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "Read this by the creator" in result.stdout or "Ada Bakes" in result.stdout or "All is well" in result.stdout
    assert sorted(path.name for path in folder.iterdir()) == ["amplify.db"]


@pytest.mark.skipif(os.geteuid() == 0 and not _can_mount(), reason="root needs unshare for a read-only disk")
def test_a_write_to_a_read_only_database_says_it_is_read_only(tmp_path):
    folder = tmp_path / "backup"
    folder.mkdir()
    _shared(folder / "amplify.db")
    result = _read_only(folder, "forget", "Ada Bakes", "--yes", "--db", str(folder / "amplify.db"),
                        "--feeds", str(folder / "none.yml"))
    assert result.returncode == 1
    assert "read-only" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.skipif(os.geteuid() == 0 and not _can_mount(), reason="root needs unshare for a read-only disk")
def test_forget_on_a_read_only_database_leaves_feeds_yml_as_it_was(tmp_path):
    """Both forget, or neither: the follow list is not edited when the database cannot be."""
    folder = tmp_path / "backup"
    folder.mkdir()
    _shared(folder / "amplify.db")
    feeds = tmp_path / "feeds.yml"
    feeds.write_text("sources:\n  - name: Ada Bakes\n    feed: https://ada.example/feed.xml\n"
                     "    handles: {mastodon: '@ada@bakes.social'}\n", encoding="utf-8")
    before = feeds.read_text(encoding="utf-8")
    result = _read_only(folder, "forget", "Ada Bakes", "--yes", "--db", str(folder / "amplify.db"),
                        "--feeds", str(feeds))
    assert result.returncode == 1, result.stdout
    assert "read-only" in result.stderr and "Traceback" not in result.stderr
    assert feeds.read_text(encoding="utf-8") == before


@pytest.mark.skipif(os.geteuid() == 0 and not _can_mount(), reason="root needs unshare for a read-only disk")
def test_an_old_database_on_a_read_only_disk_says_it_needs_one_writable_open(tmp_path):
    folder = tmp_path / "backup"
    folder.mkdir()
    database_before_the_chain(folder / "amplify.db")
    result = _read_only(folder, "export", "shares", "--db", str(folder / "amplify.db"))
    assert result.returncode == 1
    assert "needs upgrading" in result.stderr and "Open it once where it can be written" in result.stderr
    assert "Traceback" not in result.stderr
