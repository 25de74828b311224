"""Loading feeds.yml: good entries load, each bad one is reported by line and field and skipped."""

from dataclasses import replace
from pathlib import Path

import pytest

from amplify.follow.errors import FollowListError
from amplify.follow.load import load_follow_list, parse_follow_list
from amplify.networks import normalize_handle
from amplify.types import Settings

SHIPPED = Path(__file__).resolve().parent.parent / "feeds.yml"

GOOD_AND_BAD = """\
# my follow list
settings:
  networks: [mastodon, bluesky, linkedin]
  mastodon_instance: Hachyderm.io
  goals: {shares_per_week: 3, group_targets: {Black-owned: 0.2}}
sources:
  - name: Ada's Bakery
    feed: https://adasbakery.example/blog.atom
    url: https://adasbakery.example
    kind: business
    handles: {mastodon: "@ada@Bakers.social", bluesky: "@ada.example", linkedin: adasbakery, x: ada_bakes}
    tags: [food, local]
    identity:
      labels: [Black-owned, woman-owned]
      source: https://adasbakery.example/about
    credit: tag
    domains: [ada-cakes.example]
    notes: met at the market
  - name: No Feed Here
    url: https://nofeed.example
  - name: Bad Feed
    feed: ftp://badfeed.example/rss
  - name: Ada's Bakery
    feed: https://other.example/feed
  - name: Labels Without Source
    feed: https://labels.example/feed
    identity:
      labels: [Latina-owned]
  - name: Wrong Kind
    feed: https://kind.example/feed
    kind: corporation
  - name: Bad Handle
    feed: https://handle.example/feed
    handles:
      mastodon: ada
  - name: Unknown Network
    feed: https://network.example/feed
    handles: {myspace: ada}
  - name: Typo
    feeed: https://typo.example/feed
  - just a string
  - name: Same Feed
    feed: https://adasbakery.example/blog.atom
  - name: Two Feeds
    feeds:
      - https://two.example/posts.rss
      - https://two.example/podcast.rss
  - name: Bad Domain
    feed: https://domain.example/feed
    domains: [https://domain.example]
  - name: 1999
    feed: https://1999.example/feed
    credit: ask
"""


def _problem_lines(follow_list, field):
    return [problem.line for problem in follow_list.problems if problem.field == field]


def test_good_entries_load_and_bad_ones_are_reported_by_line_and_field():
    follow_list = parse_follow_list(GOOD_AND_BAD)

    assert [source.name for source in follow_list.sources] == ["Ada's Bakery", "Two Feeds", "1999"]
    ada = follow_list.sources[0]
    assert ada.feeds == ("https://adasbakery.example/blog.atom",)
    assert ada.kind == "business"
    assert ada.handles == {
        "mastodon": "@ada@bakers.social",
        "bluesky": "ada.example",
        "linkedin": "adasbakery",
        "x": "@ada_bakes",
    }
    assert ada.tags == ("food", "local")
    assert ada.identity_labels == ("Black-owned", "woman-owned")
    assert ada.identity_source == "https://adasbakery.example/about"
    assert ada.domains == ("ada-cakes.example",)
    assert ada.notes == "met at the market"
    assert ada.line == 7
    assert follow_list.sources[1].feeds == (
        "https://two.example/posts.rss",
        "https://two.example/podcast.rss",
    )
    assert follow_list.sources[2].credit == "ask"

    messages = [str(problem) for problem in follow_list.problems]
    assert "feeds.yml line 19: `feed` is required: the URL of the source's RSS, Atom or JSON feed" in messages
    assert "feeds.yml line 22: `feed` must be an http(s) URL, not 'ftp://badfeed.example/rss'" in messages
    assert _problem_lines(follow_list, "name") == [23]
    assert _problem_lines(follow_list, "identity") == [27]
    assert _problem_lines(follow_list, "kind") == [31]
    assert _problem_lines(follow_list, "handles") == [35, 38]
    assert _problem_lines(follow_list, "feeed") == [40]
    assert [problem.line for problem in follow_list.problems if problem.field is None] == [41]
    assert _problem_lines(follow_list, "feed") == [19, 22, 39, 42]
    assert _problem_lines(follow_list, "domains") == [50]
    assert any('already listed under "Ada\'s Bakery"' in message for message in messages)
    assert any("`identity.source`" in message for message in messages)


def test_settings_are_read_and_goals_kept_as_plain_data():
    settings = parse_follow_list(GOOD_AND_BAD).settings

    assert settings.networks == ("mastodon", "bluesky", "linkedin")
    assert settings.mastodon_instance == "hachyderm.io"
    assert settings.goals == {"shares_per_week": 3, "group_targets": {"Black-owned": 0.2}}
    assert type(settings.goals["group_targets"]) is dict


def test_bad_settings_fall_back_to_defaults_with_a_problem():
    follow_list = parse_follow_list(
        "settings:\n  networks: [mastodon, friendster]\n  mastodon_instance: not a host\n  colour: blue\n"
        "sources: []\n"
    )

    assert follow_list.settings == Settings()
    assert [(problem.line, problem.field) for problem in follow_list.problems] == [
        (4, "colour"),
        (2, "networks"),
        (3, "mastodon_instance"),
    ]


