"""Reach's schedule (the pure planner), post links, and the append-only reach table."""

import sqlite3
from datetime import timedelta

import pytest
from audit_fixtures import add_share, add_source, retract
from support import FIXED_NOW

from amplify.clock import to_iso
from amplify.reach import MILESTONES, BlueskyPost, MastodonPost, due_milestone, plan, post_address
from amplify.store import Store
from amplify.store.reach import ReachStoreError
from amplify.types import ReachCounts, ReachShare

HOUR, DAY = timedelta(hours=1), timedelta(days=1)


def share(age: timedelta, last_checked: timedelta | None = None, *, deleted: bool = False) -> ReachShare:
    """A share made `age` before FIXED_NOW, last read `last_checked` after it was made."""
    shared = FIXED_NOW - age
    return ReachShare(share_id=1, network="bluesky", post_url="https://bsky.app/profile/ada.test/post/3k",
                      shared_at=to_iso(shared),
                      last_checked_at=to_iso(shared + last_checked) if last_checked is not None else None,
                      deleted=deleted)


@pytest.mark.parametrize(("age", "last_checked", "expected"), [
    (timedelta(minutes=59), None, None),            # not yet an hour old
    (HOUR, None, HOUR),                             # the first snapshot
    (HOUR * 5, HOUR, None),                         # the hour's snapshot is taken
    (DAY, HOUR, DAY),                               # a day on
    (DAY * 3, DAY, None),
    (DAY * 7, DAY, DAY * 7),
    (DAY * 30, DAY * 7, DAY * 30),
    (DAY * 31, DAY * 30, None),                     # nothing after the 30-day one
    (DAY * 400, DAY * 30 + HOUR, None),
    (DAY * 10, None, DAY * 7),                      # missed milestones make one snapshot, for the latest
    (DAY * 10, HOUR * 2, DAY * 7),
    (DAY * 40, None, DAY * 30),                     # a share never read gets its one late 30-day snapshot
])
def test_the_schedule_is_1_hour_1_day_7_days_30_days_then_nothing(age, last_checked, expected):
    assert due_milestone(share(age, last_checked), FIXED_NOW) == expected


def failed(age: timedelta, failed_after: timedelta, last_checked: timedelta | None = None) -> ReachShare:
    """A share made `age` before FIXED_NOW whose last reading failed `failed_after` after it was made."""
    made = share(age, last_checked)
    return ReachShare(**{**vars_of(made), "last_failed_at": to_iso(FIXED_NOW - age + failed_after)})


@pytest.mark.parametrize(("age", "failed_after", "last_checked", "expected"), [
    (HOUR * 5, HOUR, None, None),                   # failed an hour in: not asked again the same day
    (HOUR * 25, HOUR, None, DAY),                   # a day after the failure, asked again
    (DAY * 3, DAY * 2 + HOUR, HOUR, None),          # failed again at its retry: a day's wait again
    (DAY * 31, DAY * 30, DAY * 7, DAY * 30),        # the 30-day one failed: tried again a day on
    (DAY * 32 + HOUR, DAY * 31, DAY * 7, None),     # past the grace after a 30-day try: never again
    (DAY * 400, DAY * 32, None, None),              # a share never read is not asked for forever
    (DAY * 40, DAY * 20, DAY * 7, DAY * 30),        # never tried since 30 days: one late try
])
def test_a_failed_reading_waits_a_day_and_the_series_ends_after_30_days_read_or_not(age, failed_after,
                                                                                     last_checked, expected):
    assert due_milestone(failed(age, failed_after, last_checked), FIXED_NOW) == expected


def test_a_deleted_post_is_never_due_again():
    assert due_milestone(share(DAY * 8, HOUR, deleted=True), FIXED_NOW) is None


def test_plan_keeps_only_the_due_and_their_milestones():
    shares = [share(DAY * 2, HOUR), share(HOUR / 2), share(DAY * 31, DAY * 30)]
    shares = [ReachShare(**{**vars_of(one), "share_id": number}) for number, one in enumerate(shares, 1)]
    due = plan(shares, FIXED_NOW)
    assert [(item.share.share_id, item.milestone_name) for item in due] == [(1, "1 day")]
    assert len(MILESTONES) == 4


def vars_of(record: ReachShare) -> dict:
    return {name: getattr(record, name) for name in record.__slots__}


@pytest.mark.parametrize(("network", "url", "expected"), [
    ("mastodon", "https://bakers.social/@ada/113456789", MastodonPost("https://bakers.social", "113456789")),
    ("mastodon", "http://127.0.0.1:8080/users/ada/statuses/7", MastodonPost("http://127.0.0.1:8080", "7")),
    ("mastodon", "https://bakers.social/@ada", None),
    ("mastodon", "https://bakers.social/@ada/113/../114", None),
    ("bluesky", "https://bsky.app/profile/Ada.bsky.social/post/3kabc", BlueskyPost("ada.bsky.social", "3kabc")),
    ("bluesky", "https://bsky.app/profile/did:plc:abc123/post/3kabc", BlueskyPost("did:plc:abc123", "3kabc")),
    ("bluesky", "at://did:plc:abc123/app.bsky.feed.post/3kabc", BlueskyPost("did:plc:abc123", "3kabc")),
    ("bluesky", "https://bsky.app/profile/ada.bsky.social", None),
    ("x", "https://x.com/ada/status/1", None),
    ("mastodon", "javascript:alert(1)", None),
])
def test_post_links_say_where_the_counts_are(network, url, expected):
    assert post_address(network, url) == expected


# -- the table ------------------------------------------------------------------------------------------------


def a_share(store: Store, network: str = "bluesky", post_url: str | None = "https://bsky.app/profile/a.test/post/1",
            at=FIXED_NOW - DAY * 2) -> int:
    source = store.scalar("SELECT id FROM sources LIMIT 1") or add_source(store, "Ada Bakes")
    return add_share(store, source, to_iso(at), network=network, post_url=post_url)


