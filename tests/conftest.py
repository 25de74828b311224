"""Shared fixtures: a real loopback HTTP server, a fresh database file, a fixed clock, and (for the tests that ask for
it) a real Bluesky network on this machine (tests/networks/harness.py)."""

import shutil
import sys
import tempfile
import uuid
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from loopback import LoopbackServer  # noqa: E402
from support import FIXED_NOW  # noqa: E402

from amplify.store import Store  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def private_addresses_allowed():
    """The test servers are on 127.0.0.1, which amplify refuses by default: every test allows it (and so does the
    app a browser test starts, which inherits the environment), except tests/hostile/, which checks the refusal."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AMPLIFY_ALLOW_PRIVATE", "1")
        yield


@pytest.fixture(scope="session", autouse=True)
def secrets_folder(tmp_path_factory):
    """A folder for the tests' secrets files; until a test sets its own, the session's file is in it (so an app a
    session fixture starts never uses the keyring or the user's config folder either)."""
    from amplify import secrets

    folder = tmp_path_factory.mktemp("secrets")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(secrets.FILE_ENV, str(folder / "session.json"))
        yield folder


@pytest.fixture(autouse=True)
def secrets_kept_apart(secrets_folder, monkeypatch):
    """Every test keeps secrets in a file of its own (never the keyring or the user's config folder) and starts
    with no AMPLIFY_MASTODON_TOKEN / AMPLIFY_BLUESKY_APP_PASSWORD of the environment."""
    from amplify import secrets

    monkeypatch.setenv(secrets.FILE_ENV, str(secrets_folder / f"{uuid.uuid4().hex}.json"))
    for variable in secrets.ENV_OVERRIDES.values():
        monkeypatch.delenv(variable, raising=False)


@pytest.fixture
def server():
    running = LoopbackServer().start()
    yield running
    running.stop()


@pytest.fixture
def store(tmp_path):
    opened = Store(tmp_path / "amplify.db", clock=lambda: FIXED_NOW)
    yield opened
    opened.close()


@pytest.fixture(scope="session")
def bluesky():
    """Bluesky's PLC, PDS and AppView from @atproto/dev-env, started once a session when a test asks for it."""
    from networks.harness import NetworkUnavailable, missing, start_network, unavailable

    reason = missing()
    if reason:
        unavailable(reason)
    # Not under pytest's own temporary folder: PostgreSQL runs as its own user, who must be able to reach it.
    folder = Path(tempfile.mkdtemp(prefix="amplify-bluesky-"))
    folder.chmod(0o755)
    try:
        network, running = start_network(folder / "run")
    except NetworkUnavailable as error:
        shutil.rmtree(folder, ignore_errors=True)
        unavailable(str(error))
    yield network
    running.stop()
    shutil.rmtree(folder, ignore_errors=True)