@pytest.mark.parametrize(
    ("network", "handle", "stored"),
    [
        ("mastodon", "@ada@bakers.social", "@ada@bakers.social"),
        ("mastodon", "ada@bakers.social", "@ada@bakers.social"),
        ("mastodon", "@ada", None),
        ("bluesky", "ada.bsky.social", "ada.bsky.social"),
        ("bluesky", "@Ada.Example", "ada.example"),
        ("bluesky", "ada", None),
        ("x", "@ada_bakes", "@ada_bakes"),
        ("x", "a_name_far_too_long", None),
        ("linkedin", "adas-bakery", "adas-bakery"),
        ("threads", "@ada.bakes", "ada.bakes"),
        ("threads", "has space", None),
        ("myspace", "ada", None),
    ],
)
def test_handle_shapes(network, handle, stored):
    assert normalize_handle(network, handle) == stored


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("sources: [\n", "line 2: not valid YAML"),
        ("- just\n- a list\n", "expected a mapping with a `sources:` list"),
        ("", "expected a mapping"),
        ("sources: {name: x}\n", "line 1: `sources` must be a list"),
    ],
)
def test_unusable_files_raise_one_clear_error(tmp_path, text, fragment):
    path = tmp_path / "feeds.yml"
    path.write_text(text)

    with pytest.raises(FollowListError, match="feeds.yml") as raised:
        load_follow_list(path)
    assert fragment in str(raised.value)


def test_a_missing_file_says_how_to_point_at_one(tmp_path):
    with pytest.raises(FollowListError, match="--feeds or AMPLIFY_FEEDS"):
        load_follow_list(tmp_path / "nowhere.yml")


def test_a_file_with_no_sources_is_an_empty_follow_list():
    follow_list = parse_follow_list("settings:\n  networks: [mastodon]\nsources:\n")

    assert follow_list.sources == ()
    assert follow_list.problems == ()
    assert follow_list.settings.networks == ("mastodon",)


def test_the_shipped_feeds_yml_loads_cleanly():
    follow_list = load_follow_list(SHIPPED)

    assert follow_list.problems == ()
    assert follow_list.sources == ()
    assert follow_list.settings.networks


def test_words_yaml_1_1_took_for_booleans_stay_words_and_repeated_keys_are_problems():
    follow_list = parse_follow_list(
        "sources:\n"
        "  - name: no\n"
        "    feed: https://no.example/feed\n"
        "    tags: [on, off, yes, '1']\n"
        "    handles: {linkedin: 'y'}\n"
        "  - name: Twice\n"
        "    feed: https://twice.example/a\n"
        "    feed: https://twice.example/b\n"
    )

    (source,) = follow_list.sources
    assert source.name == "no"
    assert source.tags == ("on", "off", "yes", "1")
    assert [str(problem) for problem in follow_list.problems] == [
        "feeds.yml line 8: `feed` appears twice here; keep one"
    ]


def test_the_fast_reader_and_the_round_trip_reader_agree(tmp_path):
    from amplify.follow.edit import read_document
    from amplify.follow.validate import follow_list_from_document

    path = tmp_path / "feeds.yml"
    path.write_text(GOOD_AND_BAD)

    loaded = load_follow_list(path)
    assert loaded.digest is not None  # names the text it was read from; the document reader has no text
    assert follow_list_from_document(read_document(path)) == replace(loaded, digest=None)


def test_the_example_in_the_reference_loads_as_documented():
    reference = (SHIPPED.parent / "docs" / "feeds-yml.md").read_text()
    example = reference.split("```yaml\n", 1)[1].split("```", 1)[0]

    follow_list = parse_follow_list(example)

    assert follow_list.problems == ()
    assert [source.name for source in follow_list.sources] == ["Ada's Bakery", "Bea Builds"]
    assert follow_list.sources[0].handles["mastodon"] == "@ada@bakers.example.org"
    assert follow_list.settings.goals == {"shares_per_week": 3}


def test_a_misspelt_top_level_key_is_reported_not_silently_ignored():
    follow_list = parse_follow_list("source:\n  - name: Ada\n    feed: https://ada.example/feed\n")

    assert follow_list.sources == ()
    assert [str(problem) for problem in follow_list.problems] == [
        "feeds.yml line 1: unknown top-level key `source` (feeds.yml has `settings:` and `sources:`)"
    ]


def test_aliases_are_shared_not_multiplied_and_a_loop_is_refused():
    laughs = "x0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
        f"x{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 10)}]\n" for n in range(1, 30)
    )
    follow_list = parse_follow_list(
        laughs + "sources:\n  - name: Ada\n    feed: https://ada.example/feed\n    tags: &mine [food]\n"
        "  - name: Bea\n    feed: https://bea.example/feed\n    tags: *mine\n"
    )

    assert [source.tags for source in follow_list.sources] == [("food",), ("food",)]
    assert len(follow_list.problems) == 30
    with pytest.raises(FollowListError, match="alias refers to itself"):
        parse_follow_list("loop: &x [*x]\nsources: []\n")
