"""Shared fixtures: a real loopback HTTP server, a fresh database file, a fixed clock."""

import sys
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
