"""The composer's rules: counting per network, credit, templates, quotes, hashtags and compose URLs."""

import unicodedata
from urllib.parse import parse_qs, urlsplit

import pytest
import regex
from hypothesis import given, settings
from hypothesis import strategies as st

from amplify.compose import (
    NETWORKS,
    ComposeError,
    InvalidHashtag,
    InvalidInstance,
    UnknownNetwork,
    UnknownTemplate,
    check_length,
    compose_url,
    count,
    credit_for,
    graphemes,
    hashtag,
    links_in,
    suggest_hashtags,
)
from amplify.counting import x_link_spans
from amplify.drafting import TEMPLATES, draft_text, quote_candidates, sentences
from amplify.types import Source

FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"  # ZWJ sequence of 7 code points
FLAG = "\U0001f1ef\U0001f1f5"  # two regional indicators
THUMB_DARK = "\U0001f44d\U0001f3fd"  # emoji + skin tone modifier
HEART = "\u2764\ufe0f"  # text-default symbol + emoji presentation selector
E_ACUTE_DECOMPOSED = "e\u0301"
LONG_URL = "https://adasbakery.com/blog/" + "a" * 200
ADA = "@ada@bakers.social"

COUNTS = [
    # (network, text, expected count)
    ("mastodon", "hello", 5),
    ("mastodon", LONG_URL, 23),
    ("mastodon", "http://x.co/", 23),
    # The server links only hosts under a known top-level domain: a made-up or cut-off one counts in full.
    ("mastodon", "https://ada.example/menu", 24),
    ("mastodon", "Read http://tenearthshatteringbl", 5 + 27),
    ("mastodon", "https://amzn.t", 14),
    ("mastodon", "adasbakery.com", 14),  # no scheme: not a link to Mastodon
    ("mastodon", ADA, 4),
    ("mastodon", f"hi {ADA}!", 8),
    ("mastodon", "mail ada@bakers.social", 22),  # not a mention: no leading @
    ("mastodon", f"{LONG_URL}/@ada@bakers.social", 23),  # a mention inside a link is part of the link
    ("mastodon", FAMILY, 1),
    ("mastodon", E_ACUTE_DECOMPOSED, 1),
    ("bluesky", "hello", 5),
    ("bluesky", LONG_URL, len(LONG_URL)),
    ("bluesky", FAMILY, 1),
    ("bluesky", FLAG + THUMB_DARK, 2),
    ("bluesky", "日本語", 3),
    ("bluesky", E_ACUTE_DECOMPOSED * 3, 3),
    ("bluesky", "q\u0307\u0323", 1),
    ("bluesky", ADA, len(ADA)),
    ("x", "hello", 5),
    ("x", "日本語", 6),
    ("x", "한국어", 6),
    ("x", FAMILY, 2),
    ("x", FLAG, 2),
    ("x", THUMB_DARK, 2),
    ("x", HEART, 2),
    ("x", "1\ufe0f\u20e3", 2),  # keycap sequence
    ("x", "\u00a9", 1),  # text-style copyright sign: a plain Latin-1 character
    ("x", E_ACUTE_DECOMPOSED, 1),  # NFC first: one code point
    ("x", "q\u0307\u0323", 3),  # no precomposed form: each code point weighs 1
    ("x", "\u201cquoted\u201d", 8),  # curly quotes are in the light range 8208-8223
    ("x", "wait\u2026", 6),  # the ellipsis (8230) is not
    ("x", f"see {LONG_URL} now", 4 + 23 + 4),
    ("x", f"{LONG_URL}.", 24),  # sentence punctuation is not part of the link
    ("x", "see adasbakery.com now", 4 + 23 + 4),  # X links a bare domain
    ("x", "https://amzn.t", 14),
    ("linkedin", FAMILY, 7),
    ("linkedin", LONG_URL, len(LONG_URL)),
    ("linkedin", E_ACUTE_DECOMPOSED, 1),
    ("threads", "日本語 " + LONG_URL, 4 + len(LONG_URL)),
]


@pytest.mark.parametrize(("network", "text", "expected"), COUNTS)
def test_count_follows_each_networks_rule(network, text, expected):
    assert count(text, network) == expected


@pytest.mark.parametrize(
    ("network", "unit", "limit"),
    [("mastodon", "a", 500), ("bluesky", "日", 300), ("x", "a", 280), ("x", "日", 140), ("x", FLAG, 140),
     ("linkedin", "a", 3000), ("threads", "a", 500)],
)
def test_exact_limit_fits_and_one_more_does_not(network, unit, limit):
    at_limit = check_length(unit * limit, network)
    assert at_limit.fits and at_limit.limit == NETWORKS[network].limit
    over = check_length(unit * (limit + 1), network)
    assert not over.fits
    assert "over" in over.reason and NETWORKS[network].label in over.reason


