"""Counting as the networks count: X against twitter-text's conformance suite, Mastodon against Mastodon.py's
`get_status_length` (a copy of Mastodon's own composer counter) and against the server's rules, Bluesky's bytes.

tests/fixtures/twitter-text/validate.yml is twitter-text's conformance/validate.yml (Apache-2.0, Copyright Twitter,
Inc.; LICENSE beside it). Its sections that describe today's weighted count are run case by case; `tweets` (the
140-character rules of configuration v1), `WeightedTweetsCounterTest` (v2, which counted emoji per code point) and
the entity validation sections (usernames, lists, hashtags, urls) are not about today's count and are left out.
"""

import random
from pathlib import Path

import pytest
import regex
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mastodon import Mastodon
from mastodon_drafts import draft, drafts

from amplify import counting
from amplify.compose import (
    NETWORKS,
    ComposeError,
    Limits,
    check_length,
    count,
    mastodon_limits,
)
from amplify.counting import count_mastodon, graphemes, top_level_domains, x_link_spans

CONFORMANCE = yaml.safe_load(
    (Path(__file__).parent / "fixtures" / "twitter-text" / "validate.yml").read_text(encoding="utf-8")
)["tests"]
WEIGHTED = [
    pytest.param(case, id=f"{section}: {case['description']}")
    for section in ("WeightedTweetsWithDiscountedEmojiCounterTest", "UnicodeDirectionalMarkerCounterTest")
    for case in CONFORMANCE[section]
]
FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"
FLAG = "\U0001f1ef\U0001f1f5"


# -- X -------------------------------------------------------------------------------------------------------


def test_the_conformance_sections_are_all_here():
    assert len(WEIGHTED) == 22 + 2


@pytest.mark.parametrize("case", WEIGHTED)
def test_x_counts_as_twitter_text(case):
    assert count(case["text"], "x") == case["expected"]["weightedLength"]
    assert check_length(case["text"], "x").fits == case["expected"]["valid"]


@pytest.mark.parametrize("case", CONFORMANCE["urls_without_protocol"], ids=lambda case: case["description"])
def test_x_counts_a_bare_domain_as_a_link(case):
    assert case["expected"] is True
    assert count(case["text"], "x") == 23


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("https://ada.example/menu", len("https://ada.example/menu")),  # .example is no top-level domain
        ("https://amzn.t", 14),  # a summary cut mid-link
        ("see adasbakery.com/menu.", 4 + 23 + 1),
        ("file.txt and notes.md", 8 + 5 + 23),  # .txt is no top-level domain; .md (Moldova) is
        ("http://" + "a" * 64 + ".com", 7 + 64 + 4),  # a label over 63 characters: no link
        ("https://t.co/abc/more", 23 + 5),  # a t.co link ends with its slug
        ("https://t.co/" + "a" * 41, 13 + 41),  # a slug over 40 characters: no link
        ("https://a_b.adasbakery.com", 23),  # `_` may appear before the domain name
        ("a_b.adasbakery.com", 2 + 23),  # but without a scheme only the ASCII domain after it is a link
        ("https://bäckerei.de/brot", 23),
        ("日本.jp", 2 + 2 + 1 + 2),  # without a scheme only an ASCII domain is a link
        ("-adasbakery.com", 1 + 14),  # a bare domain after - _ . / is not a link
        ("\u00a9 \u00a9\ufe0f", 1 + 1 + 2),  # © as text weighs 1; asked to show as emoji, 2
        ("\U0001f44d\u0301", 2 + 1),  # an emoji, then a combining mark of its own weight
        ("a\u20e3", 1 + 2),  # a keycap needs # * or a digit
        # An emoji sequence newer than twitter-text's last release (2020), which counts its parts (8), weighs 2
        ("\U0001f9d1\u200d\U0001f9d1\u200d\U0001f9d2", 2),
    ],
)
def test_x_links_and_weights(text, expected):
    assert count(text, "x") == expected


def test_x_refuses_its_invalid_characters():
    result = check_length("Bread\ufeff", "x")
    assert not result.fits and "U+FEFF" in result.reason


