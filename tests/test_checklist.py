"""Each check of the share checklist on table-driven cases: pure `evaluate`, no database, no network."""

from dataclasses import replace
from datetime import timedelta

import pytest
from support import FIXED_NOW

from amplify.attestations import ATTESTATION_IDS
from amplify.checklist import (
    ATTESTATIONS,
    CHECKS,
    CHECKS_BY_ID,
    TEXT_BOUND_ATTESTATIONS,
    InvalidPostURL,
    ShareContext,
    ShareRefused,
    StoredProbe,
    centering_notes,
    evaluate,
    hashtag_problems,
    own_hosts,
    required_attestations,
    site_verdict,
    valid_attestations,
    validate_post_url,
)
from amplify.compose import Credit
from amplify.types import Attestation

ITEM_URL = "https://ada.example/sourdough"
TEXT = "@ada@bakers.social: Three-day sourdough\nhttps://ada.example/sourdough\n\n#Bread #BlackOwnedBusiness"
ALL_ATTESTED = frozenset(ATTESTATION_IDS)
HOSTS = own_hosts("https://www.ada.example/", ["https://feeds.ada.example/atom"], ["adabakes.example"])


def probe(*, ok=True, status=200, final_url=ITEM_URL, redirects=0, error=None, age=timedelta(hours=1)):
    return StoredProbe(ITEM_URL, ok, status, final_url, redirects, error, FIXED_NOW - age)


def context(**changes) -> ShareContext:
    base = ShareContext(
        text=TEXT,
        network="mastodon",
        text_version=3,
        source_name="Ada's Bakery",
        credit=Credit("Ada's Bakery", "tag", mention="@ada@bakers.social"),
        item_url=ITEM_URL,
        published_at=FIXED_NOW - timedelta(days=2),
        own_hosts=HOSTS,
        probe=probe(),
        attested=ALL_ATTESTED,
    )
    return replace(base, **changes)


def result(ctx: ShareContext, check_id: str):
    found = [r for r in evaluate(ctx, now=FIXED_NOW) if r.check.id == check_id]
    assert len(found) == 1, f"{check_id} not evaluated"
    return found[0]


def test_a_complete_post_passes_every_check():
    results = evaluate(context(), now=FIXED_NOW)
    assert [r.check.id for r in results if not r.passed] == []
    assert [r.check.id for r in results] == [c.id for c in CHECKS if c.id != "creator_agreed"]


def test_checks_are_described_and_match_the_stored_attestation_ids():
    assert {c.id for c in ATTESTATIONS} == set(ATTESTATION_IDS)
    assert set(CHECKS_BY_ID) == {c.id for c in CHECKS} and len(CHECKS) == len(CHECKS_BY_ID)
    for check in CHECKS:
        assert check.label and check.why.endswith(".") and len(check.why) < 120
        assert check.kind in ("automatic", "attested") and check.severity in ("blocking", "advisory")
    advisory = {c.id for c in CHECKS if c.severity == "advisory"}
    assert advisory == {"centering", "freshness"}
    assert set(ATTESTATION_IDS) >= TEXT_BOUND_ATTESTATIONS


@pytest.mark.parametrize(
    ("changes", "passed", "detail"),
    [
        ({}, True, "it opened (status 200)"),
        ({"probe": probe(redirects=2)}, True, "after 2 redirects"),
        ({"probe": None}, False, "not checked yet: check the link first"),
        ({"probe": probe(age=timedelta(hours=24))}, True, "opened"),
        ({"probe": probe(age=timedelta(hours=24, seconds=1))}, False, "checked 24 hours ago: check it again"),
        ({"probe": probe(ok=False, status=404, error="not found (404)")}, False, "did not open: not found"),
        ({"probe": probe(ok=False, status=None, error="no answer within 20 s")}, False, "no answer"),
        ({"item_url": None, "probe": None}, False, "no web link"),
    ],
)
def test_link_resolves(changes, passed, detail):
    found = result(context(**changes), "link_resolves")
    assert found.passed is passed and detail in found.detail


