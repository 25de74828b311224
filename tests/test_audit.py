"""The audit's metrics on small hand-computed cases: empty, one source, several, retractions and windows."""

import math
from datetime import UTC, date, datetime

import pytest
from audit_fixtures import add_item, add_share, add_source, refuse, retract
from support import FIXED_NOW

from amplify import audit
from amplify.audit import NOT_STATED, AuditError, Window, calendar_month, last_days, parse_window, run_audit
from amplify.checklist import ShareRefused, mark_shared

LAST_30 = last_days(30, FIXED_NOW)  # 2026-10-21T09:30 .. 2026-11-20T09:30


def by_group(rows):
    return {row.group: row for row in rows}


def test_an_empty_database_has_no_shares_and_no_undefined_numbers_pretending_to_be_zero(store):
    result = run_audit(store, LAST_30, FIXED_NOW)
    assert result.total_shares == 0
    assert result.shares_per_week == 0
    assert result.coverage is None  # nobody followed: coverage means nothing yet
    assert result.top5_share is None
    assert result.effective_voices == 0
    assert result.evenness is None
    assert result.by_source == [] and result.by_kind == [] and result.by_label == []
    assert result.weekly_by_kind == [] and result.neglected == [] and result.checklist == []


def test_following_without_sharing_is_zero_coverage_and_everyone_who_posted_is_neglected(store):
    quiet = add_source(store, "Quiet Press")
    busy = add_source(store, "Busy Bakery", kind="business")
    add_item(store, busy, "2026-11-01T10:00:00+00:00")
    add_item(store, busy, "2026-11-02T10:00:00+00:00")
    add_item(store, quiet, "2026-09-01T10:00:00+00:00")  # before the window
    result = run_audit(store, LAST_30, FIXED_NOW)
    assert result.coverage == 0.0
    assert [(row.name, row.items_in_window, row.latest_item_at) for row in result.neglected] == [
        ("Busy Bakery", 2, "2026-11-02T10:00:00+00:00")
    ]
    by_kind = by_group(result.by_kind)
    assert by_kind["business"].followed_share == 0.5
    assert by_kind["business"].amplification_share is None
    assert by_kind["business"].representation_ratio is None


def test_a_single_source_is_one_voice_with_evenness_undefined(store):
    only = add_source(store, "Only Voice")
    add_source(store, "Never Shared")
    for day in (3, 4, 5):
        add_share(store, only, f"2026-11-{day:02d}T12:00:00+00:00")
    result = run_audit(store, LAST_30, FIXED_NOW)
    assert result.total_shares == 3
    assert result.effective_voices == 1.0
    assert result.evenness is None
    assert result.top5_share == 1.0
    assert result.coverage == 0.5
    assert result.shares_per_week == pytest.approx(3 / (30 / 7))
    assert [(row.name, row.shares, row.fraction, row.days_since_last_share) for row in result.by_source] == [
        ("Only Voice", 3, 1.0, 15)
    ]


@pytest.fixture
def four_sources(store):
    """A: creator, Black-owned (stated at a URL), food: 4 shares. B: business, says woman-owned but no URL: 2.
    C: creator, food + art, no labels: 2 (+1 retracted, +1 before the window). D: business, followed, posted,
    never shared. E: unfollowed creator, never shared."""
    a = add_source(store, "Ada Bakes", tags=["food"], labels=["Black-owned"], statement="https://ada.example/about")
    b = add_source(store, "Bea Builds", kind="business", labels=["woman-owned"])
    c = add_source(store, "Cy Paints", tags=["art", "food"])
    d = add_source(store, "Dee Shop", kind="business")
    add_source(store, "Eve Old", followed=False)
    for day in (1, 2, 9, 18):
        add_share(store, a, f"2026-11-{day:02d}T08:00:00+00:00")
    for day in (3, 10):
        add_share(store, b, f"2026-11-{day:02d}T08:00:00+00:00", network="bluesky")
    add_share(store, c, "2026-10-26T08:00:00+00:00")
    add_share(store, c, "2026-11-16T08:00:00+00:00")
    retract(store, add_share(store, c, "2026-11-19T08:00:00+00:00"))
    add_share(store, c, "2026-09-01T08:00:00+00:00")  # outside the window, still "last shared" history
    add_item(store, d, "2026-11-05T08:00:00+00:00")
    return {"a": a, "b": b, "c": c, "d": d}


def test_several_sources_hand_computed(store, four_sources):
    result = run_audit(store, LAST_30, FIXED_NOW)
    assert result.total_shares == 8  # the retracted share and the September one do not count
    assert result.followed_sources == 4 and result.sources_shared == 3
    assert result.coverage == 0.75
    assert result.top5_share == 1.0
    # p = (1/2, 1/4, 1/4): H = 1.5 ln 2, exp(H) = 2 ** 1.5, evenness = 1.5 ln 2 / ln 3
    assert result.effective_voices == pytest.approx(2**1.5)
    assert result.evenness == pytest.approx(1.5 * math.log(2) / math.log(3))
    assert [(row.name, row.shares, row.fraction) for row in result.by_source] == [
        ("Ada Bakes", 4, 0.5), ("Bea Builds", 2, 0.25), ("Cy Paints", 2, 0.25)
    ]


