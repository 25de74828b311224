"""`amplify account add|list|remove` against mastodon-mock and the real Bluesky PDS, through click's runner."""

import json

import httpx
import pytest
from account_fixtures import ADA_TOKEN, ada_on_mastodon, app_password
from click.testing import CliRunner

from amplify.cli import cli
from amplify.secrets import get_secret
from amplify.store import Store


@pytest.fixture(scope="module")
def mastodon():
    with ada_on_mastodon() as running:
        yield running


def run(*args: str, input: str | None = None):
    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)


def test_oauth_prints_the_address_asks_for_the_code_and_connects(mastodon, tmp_path):
    db = str(tmp_path / "amplify.db")
    done = run("account", "add", "mastodon", "--server", mastodon.base_url, "--no-browser", "--db", db,
               input="mockcode_ada\n")
    assert done.exit_code == 0, done.output
    assert f"{mastodon.base_url}/oauth/authorize?" in done.output
    assert "scope=write%3Astatuses+write%3Amedia+read%3Astatuses+profile&" in done.output
    assert "mockcode_ada" not in done.output  # the code was asked for without showing it
    assert "Connected:" in done.output and "mastodon: @ada@" in done.output and "(Ada Bakes)" in done.output
    assert "posts up to 500 characters" in done.output
    token = get_secret("mastodon.token")
    assert token and token not in done.output
    listed = run("account", "list", "--check", "--db", db)
    assert "mastodon: @ada@" in listed.output and "    working" in listed.output
    assert "Secrets are kept in" in listed.output
    httpx.post(f"{mastodon.base_url}/oauth/revoke", data={"token": token}).raise_for_status()
    revoked = run("account", "list", "--check", "--db", db)
    assert "not working: Mastodon" in revoked.output and "refused the credentials" in revoked.output
    assert "connect it again with `amplify account add mastodon`" in revoked.output


def test_a_pasted_token_connects_and_is_never_shown(mastodon, tmp_path):
    db = str(tmp_path / "amplify.db")
    done = run("account", "add", "mastodon", "--server", mastodon.base_url, "--token", "--db", db,
               input=f"{ADA_TOKEN}\n")
    assert done.exit_code == 0, done.output
    assert ADA_TOKEN not in done.output and "Preferences > Development" in done.output
    assert get_secret("mastodon.token") == ADA_TOKEN
    as_json = json.loads(run("account", "list", "--json", "--db", db).output)
    assert [account["network"] for account in as_json["accounts"]] == ["mastodon"]
    assert ADA_TOKEN not in json.dumps(as_json)


def test_a_refused_token_ends_with_a_plain_error_and_keeps_nothing(mastodon, tmp_path):
    db = str(tmp_path / "amplify.db")
    done = run("account", "add", "mastodon", "--server", mastodon.base_url, "--token", "--db", db,
               input="wrong-token-456\n")
    assert done.exit_code == 1
    assert "refused the credentials" in done.output and "amplify account add mastodon" in done.output
    assert "wrong-token-456" not in done.output and "Traceback" not in done.output
    assert get_secret("mastodon.token") is None
    assert "No account is connected" in run("account", "list", "--db", db).output


def test_the_environment_token_meant_for_another_instance_is_not_sent_to_this_one(mastodon, tmp_path,
                                                                                 monkeypatch):
    # The variable is the token of the user's mastodon_instance, for importing a hidden follow list there.
    monkeypatch.setenv("AMPLIFY_MASTODON_TOKEN", "token-of-another-server")
    feeds = tmp_path / "feeds.yml"
    feeds.write_text("settings:\n  mastodon_instance: elsewhere.example\nsources: []\n")
    db = str(tmp_path / "a.db")
    done = run("account", "add", "mastodon", "--server", mastodon.base_url, "--token", "--feeds", str(feeds),
               "--db", db, input=f"{ADA_TOKEN}\n")
    assert done.exit_code == 0, done.output
    assert "is for your mastodon_instance (elsewhere.example), so it is not sent to" in done.output
    assert "token-of-another-server" not in done.output and get_secret("mastodon.token") == ADA_TOKEN
    with Store(db) as store:
        assert store.account("mastodon").secret_from == "kept"


def test_remove_disconnects_and_says_how_to_revoke(mastodon, tmp_path):
    db = str(tmp_path / "amplify.db")
    run("account", "add", "mastodon", "--server", mastodon.base_url, "--token", "--db", db, input=f"{ADA_TOKEN}\n")
    done = run("account", "remove", "mastodon", "--db", db)
    assert "Disconnected @ada@" in done.output and "/oauth/authorized_applications" in done.output
    assert get_secret("mastodon.token") is None
    with Store(db) as store:
        assert store.accounts() == []
    assert "nothing is kept" in run("account", "remove", "mastodon", "--db", db).output


def test_a_bad_instance_name_is_refused(tmp_path):
    done = run("account", "add", "mastodon", "--instance", "https://x/@ada", "--db", str(tmp_path / "a.db"))
    assert done.exit_code == 1 and "bare host" in done.output


def test_bluesky_asks_for_an_app_password_and_says_never_the_account_password(bluesky, tmp_path):
    person = bluesky.create_account("cli1")
    password = app_password(bluesky, person)
    db = str(tmp_path / "amplify.db")
    done = run("account", "add", "bluesky", "--handle", person.handle, "--server", bluesky.pds, "--db", db,
               input=f"{password}\n")
    assert done.exit_code == 0, done.output
    assert "never your account password" in done.output and "bsky.app/settings/app-passwords" in done.output
    assert f"bluesky: {person.handle}" in done.output and password not in done.output
    listed = run("account", "list", "--check", "--db", db)
    assert "working" in listed.output
    removed = run("account", "remove", "bluesky", "--db", db)
    assert "app-passwords" in removed.output
    assert get_secret("bluesky.app_password") is None and get_secret("bluesky.session") is None