@pytest.mark.parametrize(
    ("url", "passed", "detail"),
    [
        ("https://ada.example/p", True, "their own site"),
        ("https://www.ada.example/p", True, "their own site"),
        ("http://shop.ada.example:8080/p", True, "their own site"),
        ("https://feeds.ada.example/item", True, "their own site"),
        ("https://blog.adabakes.example/p", True, "their own site"),
        ("https://ADA.EXAMPLE./p", True, "their own site"),
        ("https://notada.example/p", False, "not one of their own sites (ada.example, feeds.ada.example"),
        ("https://ada.example.evil.test/p", False, "not one of their own sites"),
        ("https://bit.ly/3xYz", False, "bit.ly is a link shortener"),
        ("https://t.co/abc", False, "link shortener"),
        ("https://lnkd.in/abc", False, "link shortener"),
        ("https://web.archive.org/web/2026/https://ada.example/p", False, "shows a copy of their work"),
        ("https://news.google.com/articles/x", False, "shows a copy"),
        ("https://ada-example.translate.goog/p", False, "shows a copy"),
        (None, False, "no web link"),
        ("not a url", False, "no web link"),
    ],
)
def test_site_verdict(url, passed, detail):
    verdict, reason = site_verdict(url, HOSTS)
    assert verdict is passed and detail in reason


def test_a_shortener_the_user_listed_as_a_domain_is_still_refused():
    assert site_verdict("https://bit.ly/x", own_hosts(None, [], ["bit.ly"]))[0] is False


@pytest.mark.parametrize(
    ("changes", "passed", "detail"),
    [
        ({}, True, "their own site"),
        ({"probe": probe(final_url="http://localhost:8000/moved")}, False, "localhost is not one of their"),
        ({"item_url": "https://bit.ly/abc", "probe": probe(final_url=ITEM_URL)}, False, "link shortener"),
        ({"item_url": "https://news.google.com/a", "probe": probe(final_url=ITEM_URL)}, False, "a copy"),
        ({"probe": probe(final_url="https://shop.ada.example/p")}, True, "it redirects: on shop.ada.example"),
        # Without a usable probe, the item's own link is judged (link_resolves blocks meanwhile).
        ({"probe": None}, True, "their own site"),
        ({"probe": probe(ok=False, final_url="https://elsewhere.example/")}, True, "their own site"),
    ],
)
def test_link_on_own_site_judges_where_the_link_ends(changes, passed, detail):
    found = result(context(**changes), "link_on_own_site")
    assert found.passed is passed and detail in found.detail


@pytest.mark.parametrize(
    ("changes", "passed", "detail"),
    [
        ({}, True, "links the original"),
        ({"text": "@ada@bakers.social: sourdough https://ada.example/sourdough/."}, True, "links the"),
        ({"text": "@ada@bakers.social: sourdough https://ada.example/"}, False, ITEM_URL),
        ({"text": "@ada@bakers.social: sourdough https://ada.example/sourdough-2"}, False, "add the link"),
        ({"text": "@ada@bakers.social: no link", "network": "linkedin"}, True, "carries the link itself"),
        ({"item_url": None}, False, "no web link"),
    ],
)
def test_links_original(changes, passed, detail):
    found = result(context(**changes), "links_original")
    assert found.passed is passed and detail in found.detail


ASK = Credit("Ada's Bakery", "ask", needs_consent=True)
NAME = Credit("Ada's Bakery", "name", unwanted_mentions=("@ada@bakers.social", "@ada.example"))


@pytest.mark.parametrize(
    ("changes", "passed", "detail"),
    [
        ({}, True, "mentions @ada@bakers.social"),
        ({"text": TEXT.upper()}, True, "mentions"),
        ({"text": TEXT.replace("@ada@bakers.social", "Ada's Bakery")}, False, "likes to be tagged"),
        ({"text": TEXT.replace("@ada@bakers.social", "@ada@bakers.socialist")}, False, "mention @ada@"),
        ({"credit": NAME, "text": "Ada's Bakery: " + ITEM_URL}, True, "names Ada's Bakery"),
        ({"credit": NAME, "text": "Ada's Bakery's loaf " + ITEM_URL}, True, "names"),
        ({"credit": NAME, "text": "Ada's Bakeryland " + ITEM_URL}, False, "name Ada's Bakery in the post"),
        ({"credit": NAME, "text": "Ada's Bakery @ada.example " + ITEM_URL}, False, "not tagged: take out"),
        ({"credit": NAME, "text": "Ada's Bakery @ada.examples " + ITEM_URL}, True, "names"),
        ({"credit": ASK, "text": "Ada's Bakery: " + ITEM_URL}, True, "names"),
        ({"credit": ASK, "text": "Ada's Bakery: " + ITEM_URL, "attested": ALL_ATTESTED - {"creator_agreed"}},
         False, "asked to be asked first"),
    ],
)
def test_credits_creator(changes, passed, detail):
    found = result(context(**changes), "credits_creator")
    assert found.passed is passed and detail in found.detail


