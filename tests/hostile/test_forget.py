"""Forgetting forgets: whatever way the name is spelled that feeds.yml accepts as the same, the name, handles,
labels and notes leave the file and the database, the `source_forgotten` event is written, and with
--redact-shares every display and export shows the words of the source's shares as redacted."""

import json
import sqlite3
import unicodedata
from datetime import timedelta

import pytest
from audit_fixtures import PASSING_CHECKS, add_item
from click.testing import CliRunner
from pages import open_page, use_files
from support import source_by_name

from amplify.cli import cli
from amplify.clock import to_iso, utcnow
from amplify.export import export_shares
from amplify.follow.load import load_follow_list, parse_follow_list
from amplify.store import Store

HANDLE = "@ada@bakers.social"


def follow_list(name: str) -> str:
    return f"""\
# whom I follow
sources:
  - name: {name}   # met at the market
    feed: https://ada.example/feed.xml
    handles: {{mastodon: "{HANDLE}"}}
    notes: lives near the market
    identity:
      labels: [Black-owned, woman-owned]
      source: https://ada.example/about
  - name: Bea Builds
    feed: https://bea.example/feed.xml
"""


def prepared(tmp_path, name: str):
    """feeds.yml and a database synced from it, with a failing feed of the source in the last refresh's report."""
    feeds = tmp_path / "feeds.yml"
    feeds.write_text(follow_list(name), encoding="utf-8")
    db = tmp_path / "amplify.db"
    with Store(db) as store:
        store.sync_sources(load_follow_list(feeds))
        store.record_refresh({"feeds": 2, "failed": 1, "errors": [
            {"source": load_follow_list(feeds).sources[0].name, "feed": "https://ada.example/feed.xml",
             "error": "HTTP 500"}]})
    return feeds, db


def forget(feeds, db, spelling: str, *extra: str):
    result = CliRunner().invoke(cli, ["forget", spelling, "--yes", "--db", str(db), "--feeds", str(feeds), *extra])
    assert result.exit_code == 0, result.output
    return result


def whole_database(db) -> str:
    conn = sqlite3.connect(db)
    try:
        return "\n".join(conn.iterdump())
    finally:
        conn.close()


def assert_forgotten(feeds, db, name: str) -> None:
    text = feeds.read_text(encoding="utf-8")
    for gone in (name, HANDLE, "Black-owned", "lives near the market", "https://ada.example/about"):
        assert gone not in text
        assert unicodedata.normalize("NFC", gone).casefold() not in unicodedata.normalize(
            "NFC", whole_database(db)).casefold(), gone
    assert "forgotten source 1" in text and "# met at the market" in text  # the user's comment stays
    with Store(db) as store:
        row = source_by_name(store, "forgotten source 1")
        assert row is not None and row.forgotten is True
        assert (row.handles, row.identity_labels, row.identity_source, row.notes) == ({}, (), None, None)
        assert store.scalar("SELECT count(*) FROM events WHERE kind = 'source_forgotten' AND source_id = ?",
                            (row.id,)) == 1
        assert store.last_refresh().errors[0].source == "forgotten source 1"
        assert source_by_name(store, "Bea Builds").forgotten is False


# Every spelling the file takes as the same source's name: case, spacing, how an accent is typed, casefolding.
SPELLINGS = [
    ("Ada Bakes", "Ada Bakes"),
    ("Ada Bakes", "ada bakes"),
    ("Ada Bakes", "ADA BAKES"),
    ("Ada Bakes", "  aDa   bAKES "),
    ("Adé Bakes", "ADÉ BAKES"),
    ("Adé Bakes", unicodedata.normalize("NFD", "adé bakes")),
    (unicodedata.normalize("NFD", "Adé Bakes"), "adé bakes"),
    ("Straße Bakes", "STRASSE BAKES"),
]


@pytest.mark.parametrize(("name", "spelling"), SPELLINGS)
def test_forget_erases_the_source_whatever_spelling_the_file_accepts(tmp_path, name, spelling):
    feeds, db = prepared(tmp_path, name)
    assert load_follow_list(feeds).source(spelling) is not None  # the file takes it as the same name
    forget(feeds, db, spelling)
    assert_forgotten(feeds, db, name)


def test_a_name_that_is_a_number_is_forgotten_too(tmp_path):
    feeds, db = prepared(tmp_path, "1999")  # YAML reads it as a number; the file takes it as a name
    forget(feeds, db, " 1999 ")
    with Store(db) as store:
        assert source_by_name(store, "forgotten source 1").handles == {}
        assert source_by_name(store, "1999") is None


