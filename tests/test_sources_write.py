"""Writing feeds.yml: comments and order survive, every change is validated first, nothing half-written."""

from pathlib import Path

import pytest
from support import source_by_name

from amplify.follow.edit import add_source, remove_source, set_setting, update_source
from amplify.follow.errors import DuplicateSource, SourceEditError, UnknownSource
from amplify.follow.load import load_follow_list
from amplify.follow.sync import forget_source
from amplify.types import FollowList, Settings, Source

SHIPPED = Path(__file__).resolve().parent.parent / "feeds.yml"

HAND_WRITTEN = """\
# My people. Keep this list short and loved.
settings:
  networks: [mastodon]   # only Mastodon for now
  mastodon_instance: hachyderm.io

sources:
  # Bakers first
  - name: Ada's Bakery   # since 2024
    feed: https://adasbakery.example/blog.atom
    tags: [food]
  - name: Bea Builds
    feed: https://bea.example/feed.xml  # the workshop blog
    identity:
      labels: [Latina-owned]
      source: https://bea.example/about
    notes: met at the maker fair
  # Zines last
  - name: Cam Zines
    feed: https://cam.example/rss
"""


@pytest.fixture
def feeds(tmp_path):
    path = tmp_path / "feeds.yml"
    path.write_text(HAND_WRITTEN)
    return path


def _comments(text):
    return [line.split("#", 1)[1].strip() for line in text.splitlines() if "#" in line]


def test_add_appends_and_keeps_every_comment_and_the_order(feeds):
    added = add_source(
        feeds,
        Source(
            name="Dee's Books",
            feeds=("https://dee.example/feed",),
            kind="business",
            handles={"mastodon": "dee@books.example", "bluesky": "@dee.example"},
            tags=("books",),
        ),
    )

    text = feeds.read_text()
    assert text.startswith(HAND_WRITTEN.rstrip("\n"))
    assert _comments(text) == _comments(HAND_WRITTEN)
    assert added.handles == {"mastodon": "@dee@books.example", "bluesky": "dee.example"}
    loaded = load_follow_list(feeds)
    assert [source.name for source in loaded.sources] == [
        "Ada's Bakery",
        "Bea Builds",
        "Cam Zines",
        "Dee's Books",
    ]
    assert loaded.source("dee's books").handles == added.handles
    assert "mastodon: '@dee@books.example'" in text or 'mastodon: "@dee@books.example"' in text


def test_add_refuses_a_duplicate_name_or_feed_and_leaves_the_file_alone(feeds):
    with pytest.raises(DuplicateSource, match="already has a source named"):
        add_source(feeds, Source(name="ada's bakery", feeds=("https://new.example/feed",)))
    with pytest.raises(DuplicateSource, match="already followed as 'Cam Zines'"):
        add_source(feeds, Source(name="Someone New", feeds=("https://cam.example/rss",)))
    with pytest.raises(SourceEditError, match="`feed` must be an http"):
        add_source(feeds, Source(name="Someone New", feeds=("javascript:alert(1)",)))

    assert feeds.read_text() == HAND_WRITTEN


def test_add_creates_a_missing_file(tmp_path):
    path = tmp_path / "new" / "feeds.yml"

    add_source(path, Source(name="Ada's Bakery", feeds=("https://adasbakery.example/blog.atom",)))

    assert [source.name for source in load_follow_list(path).sources] == ["Ada's Bakery"]


def test_add_to_the_shipped_file_keeps_its_documentation(tmp_path):
    path = tmp_path / "feeds.yml"
    path.write_text(SHIPPED.read_text())

    add_source(path, Source(name="Ada's Bakery", feeds=("https://adasbakery.example/blog.atom",)))

    text = path.read_text()
    assert _comments(text) == _comments(SHIPPED.read_text())
    assert text.index("# sources:") < text.index("- name: Ada's Bakery")
    assert [source.name for source in load_follow_list(path).sources] == ["Ada's Bakery"]


def test_the_shipped_example_entry_is_valid_once_uncommented(tmp_path):
    lines = SHIPPED.read_text().splitlines()
    start = lines.index("# sources:")
    example = [line.removeprefix("# ") for line in lines[start:] if line.startswith("# ")]
    path = tmp_path / "feeds.yml"
    path.write_text("\n".join(example) + "\n")

    follow_list = load_follow_list(path)

    assert follow_list.problems == ()
    (ada,) = follow_list.sources
    assert ada.identity_labels and ada.identity_source and ada.handles and ada.domains and ada.notes


def test_update_changes_fields_in_place_and_keeps_comments(feeds):
    update_source(
        feeds,
        "Cam Zines",
        tags=["zines", "art"],
        kind="organization",
        handles={"bluesky": "cam.example"},
        identity_labels=["queer-owned"],
        identity_source="https://cam.example/about",
    )
    update_source(feeds, "Ada's Bakery", tags=None)

    text = feeds.read_text()
    assert _comments(text) == _comments(HAND_WRITTEN)
    cam = load_follow_list(feeds).source("Cam Zines")
    assert cam.tags == ("zines", "art")
    assert cam.kind == "organization"
    assert cam.identity_labels == ("queer-owned",)
    cam_entry = text[text.index("- name: Cam Zines") :]
    assert [
        line.split(":")[0].strip() for line in cam_entry.splitlines() if not line.startswith("      ")
    ] == [
        "- name",
        "feed",
        "kind",
        "handles",
        "tags",
        "identity",
    ]
    assert load_follow_list(feeds).source("Ada's Bakery").tags == ()


