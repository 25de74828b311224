"""The monthly report against golden files (fixed database and clock), HTML escaping, exports and the CLI.

Regenerate the golden files after an intended change with
`AMPLIFY_UPDATE_GOLDEN=1 pytest tests/test_report.py`, then read the diff before committing it.
"""

import csv
import io
import json
import os
from datetime import date
from pathlib import Path

import pytest
from audit_fixtures import add_item, add_share, add_source, refuse, retract
from click.testing import CliRunner
from support import FIXED_NOW

from amplify.audit import Goals, GroupShares, GroupTarget, WeekShares
from amplify.cli import cli
from amplify.export import export_shares
from amplify.report import ReportError, monthly_report, representation_summary, weekly_summary
from amplify.report_render import escape_markdown, render, weekly_svg
from amplify.types import ReachCounts

GOLDEN = Path(__file__).parent / "golden"
HOSTILE = "<script>alert(1)</script> *Zine* | [x](javascript:alert(1)) & co"
GOALS = Goals(shares_per_week=2, min_coverage=0.5, group_targets=(GroupTarget("Black-owned", 0.5),))


@pytest.fixture
def month_of_shares(store):
    """November 2026 up to the fixed clock (the 20th), with a retraction, a refusal and a hostile name."""
    ada = add_source(
        store, "Ada Bakes", tags=["food"], labels=["Black-owned"], statement="https://ada.example/about"
    )
    bea = add_source(store, "Bea Builds", kind="business", tags=["tools"])
    zine = add_source(store, HOSTILE, kind="organization")
    quiet = add_source(store, "Quiet Press")
    flagged = [
        {"id": "link_resolves", "label": "The link opens", "severity": "blocking", "passed": True},
        {"id": "centering", "label": "The post is about them, not you", "severity": "advisory", "passed": False},
    ]
    read = [add_share(store, ada, f"2026-11-{day:02d}T09:00:00+00:00", post_url=f"https://m.example/@me/{day}")
            for day in (2, 4, 11)]
    typed = add_share(store, bea, "2026-11-05T17:30:00+00:00", network="bluesky", checks=flagged)
    store.add_reach([ReachCounts(read[0], reposts=2, likes=5, replies=1, quotes=0)])
    store.add_typed_reach(typed, likes=3)
    add_share(store, zine, "2026-11-12T12:00:00+00:00")
    retract(store, add_share(store, bea, "2026-11-13T12:00:00+00:00"))
    add_share(store, ada, "2026-10-30T12:00:00+00:00")  # October: not in this report
    add_item(store, quiet, "2026-11-08T07:00:00+00:00", title="Quiet news")
    refuse(store, ["credits_creator"])
    return store


@pytest.mark.parametrize("fmt", ["md", "html"])
def test_the_monthly_report_matches_the_golden_file(month_of_shares, fmt):
    text = render(monthly_report(month_of_shares, "2026-11", FIXED_NOW, GOALS), fmt)
    golden = GOLDEN / f"report-2026-11.{fmt}"
    if os.environ.get("AMPLIFY_UPDATE_GOLDEN"):
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8")


def test_the_html_report_escapes_everything_from_feeds(month_of_shares):
    page = render(monthly_report(month_of_shares, "2026-11", FIXED_NOW), "html")
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "javascript:alert(1)) &amp; co" in page  # shown as text, never a link
    assert "<a " not in page
    chart = page[page.index("<svg"):page.index("</svg>")]
    assert chart.count("<rect") == 4  # 2026-11-02: business, creator; 2026-11-09: creator, organization
    assert "<script" not in chart


def test_markdown_escapes_syntax_in_names():
    assert escape_markdown(HOSTILE) == (
        r"\<script\>alert(1)\</script\> \*Zine\* \| \[x\](javascript:alert(1)) \& co"
    )
    assert escape_markdown("two\nlines") == "two lines"


def test_a_past_month_reads_the_same_whenever_it_is_written(month_of_shares):
    october = render(monthly_report(month_of_shares, "2026-10", FIXED_NOW), "md")
    later = render(monthly_report(month_of_shares, "2026-10", FIXED_NOW.replace(year=2027)), "md")
    assert october == later
    assert "as of 1 November 2026" in october and "Shares: 1 (" in october


def test_an_unknown_format_is_refused():
    with pytest.raises(ReportError, match="use md or html"):
        render(None, "pdf")