def test_snapshots_are_kept_in_order_and_summarised_for_the_planner(store):
    first, second = a_share(store), a_share(store)
    a_share(store, network="x", post_url="https://x.com/a/status/1")  # not read by reach
    a_share(store, post_url=None)
    store.add_reach([ReachCounts(first, reposts=1, likes=2, replies=0, quotes=0, post_ref="at://did:plc:a/p/1")])
    store.add_reach([ReachCounts(first, deleted=True)])
    shares = {one.share_id: one for one in store.reach_shares()}
    assert set(shares) == {first, second}
    assert shares[first].deleted and shares[first].post_ref == "at://did:plc:a/p/1"
    assert shares[first].last_checked_at == to_iso(FIXED_NOW)
    assert shares[second].last_checked_at is None and not shares[second].deleted
    latest = store.latest_reach()
    assert latest[first].interactions == 3 and latest[first].deleted  # the last numbers before it went
    assert [snapshot.deleted for snapshot in store.reach_snapshots([first])[first]] == [False, True]


def test_retracted_shares_are_left_out(store):
    kept, gone = a_share(store), a_share(store)
    retract(store, gone)
    assert [one.share_id for one in store.reach_shares()] == [kept]


def test_typed_numbers_are_a_snapshot_marked_typed_and_checked(store):
    share_id = a_share(store, network="linkedin", post_url=None)
    store.add_typed_reach(share_id, reposts=2, likes=14, replies=None)
    snapshot = store.latest_reach([share_id])[share_id]
    assert (snapshot.source, snapshot.reposts, snapshot.likes, snapshot.replies) == ("typed", 2, 14, None)
    for bad in ({"likes": -1}, {"likes": 1.5}, {"views": 3}, {}):
        with pytest.raises(ReachStoreError):
            store.add_typed_reach(share_id, **bad)
    with pytest.raises(ReachStoreError, match="no counted share"):
        store.add_typed_reach(999, likes=1)
    assert len(store.reach_snapshots([share_id])[share_id]) == 1


@pytest.mark.parametrize("statement", [
    "UPDATE reach SET likes = 99",
    "DELETE FROM reach",
    "INSERT OR REPLACE INTO reach (id, share_id, taken_at, source) VALUES (1, 1, 'x', 'api')",
])
def test_the_reach_table_is_append_only(store, statement):
    share_id = a_share(store)
    store.add_reach([ReachCounts(share_id, likes=1)])
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        store.conn.execute(statement)
    assert store.latest_reach()[share_id].likes == 1


@pytest.mark.parametrize("statement", [
    "UPDATE reach_failures SET reason = 'fine'",
    "DELETE FROM reach_failures",
    "INSERT OR REPLACE INTO reach_failures (id, share_id, tried_at, reason) VALUES (1, 1, 'x', 'fine')",
])
def test_failed_readings_are_kept_append_only_and_summarised_for_the_planner(store, statement):
    share_id, other = a_share(store), a_share(store)
    assert store.add_reach_failures([(share_id, "this instance keeps its numbers private")]) == 1
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        store.conn.execute(statement)
    shares = {one.share_id: one for one in store.reach_shares()}
    assert shares[share_id].last_failed_at == to_iso(FIXED_NOW) and shares[other].last_failed_at is None
    assert store.reach_failures([share_id, other]) == {
        share_id: (to_iso(FIXED_NOW), "this instance keeps its numbers private")}


def test_a_file_that_lost_a_reach_trigger_is_not_written_to(tmp_path):
    path = tmp_path / "amplify.db"
    Store(path).close()
    raw = sqlite3.connect(path)
    raw.execute("DROP TRIGGER reach_no_delete")
    raw.commit()
    raw.close()
    with Store(path) as reopened:
        assert reopened.write_refusal is not None and "reach_no_delete" in reopened.write_refusal


# -- reach by voice ---------------------------------------------------------------------------------------------


def test_reach_by_voice_sets_each_groups_part_of_interactions_beside_its_part_of_shares(store):
    from audit_fixtures import add_share as share_of

    from amplify.audit import last_days, run_audit
    from amplify.audit_reach import run_reach_audit

    both = add_source(store, "Ada Bakes", labels=["Black-owned", "woman-owned"], statement="https://ada.example/a")
    plain = add_source(store, "Bea Builds")
    read = share_of(store, both, to_iso(FIXED_NOW - DAY), network="bluesky")
    gone = share_of(store, plain, to_iso(FIXED_NOW - DAY * 2))
    share_of(store, plain, to_iso(FIXED_NOW - DAY * 3))  # no numbers: not among the measured
    store.add_reach([ReachCounts(read, reposts=2, likes=4, replies=1, quotes=1), ReachCounts(gone, likes=2)])
    store.add_reach([ReachCounts(gone, deleted=True)])
    reach = run_reach_audit(store, run_audit(store, last_days(30, FIXED_NOW), FIXED_NOW))
    assert (reach.total_shares, reach.measured_shares, reach.interactions, reach.deleted) == (3, 2, 10, 1)
    parts = {row.group: (row.shares, row.interactions, row.share_part, row.interaction_part) for row in reach.by_label}
    assert parts == {"Black-owned": (1, 8, 0.5, 0.8), "woman-owned": (1, 8, 0.5, 0.8), "not stated": (1, 2, 0.5, 0.2)}
    assert [(row.group, row.interactions) for row in reach.by_voice] == [("Ada Bakes", 8), ("Bea Builds", 2)]
    assert [(row.network, row.per_share) for row in reach.by_network] == [("Bluesky", 8.0), ("Mastodon", 2.0)]
