"""The Audit page through Streamlit's AppTest: headline numbers, goals, charts with tables, the neglected list
with its links into Today, downloads, and forgetting a source (with confirmation)."""

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from audit_fixtures import add_item, add_share, add_source, refuse
from pages import open_page, rerun, use_files
from streamlit.testing.v1 import AppTest
from support import source_by_name

from amplify.follow.load import load_follow_list, parse_follow_list
from amplify.store import Store

HOSTILE = "<script>alert(1)</script> **Zine** :red[boo] $x$"
FOLLOW_LIST = """\
settings:
  goals:
    shares_per_week: 3
    group_targets: [{label: Black-owned, share: 0.5}]
sources:
  - name: Ada Bakes
    feed: https://ada.example/feed.xml
    url: https://ada.example/
    tags: [food]
    identity:
      labels: [Black-owned]
      source: https://ada.example/about
  - name: Bea Builds
    feed: https://bea.example/feed.xml
    kind: business
  - name: Quiet Press
    feed: https://quiet.example/feed.xml
"""


def days_ago(days: float) -> str:
    return (datetime.now(UTC) - timedelta(days=days)).replace(microsecond=0).isoformat()


class AuditApp:
    def __init__(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.db_path = tmp_path / "amplify.db"
        self.feeds = tmp_path / "feeds.yml"
        self.feeds.write_text(FOLLOW_LIST, encoding="utf-8")
        use_files(monkeypatch, self.db_path, self.feeds)
        with self.store() as store:
            store.sync_sources(parse_follow_list(FOLLOW_LIST))

    def store(self) -> Store:
        return Store(self.db_path)

    def source_id(self, name: str) -> int:
        with self.store() as store:
            return int(source_by_name(store, name).id)

    def open(self) -> AppTest:
        return open_page("audit")


def metrics(at: AppTest) -> dict[str, str]:
    return {metric.label: metric.value for metric in at.metric}


def markdown(at: AppTest) -> str:
    return "\n".join(element.value for element in at.markdown)


@pytest.fixture
def app(tmp_path, monkeypatch):
    return AuditApp(tmp_path, monkeypatch)


@pytest.fixture
def shared(app):
    """Ada: 3 shares, Bea: 1, the hostile zine (unfollowed, in the database only): 1. Quiet Press posted."""
    ada, bea, quiet = app.source_id("Ada Bakes"), app.source_id("Bea Builds"), app.source_id("Quiet Press")
    with app.store() as store:
        zine = add_source(store, HOSTILE, kind="organization", followed=False)
        for days in (2, 9, 16):
            add_share(store, ada, days_ago(days))
        add_share(store, bea, days_ago(5))
        add_share(store, zine, days_ago(3))
        add_item(store, quiet, days_ago(4), title="Quiet news")
    return app


def test_an_empty_audit_says_what_will_appear(app):
    at = app.open()
    assert at.title[0].value == "Audit"
    assert metrics(at)["Shares"] == "0"
    assert "No shares over the last 30 days yet" in at.info[0].value
    assert not at.get("vega_lite_chart")
    captions = [caption.value for caption in at.caption]
    assert "No one you follow published over the last 30 days, as far as the last refresh saw." in captions
    assert not any("was shared" in caption for caption in captions)  # nothing to claim with no shares


def test_following_no_one_says_so_instead_of_a_dash(tmp_path, monkeypatch):
    feeds = tmp_path / "feeds.yml"
    feeds.write_text("sources: []\n", encoding="utf-8")
    use_files(monkeypatch, tmp_path / "amplify.db", feeds)
    at = open_page("audit")
    assert "you follow no one yet" in [caption.value for caption in at.caption]


def test_headline_numbers_and_goals_in_plain_words(shared):
    at = shared.open()
    numbers = metrics(at)
    assert numbers["Shares"] == "5"
    assert numbers["Voices shared"] == "2 of 3"
    assert numbers["Top five voices' part"] == "100%"
    assert "of your shares went to your 3 most-shared voices" in [caption.value for caption in at.caption]
    # p = (3/5, 1/5, 1/5): exp(H) = 2.59
    assert numbers["Effective number of voices"] == "2.6"
    text = re.sub(r"\\(.)", r"\1", markdown(at))  # as the reader sees it: every mark is escaped in the source
    assert "You hoped to share 3 posts a week; over the last 30 days it was 1.2 a week." in text
    assert "as Black-owned (a goal, not a quota); over the last 30 days it was 60%." in text


def test_every_chart_has_a_table_and_labels_come_with_their_statement(shared):
    at = shared.open()
    assert len(at.get("vega_lite_chart")) == 2
    sources = at.dataframe[2].value  # weekly, groups, then whom you shared
    assert list(sources["source"]) == ["Ada Bakes", HOSTILE, "Bea Builds"]  # ties by name
    ada = sources[sources["source"] == "Ada Bakes"].iloc[0]
    assert (ada["says of itself"], ada["where they said it"]) == ("Black-owned", "https://ada.example/about")
    assert sources[sources["source"] == "Bea Builds"].iloc[0]["says of itself"] == "not stated"
    groups = at.dataframe[1].value
    assert dict(zip(groups["group"], groups["shares"], strict=True)) == {"Black-owned": 3, "not stated": 2}


def test_every_chart_says_what_it_shows_in_words(shared):
    at = shared.open()
    # as the reader sees it: every mark is escaped in the source
    said = [re.sub(r"\\(.)", r"\1", element.value) for element in at.markdown
            if element.value.startswith("**In words:**")]
    assert len(said) == 2
    assert "The busiest was the week of" in said[0]
    assert "Shared more than followed: Black-owned (1.80)" in said[1]
    for chart in at.get("vega_lite_chart"):
        assert "The busiest was the week of" in chart.proto.spec or "Shared more than followed" in chart.proto.spec


def test_feed_text_never_reaches_markdown_unescaped(shared):
    at = shared.open()
    assert "<script>" not in markdown(at)
    assert "**Zine**" not in markdown(at)


def test_stacking_by_label_and_grouping_by_kind(shared):
    at = shared.open()
    at.radio(key="audit_stack").set_value("label")
    at.radio(key="audit_grouping").set_value("kind")
    rerun(at)
    weekly = at.dataframe[0].value
    assert set(weekly.columns) >= {"Week of", "Black-owned", "not stated", "All shares"}
    assert weekly["All shares"].astype(int).sum() == 5
    kinds = at.dataframe[1].value
    assert set(kinds["group"]) == {"creator", "business", "organization"}


def test_the_neglected_list_links_into_today_filtered_to_that_source(shared):
    at = shared.open()
    links = list(at.page_link)
    assert [link.value for link in links] == ["See their latest"]
    assert "source=Quiet+Press" in str(links[0].proto)  # Today's source filter, by name
    assert "Quiet Press" in [element.value for element in at.markdown]


def test_the_window_can_be_all_time_or_a_month(shared):
    with shared.store() as store:
        add_share(store, shared.source_id("Bea Builds"), days_ago(200))
    at = shared.open()
    at.radio(key="audit_window").set_value("All time")
    rerun(at)
    assert metrics(at)["Shares"] == "6"
    at.radio(key="audit_window").set_value("A month")
    rerun(at)
    this_month = datetime.now(UTC).strftime("%Y-%m")
    assert at.selectbox(key="audit_month").value == this_month


def test_saving_goals_writes_them_to_feeds_yml(app):
    at = app.open()
    at.number_input(key="goal_per_week").set_value(4.0)
    at.number_input(key="goal_coverage").set_value(40)
    at.text_input(key="goal_label").set_value("woman-owned")
    at.number_input(key="goal_label_share").set_value(50)
    at.button(key="FormSubmitter:audit_goals_form-Save goals").click()
    rerun(at)
    goals = load_follow_list(app.feeds).settings.goals
    assert goals == {"shares_per_week": 4.0, "min_coverage": 0.4,
                     "group_targets": [{"label": "woman-owned", "share": 0.5}]}
    assert len(load_follow_list(app.feeds).sources) == 3  # the rest of the file is untouched


def test_forgetting_asks_first_then_moves_their_shares_to_not_stated(shared):
    at = shared.open()
    at.selectbox(key="audit_forget_source").set_value("Ada Bakes")
    rerun(at)
    at.button(key="audit_forget").click()
    rerun(at)
    assert "cannot be undone" in at.warning[0].value
    with shared.store() as store:
        assert source_by_name(store, "Ada Bakes") is not None  # nothing happens before "yes"
    at.button(key="audit_forget_yes").click()
    rerun(at)
    with shared.store() as store:
        assert source_by_name(store, "Ada Bakes") is None
        assert source_by_name(store, "forgotten source 1").identity_labels == ()
    assert metrics(at)["Shares"] == "5"
    groups = at.dataframe[1].value
    assert dict(zip(groups["group"], groups["shares"], strict=True)) == {"not stated": 5}
    assert "Ada Bakes" not in app_text(at)


def app_text(at: AppTest) -> str:
    return json.dumps([frame.value.to_dict() for frame in at.dataframe], default=str) + markdown(at)


def test_downloads_are_offered(shared):
    at = shared.open()
    labels = [button.proto.label for button in at.get("download_button")]
    assert labels == ["Report (Markdown)", "Report (HTML)", "Export shares (CSV)", "Export shares (JSON)"]


def test_the_share_export_opens_its_own_database_when_pressed(shared):
    from amplify.ui.pages import audit as audit_page

    records = json.loads(audit_page._export("json"))
    assert len(records) == 5 and {record["source"] for record in records} >= {"Ada Bakes", HOSTILE}
    assert audit_page._export("csv").splitlines()[0].startswith("share_id,shared_at,network,source")


def test_saving_goals_from_the_page_keeps_label_goals_it_does_not_show(app):
    app.feeds.write_text(
        FOLLOW_LIST.replace("group_targets: [{label: Black-owned, share: 0.5}]",
                            "group_targets: [{label: Black-owned, share: 0.5}, {label: queer-owned, share: 0.2}]"),
        encoding="utf-8",
    )
    at = app.open()
    at.text_input(key="goal_label").set_value("Indigenous-owned")
    at.button(key="FormSubmitter:audit_goals_form-Save goals").click()
    rerun(at)
    assert load_follow_list(app.feeds).settings.goals["group_targets"] == [
        {"label": "Indigenous-owned", "share": 0.5},
        {"label": "queer-owned", "share": 0.2},
    ]


def test_checklist_health_names_each_check_with_its_why_and_failure_part(shared):
    with shared.store() as store:
        refuse(store, ["credits_creator"])
    at = shared.open()
    table = next(frame.value for frame in at.dataframe if "attempts it stopped" in frame.value.columns)
    rows = {row["check"]: row for row in table.to_dict("records")}
    credited = rows["The creator is credited as they asked"]  # a refusal logs ids only; the label is the checklist's
    assert credited["attempts it stopped"] == 1
    assert credited["part of attempts it failed"] == pytest.approx(1 / 6)  # 5 shares and 1 refusal
    assert credited["why it matters"].startswith("Centering:")
    assert rows["The link opens"]["part of attempts it failed"] == 0
