"""Secrets: the only module that reads or writes a token, an app password or a session.

A secret is a short string under a name (`mastodon.token`, `bluesky.app_password`, `bluesky.session`). It comes
from one of two places, and the caller says which (`get_secret` or `environment_secret`): a token opens the account
it belongs to on the server it belongs to, so a variable set for one server never stands in for a secret kept for
another.

- an environment variable, for servers and cron: `AMPLIFY_MASTODON_TOKEN` for `mastodon.token`,
  `AMPLIFY_BLUESKY_APP_PASSWORD` for `bluesky.app_password` (read only; never written). `environment_secret`
  reads it; the account connected from it says so (`Account.secret_from`);
- what amplify keeps (`get_secret`), looked for in this order:

1. the operating system's keyring (`keyring`: macOS Keychain, Windows Credential Locker, the Secret Service on
   Linux desktops), when one works here;
2. else a file, `secrets.json` in the user's config folder (platformdirs: `~/.config/amplify` on Linux), readable
   by its owner alone (mode 0600, in a folder of mode 0700), rewritten atomically: a new file is written beside
   it, flushed to disk, then renamed over the old one, so a crash at any moment leaves the old file or the new one,
   never half of either. `AMPLIFY_SECRETS_FILE=PATH` uses the file at PATH and never the keyring (the tests do).

Secrets never go to amplify.db, feeds.yml, a log line, an event or an error message: what is logged here is a
secret's name and where it went, never its value.
"""

import json
import logging
import os
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from amplify.errors import AmplifyError

SERVICE = "amplify"  # the keyring's service name
FILE_ENV = "AMPLIFY_SECRETS_FILE"
ENV_OVERRIDES = {
    "mastodon.token": "AMPLIFY_MASTODON_TOKEN",
    "bluesky.app_password": "AMPLIFY_BLUESKY_APP_PASSWORD",
}

log = logging.getLogger(__name__)
_lock = threading.Lock()  # one read-modify-write of the file at a time within this process


class SecretsError(AmplifyError):
    """A secret could not be kept or read; the message names the place, never the secret."""


def get_secret(name: str) -> str | None:
    """The secret kept under `name` (the keyring, else the file), or None when none is kept. Never the environment:
    see `environment_secret`."""
    ring = _keyring()
    if ring is not None:
        try:
            found = ring.get_password(SERVICE, name)
        except Exception as error:  # noqa: BLE001 (any backend failure: fall back to the file)
            log.warning("the keyring could not be read (%s); trying the secrets file", type(error).__name__)
        else:
            if found is not None:
                return found
    return _read_file(secrets_file()).get(name)


def environment_secret(name: str) -> str | None:
    """The secret `name` from its environment variable (`ENV_OVERRIDES`), or None when it is not set."""
    variable = ENV_OVERRIDES.get(name)
    return (os.environ.get(variable) or None) if variable else None


def set_secret(name: str, value: str) -> None:
    """Keep `value` under `name`: in the keyring when one works, else in the secrets file (atomically)."""
    if not isinstance(value, str) or not value:
        raise SecretsError(f"nothing to keep for {name}: the value is empty")
    ring = _keyring()
    if ring is not None:
        try:
            ring.set_password(SERVICE, name, value)
        except Exception as error:  # noqa: BLE001 (a locked or broken keyring: the file still works)
            log.warning("the keyring refused %s (%s); keeping it in the secrets file", name, type(error).__name__)
        else:
            _forget_in_file(name)  # an older copy in the file must not outlive this one
            log.info("kept %s in the keyring", name)
            return
    path = secrets_file()
    with _file_lock(path):
        stored = _read_file(path)
        stored[name] = value
        _write_file(path, stored)
    log.info("kept %s in %s", name, path)


def delete_secret(name: str) -> None:
    """Forget the secret `name` wherever amplify keeps it (an environment variable is the user's to unset)."""
    ring = _keyring()
    if ring is not None:
        with suppress(Exception):  # not there, or the keyring is broken: nothing to forget there
            ring.delete_password(SERVICE, name)
    _forget_in_file(name)
    log.info("forgot %s", name)


def secrets_file() -> Path:
    """Where the file backend keeps secrets: AMPLIFY_SECRETS_FILE, else `secrets.json` in the config folder."""
    explicit = os.environ.get(FILE_ENV)
    if explicit:
        return Path(explicit)
    import platformdirs

    return platformdirs.user_config_path(SERVICE, appauthor=False) / "secrets.json"


def where() -> str:
    """Where new secrets go, in plain words (for `amplify account list` and the Settings page)."""
    ring = _keyring()
    if ring is not None:
        return f"your system keyring ({getattr(ring, 'name', type(ring).__name__)})"
    return f"{secrets_file()} (readable only by you)"


# -- the keyring ---------------------------------------------------------------------------------------------------


def _keyring() -> Any:
    """The keyring backend when one works here and no secrets file was asked for; else None. Its import costs
    tens of milliseconds, so it happens on the first use of a secret, not at start."""
    if os.environ.get(FILE_ENV):
        return None
    try:
        import keyring
        from keyring.backends import fail
    except ImportError:
        return None
    ring = keyring.get_keyring()
    # The fail backend (and a chain of no backends) has priority 0: no keyring works here.
    if isinstance(ring, fail.Keyring) or getattr(ring, "priority", 0) <= 0:
        return None
    return ring


# -- the file --------------------------------------------------------------------------------------------------


def _read_file(path: Path) -> dict[str, str]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as error:
        raise SecretsError(f"{path}: cannot read the secrets file ({error.strerror or error})") from None
    try:
        stored = json.loads(text)
    except ValueError:
        raise SecretsError(f"{path}: the secrets file is damaged; remove it and connect your accounts "
                           "again") from None
    if not isinstance(stored, dict):
        raise SecretsError(f"{path}: the secrets file is damaged; remove it and connect your accounts again")
    return {str(key): value for key, value in stored.items() if isinstance(value, str)}


def _write_file(path: Path, stored: dict[str, str]) -> None:
    """Replace the file with `stored`: a temporary file of mode 0600 in the same folder, flushed to disk, renamed
    over the old one, then the folder flushed so the rename itself survives a power cut."""
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as error:
        raise SecretsError(f"{path}: cannot write the secrets file ({error.strerror or error})") from None
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:  # mkstemp made it 0600
            json.dump(stored, handle, indent=1, sort_keys=True)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException as error:
        Path(temporary).unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise SecretsError(f"{path}: cannot write the secrets file ({error.strerror or error})") from None
        raise
    os.chmod(path, 0o600)
    _sync_folder(path.parent)


def _forget_in_file(name: str) -> None:
    path = secrets_file()
    if not path.exists():
        return
    with _file_lock(path):
        stored = _read_file(path)
        if stored.pop(name, None) is not None:
            _write_file(path, stored)


def _sync_folder(folder: Path) -> None:
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return  # a system that cannot open folders (Windows) makes the rename durable itself
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


@contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """One writer at a time: a lock within this process, and an advisory lock on a file beside the secrets across
    processes (the app and a cron job both renewing a Bluesky session), where the system has them."""
    with _lock:
        try:
            import fcntl
        except ImportError:  # Windows: the in-process lock only
            yield
            return
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        descriptor = os.open(path.with_name(f".{path.name}.lock"), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            yield
        finally:
            os.close(descriptor)
