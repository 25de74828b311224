"""No secret lands anywhere but the secrets store: after connecting Mastodon (mastodon-mock, OAuth through the
command line) and Bluesky (the real PDS, through the Settings page), renewing the Bluesky session and checking both,
and after failures on purpose, every secret seen is looked for in every table of amplify.db (every column of every
row, and the file's raw bytes with its WAL), the log records of amplify and its HTTP stack, the events, the command
line's output, the error messages, feeds.yml and the Settings page's text and session. None may appear there; all of
them must be in the secrets file (so the search looks for the right strings)."""

import json
import logging
from pathlib import Path

import pytest
from account_fixtures import ada_on_mastodon, app_password
from click.testing import CliRunner
from pages import open_page, rerun, use_files

from amplify import accounts
from amplify.accounts import AccountError, bluesky_session
from amplify.cli import cli
from amplify.secrets import get_secret, secrets_file, set_secret
from amplify.store import Store

# Loggers of the servers the test runs (mastodon-mock under uvicorn): their logs are theirs, not amplify's.
SERVER_LOGGERS = ("uvicorn", "mastodon_mock", "fastapi")


def every_cell(db_path: Path) -> str:
    """Every value of every column of every row of every table, as text."""
    with Store(db_path) as store:
        tables = [row["name"] for row in store.rows("SELECT name FROM sqlite_master WHERE type = 'table'")]
        assert "accounts" in tables and "events" in tables
        cells = [repr(value) for table in tables for row in store.rows(f'SELECT * FROM "{table}"')
                 for value in row.values()]
    return "\n".join(cells)


def raw_files(db_path: Path) -> bytes:
    return b"".join(path.read_bytes() for path in db_path.parent.glob(f"{db_path.name}*"))


def kept_secrets() -> set[str]:
    """Every secret in the secrets file now, the JWTs of a Bluesky session one by one."""
    stored = json.loads(secrets_file().read_text())
    found = set(stored.values())
    if "bluesky.session" in stored:
        found |= set(json.loads(stored["bluesky.session"]).values())
    return found


def settings_text(app) -> str:
    parts = [element.value for kind in ("markdown", "caption", "success", "error", "warning", "info", "title",
                                        "header", "subheader")
             for element in getattr(app, kind)]
    parts += [button.label for button in app.button] + [repr(app.session_state)]
    return "\n".join(str(part) for part in parts)


@pytest.fixture
def mastodon():
    with ada_on_mastodon() as running:
        yield running


def test_no_secret_reaches_the_database_the_logs_the_events_the_output_or_the_page(
        bluesky, mastodon, tmp_path, monkeypatch, caplog):
    caplog.set_level(logging.DEBUG)
    db_path, feeds = tmp_path / "amplify.db", tmp_path / "feeds.yml"
    feeds.write_text("settings:\n  networks: [mastodon, bluesky]\nsources: []\n")
    use_files(monkeypatch, db_path, feeds)
    seen: set[str] = set()
    shown: list[str] = []  # everything amplify printed, showed or raised

    # Mastodon, OAuth on the command line.
    runner = CliRunner()
    added = runner.invoke(cli, ["account", "add", "mastodon", "--server", mastodon.base_url, "--no-browser",
                                "--db", str(db_path), "--feeds", str(feeds)], input="mockcode_ada\n")
    assert added.exit_code == 0, added.output
    shown.append(added.output)
    seen |= kept_secrets()

    # Bluesky, on the Settings page.
    person = bluesky.create_account("leak")
    password = app_password(bluesky, person)
    page = open_page("settings")
    page.text_input(key="settings_handle").input(person.handle)
    page.text_input(key="settings_app_password").input(password)
    page.text_input(key="settings_pds").input(bluesky.pds)
    page.button(key="settings_bluesky_submit").click()
    rerun(page)
    shown.append(settings_text(page))
    assert f"Connected as {person.handle}" in shown[-1].replace("\\", "").replace("\N{WORD JOINER}", "")
    seen |= kept_secrets()
    assert password in seen

    # Renewing the session twice (each rotation saved), and checking both accounts.
    with Store(db_path) as store:
        account = accounts.connected(store, "bluesky")
        for _ in range(2):
            bluesky_session(account, renew=True)
            seen |= kept_secrets()
    listed = runner.invoke(cli, ["account", "list", "--check", "--json", "--db", str(db_path), "--feeds", str(feeds)])
    shown.append(listed.output)
    assert [entry["problem"] for entry in json.loads(listed.output)["accounts"]] == [None, None]
    seen |= kept_secrets()

    # Failures on purpose: a wrong token, a wrong app password after the session is gone.
    wrong = runner.invoke(cli, ["account", "add", "mastodon", "--server", mastodon.base_url, "--token",
                                "--db", str(tmp_path / "other.db")], input="wrong-token-for-the-leak-test\n")
    assert wrong.exit_code == 1
    shown.append(wrong.output)
    seen.add("wrong-token-for-the-leak-test")
    stale = json.loads(get_secret("bluesky.session"))
    set_secret("bluesky.session", json.dumps({"accessJwt": "x", "refreshJwt": stale["refreshJwt"] + "x"}))
    set_secret("bluesky.app_password", "zzzz-zzzz-zzzz-zzzz")
    seen.add("zzzz-zzzz-zzzz-zzzz")
    with pytest.raises(AccountError) as refused:
        bluesky_session(account, renew=True)
    shown.append(f"{refused.value}\n{refused.value!r}\n{refused.value.__cause__!r}\n{refused.value.__context__!r}")

    page = open_page("settings")
    shown.append(settings_text(page))

    secrets = {secret for secret in seen if len(secret) >= 8}
    assert len(secrets) >= 8  # a token, an app password, JWTs of four sessions, the wrong ones
    logs = "\n".join(f"{record.name} {record.getMessage()} {record.args!r}" for record in caplog.records
                     if not record.name.startswith(SERVER_LOGGERS))
    assert "amplify.secrets" in logs  # the secrets module's records are among those searched
    places = {
        "amplify.db": every_cell(db_path),
        "amplify.db files": raw_files(db_path).decode("latin-1"),
        "log": logs,
        "feeds.yml": feeds.read_text(),
        "output, pages and errors": "\n".join(shown),
    }
    leaks = [(place, secret[:12] + "…") for place, text in places.items() for secret in secrets if secret in text]
    assert leaks == []