def test_representation_ratio_by_kind_tag_and_label(store, four_sources):
    result = run_audit(store, LAST_30, FIXED_NOW)
    kinds = by_group(result.by_kind)
    assert (kinds["creator"].shares, kinds["creator"].followed_sources) == (6, 2)
    assert kinds["creator"].representation_ratio == pytest.approx(0.75 / 0.5)
    assert kinds["business"].representation_ratio == pytest.approx(0.25 / 0.5)
    tags = by_group(result.by_tag)
    assert tags["food"].representation_ratio == pytest.approx(0.75 / 0.5)
    assert tags["art"].representation_ratio == pytest.approx(0.25 / 0.25)
    assert tags[audit.NO_TAGS].representation_ratio == pytest.approx(0.25 / 0.5)
    labels = by_group(result.by_label)
    # Bea's "woman-owned" has no statement URL, so it is not shown or counted: she is "not stated".
    assert set(labels) == {"Black-owned", NOT_STATED}
    assert labels["Black-owned"].representation_ratio == pytest.approx(0.5 / 0.25)
    assert (labels[NOT_STATED].shares, labels[NOT_STATED].followed_sources) == (4, 3)
    assert labels[NOT_STATED].representation_ratio == pytest.approx(0.5 / 0.75)


def test_labels_are_shown_only_with_the_statement_url(store, four_sources):
    rows = {row.name: row for row in run_audit(store, LAST_30, FIXED_NOW).by_source}
    assert (rows["Ada Bakes"].labels, rows["Ada Bakes"].statement_url) == (("Black-owned",), "https://ada.example/about")
    assert (rows["Bea Builds"].labels, rows["Bea Builds"].statement_url) == ((), None)


def test_days_since_last_share_and_neglected(store, four_sources):
    result = run_audit(store, LAST_30, FIXED_NOW)
    days = {row.name: row.days_since_last_share for row in result.last_shared}
    # Cy's retracted share on 11-19 does not count: the last counted one is 11-16.
    assert days == {"Ada Bakes": 2, "Bea Builds": 10, "Cy Paints": 4, "Dee Shop": None}
    assert [row.name for row in result.neglected] == ["Dee Shop"]


def test_shares_per_week_start_on_monday_and_quiet_weeks_are_listed(store, four_sources):
    result = run_audit(store, LAST_30, FIXED_NOW)
    weekly = [(row.week_start, row.group, row.shares) for row in result.weekly_by_kind]
    # Ada: Sun 11-01, Mon 11-02, 11-09, 11-18; Bea (business): 11-03, 11-10; Cy: Mon 10-26, 11-16.
    assert weekly == [
        (date(2026, 10, 19), "", 0),
        (date(2026, 10, 26), "creator", 2),
        (date(2026, 11, 2), "business", 1),
        (date(2026, 11, 2), "creator", 1),
        (date(2026, 11, 9), "business", 1),
        (date(2026, 11, 9), "creator", 1),
        (date(2026, 11, 16), "creator", 2),
    ]
    assert sum(row.shares for row in result.weekly_by_kind) == result.total_shares


def test_top_five_share_leaves_out_the_rest():
    counts = audit.Counter({1: 5, 2: 4, 3: 3, 4: 2, 5: 1, 6: 1})
    assert audit.top_share(counts) == 15 / 16
    assert audit.top_share(audit.Counter()) is None


def test_entropy_of_an_even_spread_is_ln_n():
    counts = audit.Counter({1: 2, 2: 2, 3: 2, 4: 2})
    assert audit.shannon_entropy(counts) == pytest.approx(math.log(4))
    assert audit.effective_voices(counts) == pytest.approx(4)
    assert audit.evenness(counts) == pytest.approx(1.0)


def test_checklist_health_counts_flags_at_share_time_and_refused_attempts(store):
    source = add_source(store, "Ada Bakes")
    flagged = [
        {"id": "link_resolves", "label": "The link opens", "severity": "blocking", "passed": True},
        {"id": "centering", "label": "The post is about them, not you", "severity": "advisory", "passed": False},
    ]
    add_share(store, source, "2026-11-10T08:00:00+00:00", checks=flagged)
    add_share(store, source, "2026-11-11T08:00:00+00:00")
    add_share(store, source, "2026-11-12T08:00:00+00:00")
    add_share(store, source, "2026-11-13T08:00:00+00:00", checks=flagged)
    refuse(store, ["link_resolves", "credits_creator"])
    refuse(store, ["link_resolves"])
    result = run_audit(store, LAST_30, FIXED_NOW)
    health = {row.check_id: row for row in result.checklist}
    assert (health["centering"].flagged_at_share, health["centering"].shares_checked) == (2, 4)
    assert health["centering"].flag_rate == 0.5
    assert health["link_resolves"].flag_rate == 0.0 and health["link_resolves"].refused_attempts == 2
    assert health["credits_creator"].shares_checked == 0 and health["credits_creator"].flag_rate is None
    assert health["credits_creator"].refused_attempts == 1
    assert result.refused_attempts == 2
    # 6 attempts (4 shares, 2 refusals), each running every check
    assert health["centering"].failure_rate == pytest.approx(2 / 6)
    assert health["link_resolves"].failure_rate == pytest.approx(2 / 6)
    assert health["credits_creator"].failure_rate == pytest.approx(1 / 6)


