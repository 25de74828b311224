"""Constants and small helpers tests share (import as `from support import ...`; conftest.py files are not
importable by name, since tests/ and tests/browser/ each have one)."""

from datetime import UTC, datetime

FIXED_NOW = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