@pytest.mark.parametrize(
    ("network", "text", "passed", "detail"),
    [
        ("mastodon", TEXT, True, "of 500"),
        ("x", "日" * 141, False, "2 over X's limit"),
        ("bluesky", "👍🏽" * 300, True, "300 of 300"),
        ("threads", " ".join(f"https://ada.example/{n}" for n in range(6)), False, "at most 5 links"),
        ("mastodon", "  \n ", False, "the post is empty"),
    ],
)
def test_length_fits(network, text, passed, detail):
    found = result(context(network=network, text=text), "length_fits")
    assert found.passed is passed and detail in found.detail


@pytest.mark.parametrize(
    ("text", "problems"),
    [
        ("Ada's loaf https://ada.example/#crumb", []),
        ("Ada's loaf\n#Bread #BlackOwned", []),
        ("Ada's loaf #Bread #BlackOwned", []),
        ("Ada's loaf #Bread.", []),
        ("#Bread\nAda's loaf", []),  # a line of tags only is fine anywhere
        ("Ada's loaf for #Bread lovers", ["#Bread sits inside a sentence"]),
        ("Ada's loaf #Bread\nhttps://ada.example/", []),
        ("Try #Bread. It is good.\nhttps://ada.example/", ["#Bread. sits inside a sentence"]),
        ("Loaf\n#A #B #C #D", ["4 hashtags: keep at most 3"]),
        ("Loaf #blackownedbusiness", ["#blackownedbusiness: capitalise each word"]),
        ("Loaf #bakery #Sustainability #日本料理", []),
        ("Loaf #sustainability", ["capitalise each word"]),
        ("Ada & Co. #1 bakery &#38; more", ["#1 sits inside a sentence"]),
    ],
)
def test_hashtag_problems(text, problems):
    found = hashtag_problems(text)
    assert len(found) == len(problems)
    for line, expected in zip(found, problems, strict=True):
        assert expected in line


def test_hashtags_check_reports_each_problem():
    found = result(context(text=TEXT.replace("Three-day", "#Three-day") + " #A #B"), "hashtags")
    assert not found.passed
    assert "5 hashtags" in found.detail and "#Three-day sits inside a sentence" in found.detail


@pytest.mark.parametrize(
    ("changes", "passed", "detail"),
    [
        ({}, True, "no image attached"),
        ({"image_url": "https://ada.example/loaf.jpg"}, False, "describe the image"),
        ({"image_url": "https://ada.example/loaf.jpg", "alt_text": "  "}, False, "describe the image"),
        ({"image_url": "https://ada.example/loaf.jpg", "alt_text": "A round loaf"}, True, "described"),
    ],
)
def test_image_alt(changes, passed, detail):
    found = result(context(**changes), "image_alt")
    assert found.passed is passed and detail in found.detail


@pytest.mark.parametrize(
    ("text", "notes"),
    [
        ("Ada's Bakery: “We bake at dawn, and I love it.” https://ada.example/", []),
        ("I love this. I think we should all go. Ada's Bakery", ["words about you"]),
        ("I love what Ada's Bakery makes: “Every loaf by hand.”", []),
        ("So proud to support Ada's Bakery!", ["“So proud to support”: puts your pride at the center"]),
        ("Ada's Bakery gives a voice to the voiceless", ["they have a voice"]),
        ("Giving back to the community by sharing Ada's Bakery", ["frames the share as your charity"]),
        ("Shining a light on Ada's Bakery, empowering them", ["invisible until", "casts them as needing"]),
        ("Ada's Bakery: “giving back to our neighbours is who we are”", []),  # their words, not framing
        ("Ada’s Bakery, for those less fortunate", ["defines them by what they lack"]),
        ("Helping these bakers: Ada's Bakery", ["puts your help first"]),
        ("My my my Ada's Bakery", ["3 words about you (I, me, we...) against 1 mention of them and 0 of"]),
        ("I made my morning better", ["2 words about you (I, me, we...) against 0 mentions of them"]),
    ],
)
def test_centering_notes(text, notes):
    found = centering_notes(text, ["Ada's Bakery", "@ada@bakers.social"])
    assert len(found) == len(notes), found
    for line, expected in zip(found, notes, strict=True):
        assert expected in line