def test_update_is_validated_before_anything_is_written(feeds):
    with pytest.raises(SourceEditError, match="need `identity.source`"):
        update_source(feeds, "Ada's Bakery", identity_labels=["Black-owned"])
    with pytest.raises(SourceEditError, match="not a mastodon handle"):
        update_source(feeds, "Ada's Bakery", handles={"mastodon": "ada"})
    with pytest.raises(SourceEditError, match="cannot change `name`"):
        update_source(feeds, "Ada's Bakery", name="Other")
    with pytest.raises(UnknownSource, match="no source named 'Nobody'"):
        update_source(feeds, "Nobody", tags=["x"])

    assert feeds.read_text() == HAND_WRITTEN
    assert [path.name for path in feeds.parent.iterdir()] == ["feeds.yml"]


def test_remove_unfollows_and_keeps_the_rest(feeds):
    remove_source(feeds, "Bea Builds")

    text = feeds.read_text()
    assert "Bea Builds" not in text
    assert _comments(text) == [
        comment for comment in _comments(HAND_WRITTEN) if comment != "the workshop blog"
    ]
    assert text.index("# Zines last") < text.index("- name: Cam Zines")
    assert [source.name for source in load_follow_list(feeds).sources] == ["Ada's Bakery", "Cam Zines"]
    with pytest.raises(UnknownSource):
        remove_source(feeds, "Bea Builds")


def test_set_setting_validates_and_keeps_comments(feeds):
    set_setting(feeds, "networks", ["mastodon", "bluesky"])
    set_setting(feeds, "goals", {"shares_per_week": 3})

    settings = load_follow_list(feeds).settings
    assert settings.networks == ("mastodon", "bluesky")
    assert settings.goals == {"shares_per_week": 3}
    assert "# only Mastodon for now" in feeds.read_text()
    before = feeds.read_text()
    with pytest.raises(SourceEditError, match="unknown network `friendster`"):
        set_setting(feeds, "networks", ["friendster"])
    with pytest.raises(SourceEditError, match="unknown setting"):
        set_setting(feeds, "theme", "dark")
    assert feeds.read_text() == before


def test_forget_clears_identity_in_the_file_and_the_store(feeds, store):
    store.sync_sources(load_follow_list(feeds))
    bea_id = source_by_name(store, "Bea Builds").id

    new_name = forget_source(feeds, store, "Bea Builds")

    assert new_name == "forgotten source 1"
    text = feeds.read_text()
    assert "Bea Builds" not in text and "Latina-owned" not in text and "maker fair" not in text
    assert "# Zines last" in text
    forgotten = load_follow_list(feeds).source(new_name)
    assert forgotten.feeds == ("https://bea.example/feed.xml",)
    assert forgotten.identity_labels == () and forgotten.notes is None
    row = store.source_by_id(bea_id)
    assert (row.name, row.forgotten, row.identity_labels, row.notes) == (new_name, True, (), None)

    store.sync_sources(load_follow_list(feeds))

    assert source_by_name(store, new_name).id == bea_id
    assert forget_source(feeds, store, "Cam Zines") == "forgotten source 2"


def test_forget_reaches_a_source_only_the_database_remembers(feeds, store):
    store.sync_sources(
        FollowList(
            (Source(name="Old Friend", feeds=("https://old.example/feed",), notes="private"),), Settings()
        )
    )

    assert forget_source(feeds, store, "Old Friend") == "forgotten source 1"
    assert feeds.read_text() == HAND_WRITTEN
    assert source_by_name(store, "forgotten source 1").notes is None
    with pytest.raises(UnknownSource):
        forget_source(feeds, store, "Never Heard Of")


def test_an_edit_touches_only_what_changed(tmp_path):
    path = tmp_path / "feeds.yml"
    path.write_text(
        "sources:\n"
        "  - name: Ada\n"
        "    feed: https://ada.example/feed\n"
        "    handles:\n"
        "      mastodon: '@ada@bakers.example'  # her main account\n"
        "      x: '@ada'\n"
        "    tags:\n"
        "      - food  # first of all\n"
        "      - local\n"
    )

    update_source(
        path,
        "Ada",
        kind="creator",
        credit="tag",
        tags=["food", "local"],
        handles={"mastodon": "@ada@bakers.example", "bluesky": "ada.example"},
    )

    text = path.read_text()
    assert "kind" not in text and "credit" not in text
    assert "- food  # first of all" in text
    assert "mastodon: '@ada@bakers.example'  # her main account" in text
    assert "x:" not in text
    assert load_follow_list(path).source("Ada").handles == {
        "mastodon": "@ada@bakers.example",
        "bluesky": "ada.example",
    }