def test_forget_finds_a_source_only_the_database_remembers_whatever_its_spelling(tmp_path):
    feeds, db = prepared(tmp_path, "Ada Bakes")
    feeds.write_text("sources:\n  - name: Bea Builds\n    feed: https://bea.example/feed.xml\n", encoding="utf-8")
    with Store(db) as store:
        store.sync_sources(load_follow_list(feeds))  # Ada is unfollowed, her row stays
    forget(feeds, db, "ada BAKES")
    assert HANDLE not in whole_database(db) and "Ada Bakes" not in whole_database(db)


def test_a_name_respelled_in_the_file_keeps_one_row(tmp_path):
    feeds, db = prepared(tmp_path, "Ada Bakes")
    with Store(db) as store:
        first = source_by_name(store, "Ada Bakes").id
        text = follow_list("ADA  BAKES").replace("https://ada.example/feed.xml", "https://ada.example/new.xml")
        store.sync_sources(parse_follow_list(text))  # a new feed too: only the name can tell it is her
        assert source_by_name(store, "ada bakes").id == first
        assert store.scalar("SELECT count(*) FROM sources") == 2


# -- a handle inside the words of a recorded share


def share_naming_her(db) -> int:
    """A share whose words and credit check name her handle, recorded yesterday."""
    moment = to_iso(utcnow() - timedelta(days=1))
    with Store(db) as store:
        source_id = source_by_name(store, "Ada Bakes").id
        item_id = add_item(store, source_id, moment, title="Sourdough week")
        credit = {"id": "credit", "label": "Credits the creator", "severity": "blocking", "passed": True,
                  "detail": f"mentions {HANDLE}"}
        checks = [*({**check, "detail": "fine"} for check in PASSING_CHECKS), credit]
        with store.transaction():
            draft = store.execute("INSERT INTO drafts (item_id, state, created_at, updated_at)"
                                  " VALUES (?, 'shared', ?, ?)", (item_id, moment, moment)).lastrowid
            return store._append_share(
                draft_id=draft, item_id=item_id, source_id=source_id, network="mastodon",
                text=f"Sourdough week by {HANDLE}, read it", post_url=None, shared_at=moment,
                checklist=json.dumps({"checks": checks, "attestations": []}))


def test_without_redaction_the_words_of_a_share_stay_and_the_command_says_so(tmp_path):
    feeds, db = prepared(tmp_path, "Ada Bakes")
    share_naming_her(db)
    result = forget(feeds, db, "ada bakes")
    assert "--redact-shares" in result.output
    with Store(db) as store:
        assert HANDLE in export_shares(store, "csv")  # the log is append-only: as documented


def test_redact_shares_hides_their_words_in_exports_and_history(tmp_path, monkeypatch):
    feeds, db = prepared(tmp_path, "Ada Bakes")
    share_id = share_naming_her(db)
    forget(feeds, db, "ADA BAKES", "--redact-shares")
    with Store(db) as store:
        for fmt in ("csv", "json"):
            exported = export_shares(store, fmt)
            assert HANDLE not in exported and "redacted" in exported
        assert json.loads(export_shares(store, "json"))[0]["redacted"] == 1
        shown = store.shares()[0]
        assert HANDLE not in shown.text and HANDLE not in shown.checklist
        assert store.verify_share_log() is None  # the row itself is untouched
        assert store.scalar("SELECT text FROM shares WHERE id = ?", (share_id,)).endswith("read it")
    use_files(monkeypatch, db, feeds)
    page = open_page("history")
    drawn = " ".join([*(text.value for text in page.text), *(md.value for md in page.markdown)])
    assert "Sourdough week" in drawn and "redacted" in drawn
    assert HANDLE not in drawn and "ada@bakers" not in drawn


def test_redact_shares_hides_a_retraction_reason_that_names_them_too(tmp_path, monkeypatch):
    feeds, db = prepared(tmp_path, "Ada Bakes")
    share_id = share_naming_her(db)
    with Store(db) as store:
        store.retract_share(share_id, f"{HANDLE} asked me to take it down")
    forget(feeds, db, "Ada Bakes", "--redact-shares")
    with Store(db) as store:
        shown = store.shares()[0]
        assert shown.retracted_at and HANDLE not in shown.retraction_reason
    use_files(monkeypatch, db, feeds)
    page = open_page("history")
    drawn = " ".join([*(text.value for text in page.text), *(md.value for md in page.markdown),
                      *(warning.value for warning in page.warning)])
    assert "Retracted" in drawn and "ada@bakers" not in drawn
