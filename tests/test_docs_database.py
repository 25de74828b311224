"""docs/database.md documents the whole schema: every table, column, index and trigger in a fresh database, and
every kind of event the code logs."""

import re
import shlex
from pathlib import Path

import pytest
from audit_fixtures import add_source
from click.testing import CliRunner
from sqlite_utils.cli import cli as sqlite_utils

from amplify.store import Store

ROOT = Path(__file__).resolve().parents[1]
DOC = (ROOT / "docs" / "database.md").read_text(encoding="utf-8")


def _mentions(text: str, name: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text) is not None


def _section(table: str) -> str:
    """The part of the doc under the heading that names `table`, up to the next heading."""
    parts = re.split(r"^#{2,3} ", DOC, flags=re.MULTILINE)
    found = [part for part in parts if re.search(rf"(?<!\w){table}(?!\w)", part.splitlines()[0])]
    assert found, f"docs/database.md has no heading for the table {table}"
    return "\n".join(found)


def test_every_table_and_its_columns_are_documented_under_its_heading(store):
    tables = store.rows("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'items_fts%'"
                        " AND name NOT LIKE 'sqlite_%'")
    missing = [
        f"{table['name']}.{column['name']}"
        for table in tables
        for column in store.rows(f"PRAGMA table_info({table['name']})")
        if not _mentions(_section(table["name"]), column["name"])
    ]
    assert missing == []


def test_every_index_trigger_and_the_search_table_is_documented(store):
    names = store.rows("SELECT name FROM sqlite_master WHERE type IN ('index', 'trigger')"
                       " AND name NOT LIKE 'sqlite_%'")
    missing = [row["name"] for row in names if not _mentions(DOC, row["name"])]
    assert missing == [] and _mentions(DOC, "items_fts")


def _logged_kinds() -> set[str]:
    kinds = set()
    for path in (ROOT / "amplify").rglob("*.py"):
        kinds |= set(re.findall(r"log_event\(\s*\"([a-z_]+)\"", path.read_text(encoding="utf-8")))
    return kinds


@pytest.mark.parametrize("kind", sorted(_logged_kinds()))
def test_every_event_kind_logged_is_documented(kind):
    assert re.search(rf"^\| `{kind}` \|", DOC, re.MULTILINE), f"docs/database.md: events table lacks {kind}"


def test_the_event_kinds_are_found_at_all():
    assert {"share_recorded", "share_refused", "refresh", "source_forgotten"} <= _logged_kinds()


def test_the_sqlite_utils_commands_shown_work_on_an_amplify_database(tmp_path):
    path = tmp_path / "amplify.db"
    with Store(path) as store:
        add_source(store, "Ada Bakes")
    commands = [shlex.split(line.split("#")[0])[1:] for line in DOC.splitlines()
                if line.startswith("    sqlite-utils ")]
    assert len(commands) >= 3
    for command in commands:
        result = CliRunner().invoke(sqlite_utils, [str(path) if part == "amplify.db" else part for part in command])
        assert result.exit_code == 0, (command, result.output)
    tables = CliRunner().invoke(sqlite_utils, ["tables", str(path), "--counts"]).output
    assert '{"table": "sources", "count": 1}' in tables