def test_an_attempt_the_gate_refused_is_counted_per_check_it_named(store):
    source = add_source(store, "Ada Bakes")
    draft = store.create_draft(add_item(store, source, "2026-11-19T08:00:00+00:00"), ("mastodon",))
    with pytest.raises(ShareRefused) as refused:
        mark_shared(store, draft, "mastodon")  # empty text, no probe, nothing attested
    stopped_by = {result.check.id for result in refused.value.failures}
    assert {"link_resolves", "credits_creator", "read_whole"} <= stopped_by

    result = run_audit(store, LAST_30, FIXED_NOW)

    assert result.refused_attempts == 1
    assert {row.check_id for row in result.checklist if row.refused_attempts == 1} == stopped_by
    health = {row.check_id: row for row in result.checklist}
    assert health["read_whole"].label == "I read the whole piece, not just the headline"  # never a bare id
    assert health["read_whole"].why.startswith("SIFT")


@pytest.mark.parametrize("detail", [
    {"checks": [{"id": "link_resolves", "passed": False}, {"id": "alt_text", "passed": True},
                {"id": "hashtags", "passed": False}],
     "missing_attestations": ["read_whole"]},
    {"failed": ["link_resolves", "hashtags"], "missing_attestations": ["read_whole"]},  # as the gate logs it
], ids=["like-a-snapshot", "as-the-gate-logs"])
def test_a_refusal_names_its_failed_checks_and_missing_attestations(detail):
    assert audit.refused_check_ids(detail) == ["link_resolves", "hashtags", "read_whole"]
    assert audit.refused_check_ids({**detail, "missing_attestations": "read_whole"}) == ["link_resolves", "hashtags"]


def test_snapshot_entries_that_are_not_checks_are_skipped():
    snapshot = {"checks": [{"id": "fresh", "passed": False}, {"id": "alt_text", "passed": True}, "junk", {}]}
    assert audit.check_outcomes(snapshot) == [("fresh", "fresh", True), ("alt_text", "alt_text", False)]
    assert audit.check_outcomes({"checks": "none"}) == []


def test_the_flags_table_matches_the_snapshots_it_was_filled_from(store):
    source = add_source(store, "Ada Bakes")
    checks = [{"id": "centering", "label": "The post is about them, not you", "passed": False},
              {"id": "freshness", "label": "It is recent", "passed": True}, "junk"]
    share = add_share(store, source, "2026-11-10T08:00:00+00:00", checks=checks)
    assert store.rows("SELECT * FROM share_flags") == [
        {"share_id": share, "check_id": "centering", "label": "The post is about them, not you"}
    ]


def test_a_month_window_and_all_time(store, four_sources):
    october = run_audit(store, calendar_month("2026-10"), FIXED_NOW)
    assert october.total_shares == 1 and october.weeks == pytest.approx(31 / 7)
    everything = run_audit(store, audit.all_time(FIXED_NOW), FIXED_NOW)
    assert everything.total_shares == 9  # the September share too, never the retracted one
    # All time starts at the first share: 2026-09-01T08:00 to 2026-11-20T09:30.
    assert everything.weeks == pytest.approx((80 * 86400 + 5400) / (7 * 86400))
    assert everything.weekly_by_kind[0].week_start == date(2026, 8, 31)


def test_a_past_month_is_audited_as_of_its_end(store, four_sources):
    september = run_audit(store, calendar_month("2026-09"), FIXED_NOW)
    assert september.as_of == datetime(2026, 10, 1, tzinfo=UTC)
    assert [(row.name, row.days_since_last_share) for row in september.by_source] == [("Cy Paints", 30)]


@pytest.mark.parametrize(
    ("choice", "label", "start"),
    [
        ("7", "last 7 days", datetime(2026, 11, 13, 9, 30, tzinfo=UTC)),
        ("90", "last 90 days", datetime(2026, 8, 22, 9, 30, tzinfo=UTC)),
        ("all", "all time", None),
        ("2026-12", "December 2026", datetime(2026, 12, 1, tzinfo=UTC)),
    ],
)
def test_parse_window(choice, label, start):
    window = parse_window(choice, FIXED_NOW)
    assert (window.label, window.start) == (label, start)


def test_december_ends_on_the_first_of_january():
    assert calendar_month("2026-12").end == datetime(2027, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize("choice", ["2026-13", "14", "last week", "2026-1"])
def test_a_bad_window_says_how_to_write_one(choice):
    with pytest.raises(AuditError, match="YYYY-MM"):
        parse_window(choice, FIXED_NOW)


def test_window_iso_bounds():
    window = Window("x", datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC))
    assert (window.start_iso, window.end_iso) == ("2026-01-01T00:00:00+00:00", "2026-02-01T00:00:00+00:00")