def test_threads_allows_at_most_five_links():
    five = " ".join(f"https://ada.example/{n}" for n in range(5))
    assert check_length(five, "threads").fits
    six = five + " https://ada.example/6"
    result = check_length(six, "threads")
    assert not result.fits
    assert "at most 5 links" in result.reason and "has 6" in result.reason


def test_unknown_network_is_a_clear_error():
    with pytest.raises(UnknownNetwork, match="choose one of mastodon"):
        count("x", "myspace")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Read https://ada.example/post.", ["https://ada.example/post"]),
        ("(see https://en.wikipedia.org/wiki/Bread_(food))", ["https://en.wikipedia.org/wiki/Bread_(food)"]),
        ("two: http://a.example/x, https://b.example/y?q=1&r=2!", ["http://a.example/x", "https://b.example/y?q=1&r=2"]),
        ("no links: ftp://a.example javascript:alert(1) www.ada.example", []),
        ("“https://ada.example/q”", ["https://ada.example/q"]),
    ],
)
def test_links_in(text, expected):
    assert links_in(text) == expected


# -- credit --------------------------------------------------------------------------------------------------

ADA_SOURCE = Source(
    "Ada's Bakery", ("https://ada.example/feed",), url="https://ada.example",
    handles={"mastodon": "@ada@bakers.social", "bluesky": "ada.example", "x": "@adasbakery",
             "linkedin": "adas"},
)


@pytest.mark.parametrize(
    ("credit", "network", "mention", "text", "needs_consent"),
    [
        ("tag", "mastodon", "@ada@bakers.social", "@ada@bakers.social", False),
        ("tag", "bluesky", "@ada.example", "@ada.example", False),
        ("tag", "x", "@adasbakery", "@adasbakery", False),
        ("tag", "linkedin", None, "Ada's Bakery", False),  # LinkedIn mentions cannot be typed into a share
        ("tag", "threads", None, "Ada's Bakery", False),  # no handle there: the name
        ("name", "mastodon", None, "Ada's Bakery", False),
        ("ask", "mastodon", None, "Ada's Bakery", True),
    ],
)
def test_credit_follows_the_creators_preference(credit, network, mention, text, needs_consent):
    source = Source(ADA_SOURCE.name, ADA_SOURCE.feeds, handles=ADA_SOURCE.handles, credit=credit)
    given = credit_for(source, network)
    assert (given.mention, given.text, given.needs_consent) == (mention, text, needs_consent)
    assert given.preference == credit


def test_name_only_credit_lists_the_mentions_to_leave_out():
    source = Source(ADA_SOURCE.name, ADA_SOURCE.feeds, handles=ADA_SOURCE.handles, credit="name")
    unwanted = credit_for(source, "bluesky").unwanted_mentions
    assert unwanted == ("@ada@bakers.social", "@ada.example", "@adasbakery")
    assert credit_for(ADA_SOURCE, "bluesky").unwanted_mentions == ()


def test_credit_reads_a_database_row_and_completes_a_bare_mastodon_handle():
    row = {"name": "Ada", "credit": "tag", "handles": {"mastodon": "ada@bakers.social", "x": "two words"}}
    assert credit_for(row, "mastodon").text == "@ada@bakers.social"
    assert credit_for(row, "x").text == "Ada"  # not a usable handle: fall back to the name
    assert credit_for({"name": "Ada", "handles": {"mastodon": "@ada"}}, "mastodon").text == "Ada"


# -- templates -----------------------------------------------------------------------------------------------

QUOTE = "Our bread takes three days, and every loaf is shaped by hand."
FIRST_PERSON = {"i", "me", "my", "we", "our", "i'm", "i've"}


@pytest.mark.parametrize("template", list(TEMPLATES))
@pytest.mark.parametrize("network", list(NETWORKS))
def test_templates_put_the_creator_first_and_fit(template, network):
    credit = credit_for(ADA_SOURCE, network)
    text = draft_text(
        title="Three-day sourdough", url="https://ada.example/sourdough", creator=credit, quote=QUOTE,
        hashtags=["#BlackOwnedBusiness", "#Bread"], network=network, template=template,
    )
    assert check_length(text, network).fits
    assert credit.text in text and "https://ada.example/sourdough" in text
    assert text.splitlines()[-1] == "#BlackOwnedBusiness #Bread"
    if template == "quote_first":
        assert text.startswith(f"“{QUOTE}”")
        assert text.index(QUOTE) < text.index(credit.text) < text.index("Three-day")
    else:
        assert text.startswith(credit.text)
    outside_quote = text.replace(QUOTE, "").lower().split()
    assert not FIRST_PERSON & set(outside_quote)