def test_export_csv_and_json_hold_every_share_with_retractions_marked(month_of_shares):
    rows = list(csv.DictReader(io.StringIO(export_shares(month_of_shares, "csv"))))
    assert len(rows) == 7
    assert [row["retracted"] for row in rows].count("1") == 1
    assert rows[0]["shared_at"] == "2026-10-30T12:00:00+00:00" and rows[0]["source"] == "Ada Bakes"
    records = json.loads(export_shares(month_of_shares, "json"))
    assert [record["share_id"] for record in records] == [int(row["share_id"]) for row in rows]
    assert records[1]["post_url"] == "https://m.example/@me/2"
    # Each share's latest reach numbers, read or typed; empty where there are none.
    assert (records[1]["likes"], records[1]["reposts"], records[1]["reach_source"]) == (5, 2, "api")
    by_id = {record["share_id"]: record for record in records}
    assert [record["likes"] for record in by_id.values() if record["reach_source"] == "typed"] == [3]
    assert rows[2]["likes"] == "" and rows[1]["likes"] == "5"
    # Identity labels never leave with the shares.
    assert not any("Black-owned" in json.dumps(record) for record in records)
    with pytest.raises(ReportError, match="use csv or json"):
        export_shares(month_of_shares, "xml")


def test_cli_report_writes_a_file_and_reads_goals_from_feeds_yml(month_of_shares, tmp_path):
    feeds = tmp_path / "feeds.yml"
    feeds.write_text("settings:\n  goals:\n    shares_per_week: 2\nsources: []\n", encoding="utf-8")
    out = tmp_path / "october.html"
    result = CliRunner().invoke(
        cli, ["report", "--month", "2026-10", "--format", "html", "--output", str(out),
              "--db", month_of_shares.path, "--feeds", str(feeds)],
    )
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "<h1>Amplification report: October 2026</h1>" in page
    assert "You hoped to share 2 posts a week; in October 2026 it was 0.2 a week." in page


def test_cli_report_refuses_a_bad_month_with_the_format_to_use(tmp_path):
    result = CliRunner().invoke(cli, ["report", "--month", "November", "--db", str(tmp_path / "a.db")])
    assert result.exit_code == 1
    assert "write it as YYYY-MM" in result.output


def test_cli_report_warns_about_bad_goals_and_still_reports(month_of_shares, tmp_path):
    feeds = tmp_path / "feeds.yml"
    feeds.write_text("settings:\n  goals:\n    min_coverage: 40\nsources: []\n", encoding="utf-8")
    result = CliRunner().invoke(
        cli, ["report", "--month", "2026-11", "--db", month_of_shares.path, "--feeds", str(feeds)]
    )
    assert result.exit_code == 0
    assert "min_coverage must be a number from 0 to 1" in result.output
    assert "# Amplification report: November 2026" in result.output


def test_cli_export_shares_prints_json(month_of_shares):
    result = CliRunner().invoke(cli, ["export", "shares", "--format", "json", "--db", month_of_shares.path])
    assert result.exit_code == 0
    assert len(json.loads(result.output)) == 7


def test_cli_report_says_when_the_output_cannot_be_written(month_of_shares, tmp_path):
    result = CliRunner().invoke(
        cli, ["report", "--month", "2026-11", "--db", month_of_shares.path,
              "--output", str(tmp_path / "no-such-folder" / "report.md")],
    )
    assert result.exit_code == 1
    assert "cannot write the file" in result.output


def test_the_weekly_chart_says_what_it_shows_in_words_and_names_its_axes():
    weekly = [WeekShares(date(2026, 11, 2), "creator", 2), WeekShares(date(2026, 11, 2), "business", 1),
              WeekShares(date(2026, 11, 9), "creator", 4), WeekShares(date(2026, 11, 16), "", 0)]
    summary = weekly_summary(weekly)
    assert summary == ("3 weeks, from the week of 2026-11-02 to the week of 2026-11-16. The busiest was the week "
                       "of 2026-11-09, with 4. All weeks together: creator 6, business 1.")
    svg = weekly_svg(weekly)
    assert 'aria-labelledby="weekly-title weekly-desc"' in svg
    assert f'<desc id="weekly-desc">{summary}</desc>' in svg
    assert ">Shares per week</text>" in svg  # a visible title
    assert ">Shares</text>" in svg and ">Week of (Monday)</text>" in svg  # both axes named
    assert ">4</text>" in svg and ">0</text>" in svg and ">9 Nov</text>" in svg  # and numbered
    assert weekly_summary([]) == "No shares to chart."


def test_the_comparison_chart_says_whom_you_share_more_and_less_than_you_follow():
    def group(name: str, ratio: float | None) -> GroupShares:
        return GroupShares(name, 1, None, 1, None, ratio)

    rows = [group("art", 0.5), group("food", 2.4), group("books", None), group("music", 1.001)]
    assert representation_summary(rows) == ("Shared more than followed: food (2.40). In step: music (1.00). "
                                             "Shared less than followed: art (0.50).")
    assert representation_summary([group("books", None)]) == "No group to compare yet."