def test_every_known_top_level_domain_makes_a_link():
    domains = top_level_domains()
    assert {"com", "social", "onion", "香港", "онлайн"} <= set(domains) and len(domains) > 1500
    for domain in domains:
        assert count(f"https://twitter.{domain}", "mastodon") == 23, domain
        assert count(f"https://twitter.{domain}", "x") == 23, domain


def test_link_search_stays_quick_on_long_dotted_runs():
    # The pattern itself backtracks quadratically here; the search must not (a post is counted on every edit).
    link = "a." * 2000 + "com"  # at most 4096 characters, with https:// counted in
    text = " ".join([link] * 10)
    assert x_link_spans(text) == [(start, start + len(link)) for start in range(0, len(text), len(link) + 1)]
    assert count("a." * 20_000 + "com", "x") == 40_003  # too long to be a link
    assert count("日本." * 5000, "mastodon") == len("日本." * 5000)


# -- Mastodon ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Read http://tenearthshatteringbl", 5 + 27),  # cut mid-link: plain text to the server
        ("https://amzn.t", 14),
        ("https://amzn.to/3xYz", 23),
        ("https://ada.example/menu", 24),
        ("adasbakery.com", 14),  # no scheme: not a link on Mastodon
        ("gemini://adasbakery.com", 23),  # the server links more schemes than the composer
        ("https://adasbakery.com/a=b=", 23 + 1),  # the server ends a path before a final =
        ("https://" + "a" * 64 + ".com", 76),  # a label over 63 characters: the server does not link it
        ("https://t.co/" + "a" * 41, 54),  # nor a t.co slug over 40 characters
        # The server reads one bare domain up to the space and links nothing; its composer links https://a.co: the
        # larger count, the composer's, is the one to keep
        ("adasbakery.com/a…https://a.co", 17 + 23),
        ("@ada@bakers.social", 4),
        ("hi @ada@bakers.social!", 3 + 4 + 1),
        ("@ada", 4),
        ("=@ada@bakers.social", 19),  # after = it is no mention to the server
        ("@ada@bakers.social@x", 20),  # nor when another @ follows
        ("mail ada@bakers.social", 22),
        ("https://adasbakery.com/@ada@bakers.social", 23),  # a mention inside a link is part of the link
        (FAMILY + FLAG + "e\u0301", 3),
        ("\n" + FLAG, 2),  # a flag after a newline is still one character
        ("क्ष", 2),  # an Indic conjunct counts as its parts, as servers on Unicode before 15.1 count it
    ],
)
def test_mastodon_counts_as_the_server(text, expected):
    assert count(text, "mastodon") == expected


def test_the_content_warning_counts_too():
    assert count("Bread", "mastodon", content_warning="food " + FLAG) == 5 + 6
    at_limit = check_length("a" * 490, "mastodon", content_warning="b" * 10)
    assert at_limit.fits and "with the content warning" in at_limit.reason
    assert not check_length("a" * 490, "mastodon", content_warning="b" * 11).fits
    with pytest.raises(ComposeError, match="X posts have no content warning"):
        count("Bread", "x", content_warning="food")


def test_an_instances_own_limits_replace_the_defaults():
    instance = {"configuration": {"statuses": {"max_characters": 1000, "characters_reserved_per_url": 30}}}
    limits = mastodon_limits(instance)
    assert limits == Limits(characters=1000, url_length=30)
    assert count("see https://adasbakery.com/menu", "mastodon", limits=limits) == 4 + 30
    assert check_length("a" * 1000, "mastodon", limits=limits).fits
    over = check_length("a" * 1001, "mastodon", limits=limits)
    assert not over.fits and over.limit == 1000 and "1001 of 1000" in over.reason
    assert mastodon_limits({"configuration": {}}) == NETWORKS["mastodon"].limits == Limits(500, 23)


