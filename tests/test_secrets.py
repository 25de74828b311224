"""Secrets: the environment first, then a working keyring, else a 0600 file written atomically."""

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend

from amplify import secrets
from amplify.secrets import SecretsError, delete_secret, environment_secret, get_secret, secrets_file, set_secret

ROOT = Path(__file__).resolve().parent.parent


def leftovers() -> list[Path]:
    """Temporary files of the secrets file that were never renamed over it."""
    path = secrets_file()
    return [entry for entry in path.parent.iterdir() if entry.name.startswith(f".{path.name}.")
            and entry.name.endswith(".tmp")]


def test_the_file_keeps_a_secret_readable_by_its_owner_alone(tmp_path, monkeypatch):
    path = tmp_path / "config" / "amplify" / "secrets.json"
    monkeypatch.setenv(secrets.FILE_ENV, str(path))
    assert get_secret("mastodon.token") is None
    set_secret("mastodon.token", "tok-1")
    set_secret("bluesky.app_password", "abcd-efgh-ijkl-mnop")
    assert get_secret("mastodon.token") == "tok-1"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert json.loads(path.read_text()) == {"mastodon.token": "tok-1", "bluesky.app_password": "abcd-efgh-ijkl-mnop"}
    delete_secret("mastodon.token")
    assert get_secret("mastodon.token") is None
    assert get_secret("bluesky.app_password") == "abcd-efgh-ijkl-mnop"
    assert leftovers() == []


def test_a_file_made_readable_by_others_is_closed_again_on_the_next_write():
    path = secrets_file()
    set_secret("mastodon.token", "tok-1")
    path.chmod(0o644)
    set_secret("mastodon.token", "tok-2")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_the_environment_is_read_apart_and_never_stands_in_for_a_kept_secret(monkeypatch):
    set_secret("mastodon.token", "kept-token")
    monkeypatch.setenv("AMPLIFY_MASTODON_TOKEN", "from-the-environment")
    monkeypatch.setenv("AMPLIFY_BLUESKY_APP_PASSWORD", "env-app-password")
    assert get_secret("mastodon.token") == "kept-token"
    assert environment_secret("mastodon.token") == "from-the-environment"
    assert environment_secret("bluesky.app_password") == "env-app-password"
    assert get_secret("bluesky.app_password") is None
    assert environment_secret("bluesky.session") is None
    assert "from-the-environment" not in secrets_file().read_text()
    monkeypatch.delenv("AMPLIFY_MASTODON_TOKEN")
    assert environment_secret("mastodon.token") is None


def test_a_crash_between_the_temporary_file_and_the_rename_leaves_the_old_file():
    set_secret("bluesky.session", "old-session")
    before = secrets_file().read_bytes()
    # A real crash: the process dies (no clean-up, no exception handlers) just as it would rename the new file.
    script = ("import os\nfrom amplify import secrets\n"
              "os.replace = lambda *args: os._exit(9)\n"
              "secrets.set_secret('bluesky.session', 'new-session')\n")
    died = subprocess.run([sys.executable, "-c", script], env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert died.returncode == 9
    assert secrets_file().read_bytes() == before
    assert get_secret("bluesky.session") == "old-session"
    left = leftovers()
    assert len(left) == 1 and stat.S_IMODE(left[0].stat().st_mode) == 0o600  # the half-done file, owner-only
    set_secret("bluesky.session", "new-session")  # the next write is not hindered by it
    assert get_secret("bluesky.session") == "new-session"


def test_a_failed_write_says_where_keeps_the_old_file_and_never_shows_the_secret():
    set_secret("mastodon.token", "old-token")

    def refuse(*_args):
        raise PermissionError(13, "Permission denied")

    with pytest.MonkeyPatch.context() as patch, pytest.raises(SecretsError) as failed:
        patch.setattr(secrets.os, "replace", refuse)
        set_secret("mastodon.token", "new-secret-token")
    assert str(secrets_file()) in str(failed.value) and "new-secret-token" not in str(failed.value)
    assert get_secret("mastodon.token") == "old-token"
    assert not leftovers()


def test_a_damaged_file_is_reported_plainly():
    secrets_file().write_text("{not json")
    with pytest.raises(SecretsError, match="damaged"):
        get_secret("mastodon.token")


def test_an_empty_secret_is_refused():
    with pytest.raises(SecretsError, match="empty"):
        set_secret("mastodon.token", "")


class MemoryKeyring(KeyringBackend):
    """A keyring backend of this test's own, in memory: stands for the system's when one works."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()
        self.kept: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.kept.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.kept[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.kept.pop((service, username))


class BrokenKeyring(MemoryKeyring):
    def set_password(self, service: str, username: str, password: str) -> None:
        raise keyring.errors.PasswordSetError("locked")


@pytest.fixture
def system_keyring(tmp_path, monkeypatch):
    """A working keyring; the user's config folder is a temporary one, so a fall-back file lands there."""
    monkeypatch.delenv(secrets.FILE_ENV)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    previous = keyring.get_keyring()
    ring = MemoryKeyring()
    keyring.set_keyring(ring)
    yield ring
    keyring.set_keyring(previous)


def test_a_working_keyring_keeps_secrets_and_no_file_is_written(system_keyring, tmp_path):
    set_secret("bluesky.session", "in-the-keyring")
    assert system_keyring.kept == {("amplify", "bluesky.session"): "in-the-keyring"}
    assert get_secret("bluesky.session") == "in-the-keyring"
    assert not (tmp_path / "config").exists()
    assert "keyring" in secrets.where()
    delete_secret("bluesky.session")
    assert system_keyring.kept == {}


def test_a_keyring_that_refuses_falls_back_to_the_file(system_keyring, tmp_path):
    keyring.set_keyring(BrokenKeyring())
    set_secret("mastodon.token", "tok-fallback")
    path = tmp_path / "config" / "amplify" / "secrets.json"
    assert secrets_file() == path
    assert json.loads(path.read_text()) == {"mastodon.token": "tok-fallback"}
    assert get_secret("mastodon.token") == "tok-fallback"


def test_without_a_keyring_the_config_folder_file_is_used(tmp_path, monkeypatch):
    monkeypatch.delenv(secrets.FILE_ENV)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    previous = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.fail.Keyring())
    try:
        set_secret("mastodon.token", "tok-file")
        assert (tmp_path / "config" / "amplify" / "secrets.json").exists()
        assert "readable only by you" in secrets.where()
    finally:
        keyring.set_keyring(previous)
