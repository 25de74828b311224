"""Reach on the pages, through AppTest: History's numbers, line and typed numbers; the "Check reach" button against
a loopback AppView; and the Audit page's "Reach by voice" with its caption, table and words."""

import re

import pytest
from pages import rerun
from reach_servers import AppView, Instance
from test_ui_audit import AuditApp, days_ago
from test_ui_history import HistoryApp, shown_titles

from amplify.types import ReachCounts


def plain(value: str) -> str:
    """Shown Markdown without its escapes."""
    return value.replace("\\", "")


def table_with(at, column: str):  # noqa: ANN001, ANN201
    """The one table on the page with this column."""
    [found] = [table.value for table in at.dataframe if column in table.value.columns]
    return found


NO_RANKING = re.compile(r"\b(score|rank|ranked|leaderboard|best|worst|top \d+|winner)\b", re.IGNORECASE)


@pytest.fixture
def history(tmp_path, monkeypatch, server):
    server.route("/post", "<html>a post</html>", headers={"Content-Type": "text/html"})
    return HistoryApp(tmp_path, monkeypatch, server.url(""))


def test_history_shows_the_latest_numbers_and_a_line_over_the_snapshots(history):
    share_id = history.share("Ada's Bakery", "Loaf", "bluesky", days_ago=9,
                             post_url="https://bsky.app/profile/ada.test/post/r1")
    with history.store() as store:
        store.add_reach([ReachCounts(share_id, reposts=1, likes=2, replies=0, quotes=0)])
        store.add_reach([ReachCounts(share_id, reposts=3, likes=7, replies=1, quotes=0)])
    at = history.open()
    captions = [plain(caption.value) for caption in at.caption]
    assert any(caption.startswith("Reach: 3 reposts, 7 likes, 1 replies, 0 quotes (read from the network")
               for caption in captions), captions
    assert any("Interactions went from 3 to 11 over 2 looks." in caption for caption in captions)
    assert len(at.get("vega_lite_chart")) == 1
    assert not [expander for expander in at.expander if expander.label == "Type the numbers you see"]


def test_numbers_typed_by_hand_for_linkedin_are_kept_as_a_typed_snapshot(history):
    share_id = history.share("Bo's Books", "Book", "linkedin", days_ago=2)
    at = history.open()
    assert len(shown_titles(at)) == 1
    at.number_input(key=f"reach_likes_{share_id}").set_value(14)
    at.number_input(key=f"reach_reposts_{share_id}").set_value(2)
    [button] = [button for button in at.button if button.label == "Keep these numbers"]
    button.click()
    rerun(at)
    with history.store() as store:
        [snapshot] = store.reach_snapshots([share_id])[share_id]
    assert (snapshot.source, snapshot.likes, snapshot.reposts, snapshot.replies) == ("typed", 14, 2, None)
    assert any(plain(caption.value).startswith("Reach: 2 reposts, 14 likes") and "typed by you" in caption.value
               for caption in at.caption)


def test_check_reach_reads_the_due_posts_and_says_so(history, server, monkeypatch):
    appview = AppView(handles={"ada.test": "did:plc:ada"})
    appview.add("did:plc:ada", "r1", likes=5, reposts=1)
    appview.mount(server)
    monkeypatch.setenv("AMPLIFY_APPVIEW", server.url(""))
    share_id = history.share("Ada's Bakery", "Loaf", "bluesky", days_ago=2,
                             post_url="https://bsky.app/profile/ada.test/post/r1")
    at = history.open()
    at.button(key="history_check_reach").click()
    rerun(at)
    assert "Read 1 of 1 posts due a look." in plain(at.info[0].value)
    assert any(plain(caption.value).startswith("Reach: 1 reposts, 5 likes") for caption in at.caption)
    at.button(key="history_check_reach").click()
    rerun(at)
    assert plain(at.info[0].value) == "No post is due a look right now."
    with history.store() as store:
        assert len(store.reach_snapshots([share_id])[share_id]) == 1


def test_a_post_that_could_not_be_read_says_why_and_when_it_is_tried_again(history, server, monkeypatch):
    monkeypatch.delenv("AMPLIFY_MASTODON_TOKEN", raising=False)
    instance = Instance(private=True)
    instance.add(server, "101", likes=5)
    instance.mount(server)
    history.share("Ada's Bakery", "Loaf", "mastodon", days_ago=2, post_url=server.url("/@ada/101"))
    at = history.open()
    at.button(key="history_check_reach").click()
    rerun(at)
    said = plain(at.info[0].value)
    assert "Read 0 of 1 posts due a look." in said and "keeps its numbers private" in said
    assert "a day later at the soonest" in said
    assert any(plain(caption.value).startswith("Reach: this instance keeps its numbers private, ")
               for caption in at.caption)
    at.button(key="history_check_reach").click()
    rerun(at)
    assert plain(at.info[0].value) == "No post is due a look right now."  # not asked again the same day


@pytest.fixture
def audit(tmp_path, monkeypatch):
    return AuditApp(tmp_path, monkeypatch)


def test_audit_puts_each_groups_part_of_interactions_beside_its_part_of_shares(audit):
    from audit_fixtures import add_share

    ada, bea = audit.source_id("Ada Bakes"), audit.source_id("Bea Builds")
    with audit.store() as store:
        first = add_share(store, ada, days_ago(3), post_url="https://m.example/@me/1")
        second = add_share(store, bea, days_ago(4), network="bluesky")
        add_share(store, bea, days_ago(5))  # no numbers
        store.add_reach([ReachCounts(first, reposts=3, likes=5, replies=1, quotes=0)])
        store.add_typed_reach(second, likes=1)
    at = audit.open()
    assert "Reach by voice" in [header.value for header in at.subheader], [e.value for e in at.exception]
    summary = next(plain(element.value) for element in at.markdown if element.value.startswith("**In words:**")
                   and "reach numbers" in element.value)
    assert "2 of your 3 shares over the last 30 days have reach numbers" in summary
    assert "Black-owned had 50% of these shares and drew 90% of the interactions" in summary
    table = table_with(at, "self-described group")
    assert list(table["self-described group"]) == ["Black-owned", "not stated"]
    assert list(table["interactions"]) == [9, 1]
    networks = table_with(at, "Interactions per share")
    assert list(networks["Network"]) == ["Bluesky", "Mastodon"]
    text = " ".join(element.value for element in [*at.caption, *at.markdown, *at.subheader] if element.value)
    assert not NO_RANKING.search(text), NO_RANKING.search(text)
    at.radio(key="audit_reach_grouping").set_value("voice")
    rerun(at)
    assert list(table_with(at, "voice")["voice"]) == ["Ada Bakes", "Bea Builds"]


def test_audit_without_numbers_says_how_to_get_them(audit):
    from audit_fixtures import add_share

    with audit.store() as store:
        add_share(store, audit.source_id("Ada Bakes"), days_ago(3))
    at = audit.open()
    assert any("has reach numbers yet" in plain(info.value) for info in at.info)
