"""Goals from feeds.yml: reading them with clear errors, writing them back, and progress in plain words."""

import pytest
from audit_fixtures import add_share, add_source
from support import FIXED_NOW

from amplify.audit import (
    AuditError,
    Goals,
    GroupTarget,
    goal_progress,
    goals_from_settings,
    goals_to_settings,
    last_days,
    run_audit,
)


def test_goals_are_read_from_settings():
    goals = goals_from_settings(
        {"shares_per_week": 3, "min_coverage": 0.3, "group_targets": [{"label": "Black-owned", "share": 0.5}]}
    )
    assert goals == Goals(3.0, 0.3, (GroupTarget("Black-owned", 0.5),))
    assert goals_to_settings(goals) == {
        "shares_per_week": 3.0,
        "min_coverage": 0.3,
        "group_targets": [{"label": "Black-owned", "share": 0.5}],
    }


def test_no_goals_block_means_no_goals():
    assert goals_from_settings(None).empty
    assert goals_to_settings(Goals()) == {}


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"min_coverage": 30}, "min_coverage must be a number from 0 to 1"),
        ({"shares_per_week": "three"}, "shares_per_week must be a number"),
        ({"shares_per_week": -1}, "shares_per_week must be a number"),
        ({"group_targets": [{"share": 0.5}]}, "entry 1 needs a label"),
        ({"group_targets": [{"label": "woman-owned", "share": True}]}, "entry 1 share must be a number"),
        ({"weekly": 3}, "unknown goal 'weekly'"),
        (["shares_per_week"], "as a mapping"),
    ],
)
def test_a_bad_goal_says_what_to_write(raw, message):
    with pytest.raises(AuditError, match=message):
        goals_from_settings(raw)


def test_progress_is_told_in_plain_sentences(store):
    ada = add_source(store, "Ada Bakes", labels=["Black-owned"], statement="https://ada.example/about")
    bea = add_source(store, "Bea Builds")
    add_source(store, "Cy Paints")
    add_source(store, "Dee Shop")
    for day in (2, 9):
        add_share(store, ada, f"2026-11-{day:02d}T08:00:00+00:00")
    add_share(store, bea, "2026-11-12T08:00:00+00:00")
    add_share(store, bea, "2026-11-13T08:00:00+00:00")
    result = run_audit(store, last_days(7 * 4, FIXED_NOW), FIXED_NOW)  # 4 shares over 4 weeks
    goals = Goals(shares_per_week=2, min_coverage=0.5, group_targets=(GroupTarget("black-owned", 0.5),))
    progress = goal_progress(result, goals)
    assert [(row.goal, row.actual, row.reached) for row in progress] == [
        ("shares a week", 1.0, False),
        ("voices reached", 0.5, True),
        ("black-owned", 0.5, True),
    ]
    assert progress[0].sentence == "You hoped to share 2 posts a week; over the last 28 days it was 1 a week."
    assert progress[1].sentence == (
        "You hoped to share at least 50% of the voices you follow; "
        "over the last 28 days you shared 2 of 4 (50%)."
    )
    assert "(a goal, not a quota); over the last 28 days it was 50%." in progress[2].sentence


def test_a_label_nobody_shared_is_zero_and_with_no_shares_there_is_nothing_to_measure(store):
    add_source(store, "Ada Bakes")
    empty = run_audit(store, last_days(30, FIXED_NOW), FIXED_NOW)
    target = Goals(group_targets=(GroupTarget("woman-owned", 0.5),))
    assert goal_progress(empty, target)[0].actual is None
    assert goal_progress(empty, target)[0].sentence.endswith("no shares over the last 30 days yet.")
    add_share(store, 1, "2026-11-12T08:00:00+00:00")
    one = run_audit(store, last_days(30, FIXED_NOW), FIXED_NOW)
    assert (goal_progress(one, target)[0].actual, goal_progress(one, target)[0].reached) == (0.0, False)