def test_quote_first_without_a_quote_falls_back_to_link_first():
    credit = credit_for(ADA_SOURCE, "bluesky")
    text = draft_text(title="Rye", url="https://ada.example/rye", creator=credit, quote=None, hashtags=[],
                      network="bluesky", template="quote_first")
    assert text == "@ada.example: Rye\nhttps://ada.example/rye"


def test_a_long_draft_drops_the_quote_then_shortens_the_title_to_fit():
    credit = credit_for(ADA_SOURCE, "x")
    title = " ".join(["sourdough"] * 40)
    text = draft_text(title=title, url="https://ada.example/s", creator=credit, quote=QUOTE * 3,
                      hashtags=["#Bread"], network="x", template="quote_first")
    assert check_length(text, "x").fits
    assert QUOTE not in text and "…" in text
    assert text.startswith("@adasbakery: sourdough") and text.endswith("#Bread")


def test_unknown_template_is_a_clear_error():
    with pytest.raises(UnknownTemplate, match="link_first"):
        draft_text(title="t", url="https://a.example", creator=credit_for(ADA_SOURCE, "x"), quote=None,
                   hashtags=[], network="x", template="fancy")


# -- quotes --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Dr. Okafor opened the shop. It sells maps.", ["Dr. Okafor opened the shop.", "It sells maps."]),
        ("We met J. R. Lee in the U.S. last May. Then we left!", ["We met J. R. Lee in the U.S. last May.",
                                                                   "Then we left!"]),
        ("Spices, e.g. cumin, cost 3.50 each. Really?", ["Spices, e.g. cumin, cost 3.50 each.", "Really?"]),
        ("Read https://ada.example/a.b now. Next one.", ["Read https://ada.example/a.b now.", "Next one."]),
        ("He said “Come in.” She did.", ["He said “Come in.”", "She did."]),
        ("今日は晴れ。明日は雨？そうです！", ["今日は晴れ。", "明日は雨？", "そうです！"]),
        ("No ending punctuation", ["No ending punctuation"]),
        ("", []),
    ],
)
def test_sentences(text, expected):
    assert sentences(text) == expected


def test_quote_candidates_are_whole_sentences_of_the_creators_words():
    summary = (
        "Our bakery opened in 1998 on Main St. in Oakland.  Hi! https://ada.example/menu. "
        "Every loaf is shaped by hand, before dawn, by our family. We are closed on Mondays and open "
        "every other day of the week for the neighbourhood and anyone who [...]"
    )
    assert quote_candidates(summary) == [
        "Our bakery opened in 1998 on Main St. in Oakland.",
        "Every loaf is shaped by hand, before dawn, by our family.",
    ]
    assert quote_candidates(summary, limit=1) == ["Our bakery opened in 1998 on Main St. in Oakland."]
    assert quote_candidates("x" * 300 + ".") == []


# -- hashtags ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("black owned business", "#BlackOwnedBusiness"),
        ("Black-owned", "#BlackOwned"),
        ("women's history month", "#WomensHistoryMonth"),
        ("#already", "#Already"),
        ("LGBTQ+ creators", "#LGBTQCreators"),
        ("café culture", "#CaféCulture"),
        ("  food, local & <b>fresh</b>! ", "#FoodLocalBFreshB"),
        ("pride 2026", "#Pride2026"),
        ("日本 料理", "#日本料理"),
    ],
)
def test_hashtag_is_camel_case_without_breaking_characters(text, expected):
    assert hashtag(text) == expected


@pytest.mark.parametrize("text", ["", "!!!", "2026", "#"])
def test_hashtag_refuses_what_cannot_be_a_tag(text):
    with pytest.raises(InvalidHashtag):
        hashtag(text)


def test_suggest_hashtags_dedupes_skips_bad_and_caps():
    assert suggest_hashtags(["food", "Food", "2026", "local food", "bread", "more"]) == [
        "#Food", "#LocalFood", "#Bread"
    ]
    assert suggest_hashtags(["a b", "c"], limit=1) == ["#AB"]


# -- share links ---------------------------------------------------------------------------------------------

TRICKY = "Ada & Co: 100% #Bread?\nhttps://ada.example/p?a=1&b=2 日本 👍🏽 @ada@bakers.social"