@pytest.mark.parametrize("value", [0, -5, "500", 12.5, True, None])
def test_an_instance_number_that_makes_no_sense_is_refused(value):
    with pytest.raises(ComposeError, match="max_characters"):
        mastodon_limits({"configuration": {"statuses": {"max_characters": value}}})


def reference_flag_error(text: str) -> int:
    """Mastodon.py counts with graphemeu, which splits a flag that follows a control character (a newline, a
    direction mark) into its two letters; Unicode's rules (GB12, GB13) and Mastodon's server keep it whole."""
    control = r"[\p{Grapheme_Cluster_Break=Control}\p{Grapheme_Cluster_Break=CR}\p{Grapheme_Cluster_Break=LF}]"
    return len(regex.findall(rf"(?<={control})\p{{Regional_Indicator}}{{2}}", text))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=drafts(glued=True) | st.text(max_size=300))
def test_mastodon_never_counts_fewer_than_its_own_composer(text):
    assert count_mastodon(text) >= Mastodon.get_status_length(text) - reference_flag_error(text)


def test_mastodon_agrees_with_its_own_composer_on_posts():
    # Where they differ, Mastodon's server counts more than its composer (a mention followed by ://, a link hidden
    # in a bare domain's path): test_mastodon_counts_as_the_server shows each rule.
    texts = [draft(random.Random(seed)) for seed in range(2000)]
    counts = [(count_mastodon(text), Mastodon.get_status_length(text) - reference_flag_error(text)) for text in texts]
    assert all(ours >= reference for ours, reference in counts)
    assert sum(ours == reference for ours, reference in counts) / len(counts) >= 0.99


# -- Bluesky -------------------------------------------------------------------------------------------------


def test_bluesky_also_limits_the_bytes():
    assert check_length("日" * 300, "bluesky").fits  # 900 bytes
    families = check_length(FAMILY * 121, "bluesky")  # 121 characters as seen, 3,025 bytes
    assert families.count == 121 and not families.fits
    assert "3025 of 3000 bytes" in families.reason
    assert check_length(FAMILY * 120, "bluesky").fits


@settings(max_examples=150, deadline=None)
@given(text=st.text(max_size=300))
def test_graphemes_split_only_where_unicode_or_a_conjunct_allows(text):
    assert "".join(graphemes(text)) == text
    assert len(regex.findall(r"\X", text)) <= len(graphemes(text)) <= len(text)


# -- the link search against the pattern it stands for -------------------------------------------------------

_LABEL = f"(?:{counting._HOST_CHARACTER.pattern}(?:[_-]|{counting._HOST_CHARACTER.pattern})*)?"
PLAIN_PATTERN = regex.compile(
    f"(?:{counting._BEFORE_LINK.pattern}|^)(?P<link>(?P<scheme>https?://)?"
    f"(?P<host>(?:{_LABEL}{counting._HOST_CHARACTER.pattern}\\.)*"
    f"(?:{_LABEL.replace('[_-]', '-')}{counting._HOST_CHARACTER.pattern}\\.)"
    f"(?:{counting._top_level_domain().pattern}))){counting._AFTER_HOST.pattern}",
    regex.IGNORECASE,
)
LABELS = ["a", "b", "a_b", "a-b", "-a", "a-", "_a", "日本", "com", "co", "jp", "onion", "xn--p1ai", "comx", ""]
AROUND = ["", " ", "/", "-", "_", ".", "@", "a", "\u200f", "(", "?", "http://", "HTTPS://", ":80", "/a=", "?q=1"]
DOTTED = st.lists(
    st.tuples(st.sampled_from(AROUND), st.lists(st.sampled_from(LABELS), min_size=1, max_size=5).map(".".join)),
    max_size=4,
).map(lambda parts: "".join(around + labels for around, labels in parts))


@settings(max_examples=1000, deadline=None)
@given(text=DOTTED)
def test_the_link_search_finds_what_the_pattern_matches(text):
    expected = [(match.start("link"), match.end()) for match in PLAIN_PATTERN.finditer(text)]
    found = [(match.start, match.end) for match in counting._link_matches(text, counting._TWITTER_TEXT)]
    assert found == expected