def test_centering_is_advisory_and_never_blocks():
    ctx = context(text=TEXT + "\nSo proud to support them! I love it, my favourite.")
    found = result(ctx, "centering")
    assert not found.passed and not found.blocks and "so proud to support" in found.detail.lower()


@pytest.mark.parametrize(
    ("published", "passed", "detail"),
    [
        (FIXED_NOW, True, "published today"),
        (FIXED_NOW - timedelta(days=1), True, "published 1 day ago"),
        (FIXED_NOW - timedelta(days=30), True, "30 days ago"),
        (FIXED_NOW - timedelta(days=31), False, "published 31 days ago: say when it is from"),
        (None, False, "gives no date"),
    ],
)
def test_freshness(published, passed, detail):
    found = result(context(published_at=published), "freshness")
    assert found.passed is passed and detail in found.detail and not found.blocks


def test_attestations_required_and_consent_only_when_asked():
    assert [c.id for c in required_attestations(context())] == [
        "read_whole", "checked_source", "traced_claims", "meant_public", "their_words_first",
    ]
    assert "creator_agreed" in [c.id for c in required_attestations(context(credit=ASK))]
    results = evaluate(context(attested=frozenset({"read_whole"})), now=FIXED_NOW)
    missing = [r for r in results if not r.passed]
    assert [r.check.id for r in missing] == [
        "checked_source", "traced_claims", "meant_public", "their_words_first",
    ]
    assert all(r.blocks for r in missing)


@pytest.mark.parametrize(
    ("rows", "version", "valid"),
    [
        ([("read_whole", 1), ("their_words_first", 1)], 1, {"read_whole", "their_words_first"}),
        ([("read_whole", 1), ("their_words_first", 1)], 2, {"read_whole"}),
        ([("traced_claims", 1), ("creator_agreed", 1), ("meant_public", 1)], 2, {"meant_public"}),
        ([("checked_source", 3)], 2, set()),  # given for a later text than this one
        ([("their_words_first", 2)], 2, {"their_words_first"}),
    ],
)
def test_editing_resets_only_the_text_bound_attestations(rows, version, valid):
    given = [Attestation(check_id, v, "2026-11-20T09:00:00+00:00") for check_id, v in rows]
    assert valid_attestations(given, version) == valid


def test_share_refused_names_every_reason():
    results = [r for r in evaluate(context(probe=None, attested=frozenset()), now=FIXED_NOW) if r.blocks]
    error = ShareRefused(results)
    message = str(error)
    assert message.startswith("Not marked shared yet.")
    assert "- The link opens: not checked yet" in message
    assert "- I read the whole piece, not just the headline: confirm it" in message
    assert "- Their words come first; I am not speaking for them: confirm it for the text as it is now" in (
        message
    )
    assert error.failures == results


@pytest.mark.parametrize(
    ("given", "cleaned"),
    [(None, None), ("", None), ("   ", None), (" https://bakers.social/@me/1 ", "https://bakers.social/@me/1"),
     ("http://x.example/p", "http://x.example/p")],
)
def test_post_url_accepted(given, cleaned):
    assert validate_post_url(given) == cleaned


@pytest.mark.parametrize(
    "given",
    ["javascript:alert(1)", "bakers.social/@me/1", "https://", "ftp://x.example/p", "https://a b.example/",
     "data:text/html,hi", "https://x.example/\x1b[2Jp"],
)
def test_post_url_refused(given):
    with pytest.raises(InvalidPostURL, match="paste the full link"):
        validate_post_url(given)


def test_the_checklist_asks_for_exactly_the_attestations_the_store_records():
    assert tuple(check.id for check in ATTESTATIONS) == ATTESTATION_IDS


def test_every_automatic_check_carries_its_function_and_no_attested_one_does():
    assert all((check.run is not None) == (check.kind == "automatic") for check in CHECKS)