@pytest.mark.parametrize(
    ("network", "prefix"),
    [
        ("mastodon", "https://mastodon.social/share?text="),
        ("bluesky", "https://bsky.app/intent/compose?text="),
        ("x", "https://twitter.com/intent/tweet?text="),
        ("threads", "https://www.threads.net/intent/post?text="),
    ],
)
def test_compose_url_carries_the_exact_text(network, prefix):
    built = compose_url(network, TRICKY)
    assert built.startswith(prefix)
    assert not {" ", "\n", "#", "&"} & set(built.removeprefix(prefix))
    assert parse_qs(urlsplit(built).query) == {"text": [TRICKY]}


def test_compose_url_appends_the_link_when_the_text_lacks_it():
    built = compose_url("bluesky", "Ada's new loaf", url="https://ada.example/p")
    assert parse_qs(urlsplit(built).query)["text"] == ["Ada's new loaf\nhttps://ada.example/p"]
    again = compose_url("bluesky", "See https://ada.example/p", url="https://ada.example/p")
    assert parse_qs(urlsplit(again).query)["text"] == ["See https://ada.example/p"]
    slash = compose_url("bluesky", "See https://ada.example/p/.", url="https://ada.example/p")
    assert parse_qs(urlsplit(slash).query)["text"] == ["See https://ada.example/p/."]


def test_linkedin_takes_only_the_url():
    built = compose_url("linkedin", "ignored text", url="https://ada.example/p?a=1&b=2")
    assert built == "https://www.linkedin.com/sharing/share-offsite/?url=https%3A%2F%2Fada.example%2Fp%3Fa%3D1%26b%3D2"
    for bad in (None, "javascript:alert(1)", "ada.example/p"):
        with pytest.raises(ComposeError, match="needs the item's http"):
            compose_url("linkedin", "text", url=bad)


@pytest.mark.parametrize(
    ("instance", "host"),
    [("mastodon.social", "mastodon.social"), ("Hachyderm.IO", "hachyderm.io"),
     ("bäckerei.social", "xn--bckerei-5wa.social"), ("social.example.org.", "social.example.org")],
)
def test_compose_url_uses_the_instance(instance, host):
    assert urlsplit(compose_url("mastodon", "hi", instance=instance)).netloc == host


@pytest.mark.parametrize(
    "instance",
    ["https://mastodon.social", "mastodon.social/share", "mastodon.social?x=1", "evil.example#", "a b.social",
     "ada@evil.example", "mastodon.social:8080", "localhost", "-bad.social", "", "..", "evil.example/\\@x"],
)
def test_compose_url_refuses_an_instance_that_is_not_a_bare_host(instance):
    with pytest.raises(InvalidInstance, match="bare host"):
        compose_url("mastodon", "hi", instance=instance)


# -- properties ----------------------------------------------------------------------------------------------

texts = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=300)


@settings(max_examples=150, deadline=None)
@given(text=texts.filter(str.strip), network=st.sampled_from(["mastodon", "bluesky", "x", "threads"]))
def test_compose_url_round_trips_any_text(text, network):
    query = parse_qs(urlsplit(compose_url(network, text)).query, keep_blank_values=True, strict_parsing=True)
    assert query == {"text": [text]}


@settings(max_examples=150, deadline=None)
@given(text=texts)
def test_counts_agree_with_their_definitions(text):
    assert count(text, "bluesky") == len(graphemes(text))
    assert count(text, "linkedin") == count(text, "threads") == len(unicodedata.normalize("NFC", text))
    if not x_link_spans(unicodedata.normalize("NFC", text)):
        # Every user-perceived character weighs 1 or 2 on X (an emoji sequence, 2 in all).
        clusters = len(graphemes(unicodedata.normalize("NFC", text)))
        assert clusters <= count(text, "x") <= 2 * len(unicodedata.normalize("NFC", text))


@settings(max_examples=150, deadline=None)
@given(text=texts)
def test_hashtags_are_well_formed_and_stable(text):
    try:
        tag = hashtag(text)
    except InvalidHashtag:
        return
    assert regex.fullmatch(r"#[\p{L}\p{N}\p{M}]+", tag) and regex.search(r"\p{L}", tag)
    assert hashtag(tag) == tag


@settings(max_examples=60, deadline=None)
@given(
    title=st.text(max_size=400), quote=st.none() | st.text(max_size=400),
    network=st.sampled_from(list(NETWORKS)), template=st.sampled_from(list(TEMPLATES)),
)
def test_a_draft_starts_within_the_limit_and_with_the_credit_and_link(title, quote, network, template):
    credit = credit_for(ADA_SOURCE, network)
    text = draft_text(title=title, url="https://ada.example/p", creator=credit, quote=quote,
                      hashtags=["#Bread"], network=network, template=template)
    assert check_length(text, network).fits
    assert credit.text in text and "https://ada.example/p" in links_in(text)
