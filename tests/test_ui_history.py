"""The History page through AppTest: shares newest first, filters, the checklist snapshot, retraction.

Shares are made the only way there is: a queued draft, a real link probe against a loopback server, every
attestation, then `checklist.mark_shared`.
"""

from datetime import timedelta
from pathlib import Path

import pytest
from pages import open_page, rerun, use_files
from review_fixtures import add_item
from streamlit.testing.v1 import AppTest
from support import source_by_name

from amplify import checklist
from amplify.clock import utcnow
from amplify.follow.load import parse_follow_list
from amplify.store import Store
from amplify.ui.pages import history


class HistoryApp:
    def __init__(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, site: str) -> None:
        self.db_path = tmp_path / "amplify.db"
        self.site = site
        feeds = tmp_path / "feeds.yml"
        feeds.write_text(
            "sources:\n"
            f"  - name: Ada's Bakery\n    feed: {site}/ada.xml\n    url: {site}/\n"
            f"  - name: Bo's Books\n    feed: {site}/bo.xml\n    url: {site}/\n",
            encoding="utf-8",
        )
        use_files(monkeypatch, self.db_path, feeds)
        with Store(self.db_path) as store:
            store.sync_sources(parse_follow_list(feeds.read_text()))

    def share(self, source: str, title: str, network: str, *, days_ago: int,
              post_url: str | None = None) -> int:
        """Queue an item of `source`, pass its checklist and mark it shared `days_ago` days ago."""
        moment = utcnow() - timedelta(days=days_ago)
        with Store(self.db_path, clock=lambda: moment) as store:
            source_id = source_by_name(store, source).id
            item_id = add_item(store, source_id, title=title, url=f"{self.site}/post", sort_at=moment)
            draft_id = store.create_draft(item_id, [network])
            text = f"{source}: {title} {self.site}/post"
            version = store.save_post_text(draft_id, network, text)
            checklist.refresh_link_probe(store, f"{self.site}/post", force=True)
            for attestation in checklist.ATTESTATIONS:
                if attestation.id != "creator_agreed":
                    store.attest(draft_id, network, attestation.id, version)
            return checklist.mark_shared(store, draft_id, network, post_url)

    def store(self) -> Store:
        return Store(self.db_path)

    def open(self) -> AppTest:
        return open_page("history")


def shown_titles(at: AppTest) -> list[str]:
    return [element.value for element in at.markdown if element.value.startswith("**")
            and "](" in element.value]


@pytest.fixture
def app(tmp_path, monkeypatch, server):
    server.route("/post", "<html>a post</html>", headers={"Content-Type": "text/html"})
    return HistoryApp(tmp_path, monkeypatch, server.url(""))


def test_no_shares_says_where_they_come_from(app):
    at = app.open()
    assert at.title[0].value == "History"
    assert "Posts you mark shared in the Queue appear here" in at.info[0].value


def test_shares_are_listed_newest_first_with_their_checklist(app):
    app.share("Ada's Bakery", "Older loaf", "mastodon", days_ago=3, post_url="https://bakers.social/@me/1")
    app.share("Bo's Books", "<b>Newer</b> *book*", "bluesky", days_ago=1)
    at = app.open()
    titles = shown_titles(at)
    assert len(titles) == 2
    assert titles[0].startswith("**Bo\\'s Books**: [\\<b\\>Newer\\<\\/b\\> \\*book\\*](")
    assert "Older loaf" in titles[1]
    assert at.caption[0].value == "2 shares."
    assert "[Your post](https://bakers.social/@me/1)" in [element.value for element in at.markdown]
    snapshot = [element.value for element in at.expander[0].markdown]
    assert any(line.startswith(":green[✓] **The link opens**") for line in snapshot)
    assert any("I read the whole piece" in line for line in snapshot)


def test_filters_narrow_by_network_source_and_date(app):
    app.share("Ada's Bakery", "Loaf on Mastodon", "mastodon", days_ago=1)
    app.share("Bo's Books", "Book on Bluesky", "bluesky", days_ago=2)
    app.share("Ada's Bakery", "Old loaf", "bluesky", days_ago=45)
    at = app.open()
    assert len(shown_titles(at)) == 2  # the last 30 days by default
    at.selectbox(key="history_network").select("bluesky").run()
    [only] = shown_titles(at)
    assert "Book on Bluesky" in only
    assert at.selectbox(key="history_period").value == "Last 30 days"
    at.selectbox(key="history_period").select("Last 90 days").run()
    assert len(shown_titles(at)) == 2
    with app.store() as store:
        ada = source_by_name(store, "Ada's Bakery").id
    at.selectbox(key="history_source").select(ada).run()
    [only] = shown_titles(at)
    assert "Old loaf" in only


def test_the_period_looks_back_from_today(app):
    app.share("Ada's Bakery", "This week", "mastodon", days_ago=2)
    app.share("Ada's Bakery", "Last month", "mastodon", days_ago=20)
    app.share("Ada's Bakery", "Long ago", "mastodon", days_ago=400)
    at = app.open()
    for period, count in (("Last 7 days", 1), ("Last 30 days", 2), ("Last 90 days", 2), ("Any time", 3)):
        at.selectbox(key="history_period").select(period).run()
        assert len(shown_titles(at)) == count, period


def test_retracting_keeps_the_share_and_marks_it(app):
    share_id = app.share("Ada's Bakery", "A loaf", "mastodon", days_ago=1)
    at = app.open()
    at.button(key=f"retract_{share_id}").click()
    rerun(at)
    assert "say in a few words why" in at.error[0].value
    at.text_input(key=f"retract_reason_{share_id}").input("I deleted the post")
    at.button(key=f"retract_{share_id}").click()
    rerun(at)
    assert "Retracted just now: I deleted the post" in at.warning[0].value
    assert len(shown_titles(at)) == 1
    assert at.caption[0].value == "1 share, 1 of them retracted."
    with pytest.raises(KeyError):
        at.button(key=f"retract_{share_id}")
    with app.store() as store:
        assert store.is_retracted(share_id)
        assert len(store.shares()) == 1


def test_a_long_history_comes_a_page_at_a_time(app):
    for number in range(history.PAGE_SIZE + 1):
        app.share("Ada's Bakery", f"Loaf {number}", "mastodon", days_ago=number % 20 + 1)
    at = app.open()
    assert len(shown_titles(at)) == history.PAGE_SIZE
    assert at.caption[0].value == f"{history.PAGE_SIZE + 1} shares; page 1 of 2."
    assert at.button(key="history_page_prev").disabled
    at.button(key="history_page_next").click()
    rerun(at)
    [oldest] = shown_titles(at)
    assert "Loaf 19" in oldest
    at.selectbox(key="history_network").select("mastodon").run()
    assert len(shown_titles(at)) == history.PAGE_SIZE  # a new filter starts again at the newest
