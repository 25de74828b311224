"""Forgetting a source keeps the audit consistent: the same totals before and after, and that source's shares
counted under "not stated" from then on. The share log itself is untouched."""

from audit_fixtures import add_share
from click.testing import CliRunner
from support import FIXED_NOW, source_by_name

from amplify.audit import NOT_STATED, last_days, run_audit
from amplify.cli import cli
from amplify.follow.load import load_follow_list, parse_follow_list
from amplify.follow.sync import forget_source
from amplify.store import Store

FOLLOW_LIST = """\
# whom I follow
sources:
  - name: Ada Bakes   # met at the market
    feed: https://ada.example/feed.xml
    handles: {mastodon: "@ada@bakers.social"}
    identity:
      labels: [Black-owned, woman-owned]
      source: https://ada.example/about
  - name: Bea Builds
    feed: https://bea.example/feed.xml
    identity:
      labels: [woman-owned]
      source: https://bea.example/about
"""


def prepared(tmp_path, store: Store):
    feeds = tmp_path / "feeds.yml"
    feeds.write_text(FOLLOW_LIST, encoding="utf-8")
    store.sync_sources(parse_follow_list(FOLLOW_LIST))
    ada, bea = source_by_name(store, "Ada Bakes").id, source_by_name(store, "Bea Builds").id
    for day in (2, 5, 9):
        add_share(store, ada, f"2026-11-{day:02d}T10:00:00+00:00")
    add_share(store, bea, "2026-11-12T10:00:00+00:00")
    return feeds


def groups(result):
    return {row.group: (row.shares, row.followed_sources) for row in result.by_label}


def test_forgetting_keeps_totals_and_moves_shares_to_not_stated(tmp_path, store):
    feeds = prepared(tmp_path, store)
    window = last_days(30, FIXED_NOW)
    before = run_audit(store, window, FIXED_NOW)
    shares_before = store.rows("SELECT * FROM shares ORDER BY id")
    assert groups(before) == {"woman-owned": (4, 2), "Black-owned": (3, 1)}

    new_name = forget_source(feeds, store, "Ada Bakes")

    after = run_audit(store, window, FIXED_NOW)
    assert (after.total_shares, after.sources_shared, after.followed_sources) == (4, 2, 2)
    assert (after.coverage, after.effective_voices, after.top5_share) == (
        before.coverage, before.effective_voices, before.top5_share
    )
    assert groups(after) == {NOT_STATED: (3, 1), "woman-owned": (1, 1)}
    assert [row.name for row in after.by_source] == [new_name, "Bea Builds"]
    assert after.by_source[0].labels == () and after.by_source[0].statement_url is None
    assert store.rows("SELECT * FROM shares ORDER BY id") == shares_before  # the log is untouched
    text = feeds.read_text(encoding="utf-8")
    assert "Ada Bakes" not in text and "Black-owned" not in text and "# whom I follow" in text


def test_cli_forget_asks_first_and_refuses_unknown_names(tmp_path, store):
    feeds = prepared(tmp_path, store)
    args = ["forget", "Ada Bakes", "--db", store.path, "--feeds", str(feeds)]
    declined = CliRunner().invoke(cli, args, input="n\n")
    assert declined.exit_code == 1 and "Aborted" in declined.output
    assert load_follow_list(feeds).source("Ada Bakes") is not None

    agreed = CliRunner().invoke(cli, args, input="y\n")
    assert agreed.exit_code == 0, agreed.output
    assert "'Ada Bakes' is now 'forgotten source 1'" in agreed.output
    assert groups(run_audit(store, last_days(30, FIXED_NOW), FIXED_NOW))[NOT_STATED] == (3, 1)

    unknown = CliRunner().invoke(
        cli, ["forget", "Nobody", "--yes", "--db", store.path, "--feeds", str(feeds)]
    )
    assert unknown.exit_code == 1 and "no source named 'Nobody'" in unknown.output


def test_forgetting_a_source_only_in_the_database_needs_no_follow_list(tmp_path, store):
    feeds = prepared(tmp_path, store)
    feeds.unlink()

    result = CliRunner().invoke(
        cli, ["forget", "Ada Bakes", "--yes", "--db", store.path, "--feeds", str(feeds)]
    )

    assert result.exit_code == 0, result.output
    assert source_by_name(store, "forgotten source 1") is not None and source_by_name(store, "Ada Bakes") is None
    assert not feeds.exists()  # no follow list is made up just to forget someone
    unknown = CliRunner().invoke(cli, ["forget", "Nobody", "--yes", "--db", store.path, "--feeds", str(feeds)])
    assert unknown.exit_code == 1 and "no source named 'Nobody'" in unknown.output
