"""Shared fixtures: a real loopback HTTP server, a fresh database file, a fixed clock."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from loopback import LoopbackServer  # noqa: E402
from support import FIXED_NOW  # noqa: E402

from amplify.store import Store  # noqa: E402


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
