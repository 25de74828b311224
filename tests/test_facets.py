"""Bluesky facets: byte offsets right for any text (a property test over emoji, combining marks and non-Latin
scripts), links, mentions and tags found as Bluesky's apps find them, and mentions resolved to DIDs."""

from hypothesis import given, settings
from hypothesis import strategies as st

from amplify.facets import facets, spans

PIECES = st.one_of(
    st.text(st.characters(exclude_categories=("Cs",)), max_size=12),
    st.sampled_from(["👩‍👩‍👧", "🍞", "🇩🇪", "e\u0301", "क्ष", "日本語", "مرحبا", "שלום", " ", "\n", "(", ")", ".", "#",
                     "@", "\u200d", "\ufe0f", "＃"]),
    st.builds(lambda path: f"https://ada.example/{path}", st.text("abc/_-(.)#?=é", max_size=10)),
    st.builds(lambda name: f"@{name}.bsky.social", st.text("abcxyz019-", min_size=1, max_size=8)),
    st.builds(lambda tag: f"#{tag}", st.text(st.characters(exclude_categories=("Cs", "Zs", "Cc")), max_size=8)),
)


@settings(max_examples=400, deadline=None)
@given(st.lists(PIECES, max_size=12))
def test_every_facets_bytes_decode_to_exactly_its_link_mention_or_tag(pieces):
    text = "".join(pieces)
    encoded = text.encode("utf-8")
    found = spans(text)
    for span in found:
        assert encoded[span.start:span.end].decode("utf-8") == span.text
        if span.kind == "link":
            assert span.text == span.value and span.value.startswith(("http://", "https://"))
        elif span.kind == "mention":
            assert span.text[0] == "@" and span.text[1:].lower() == span.value
        else:
            assert span.text[0] in "#＃" and span.text[1:] == span.value and not span.value.isdigit()
    assert all(before.end <= after.start for before, after in zip(found, found[1:], strict=False))


@settings(max_examples=200, deadline=None)
@given(st.text(st.characters(exclude_categories=("Cs",)), max_size=20), st.sampled_from(["🍞", "e\u0301", "日本"]))
def test_a_link_between_spaces_is_found_whole_whatever_comes_before_it(before, marker):
    url = "https://ada.example/sourdough?loaf=1"
    text = f"{before}{marker} {url} done"
    links = [span for span in spans(text) if span.kind == "link"]
    assert links and links[-1].value == url
    assert text.encode("utf-8")[links[-1].start:links[-1].end] == url.encode("utf-8")


def test_a_typical_post_gets_a_facet_for_its_mention_link_and_tag():
    text = "🍞 @ada.example: Three-day sourdough (https://ada.example/sourdough). #Bread #2026 #BlackOwned!"
    made = facets(text, {"ada.example": "did:plc:ada"}.get)
    assert [facet["features"][0] for facet in made] == [
        {"$type": "app.bsky.richtext.facet#mention", "did": "did:plc:ada"},
        {"$type": "app.bsky.richtext.facet#link", "uri": "https://ada.example/sourdough"},
        {"$type": "app.bsky.richtext.facet#tag", "tag": "Bread"},
        {"$type": "app.bsky.richtext.facet#tag", "tag": "BlackOwned"},
    ]
    assert made[0]["index"] == {"byteStart": 5, "byteEnd": 17}  # the loaf is 4 bytes, then a space


def test_a_handle_that_does_not_resolve_stays_plain_text_and_an_address_is_no_mention():
    made = facets("thanks @nobody.example and mail ada@bakery.example", lambda handle: None)
    assert made == []
    assert [span.kind for span in spans("write to ada@bakery.example or https://x.example/@ada#top")] == ["link"]
