"""The parse path's shortcuts give exactly what the long way gives: squeezing white space with `str.split`, cleaning
HTML with cleaners built once, clearing an entry of a field's markup by a substring before running its pattern, and
keeping a time already written as amplify writes them.

Each is held to the long way over every real-world fixture, a sample of the feedfarm, and generated input."""

import re
import sys
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import feedparser
import nh3
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_parse_paths import feedfarm

from amplify.clock import to_iso
from amplify.parse import sanitize_html
from amplify.parse.clean import rfc3339_to_iso, squeeze
from amplify.parse.fast import _ID_ABOUT, _ID_TAG, _SOURCES, _entry_spans
from amplify.urls import safe_http_url

FIXTURES = Path(__file__).parent / "fixtures" / "feeds"
FEEDS = sorted(path for path in FIXTURES.iterdir() if path.suffix != ".md")


def squeezed_the_long_way(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def sanitized_the_long_way(markup: str, base: str | None) -> str:
    if not markup:
        return ""
    relative = ("rewrite_with_base", base) if safe_http_url(base) else "deny"
    return nh3.clean(markup, url_schemes={"http", "https", "mailto"}, url_relative=relative,
                     link_rel="noopener noreferrer").strip()


def farm_bodies() -> list[bytes]:
    farm = feedfarm().Farm(12, 20, 1, 0, "http://127.0.0.1:8080")
    return [body.raw for body in farm.bodies.values()]


def real_world_html() -> list[tuple[str, str | None]]:
    """Every summary and content of every fixture, as feedparser reads them, with the entry's link for a base."""
    found = []
    for path in FEEDS:
        parsed = feedparser.parse(path.read_bytes(), sanitize_html=False, resolve_relative_uris=False)
        for entry in parsed.entries:
            base = entry.get("link")
            found += [(entry.get("summary", ""), base), (entry.get("summary", ""), None)]
            found += [(part.get("value", ""), base) for part in entry.get("content") or []]
    return found


def test_squeezing_splits_on_exactly_what_a_regex_calls_white_space():
    for code in range(sys.maxunicode + 1):
        text = f" a{chr(code)}{chr(code)}b{chr(code)}"
        assert squeeze(text) == squeezed_the_long_way(text), hex(code)


@given(st.text(alphabet=st.sampled_from(" \t\n\r\x0b\x0c\x1c\x85\xa0\u2003\u3000ab<&é"), max_size=40) | st.text())
def test_squeezing_is_the_long_way_for_any_text(text):
    assert squeeze(text) == squeezed_the_long_way(text)


def test_sanitizing_every_real_world_summary_and_content_is_the_long_way():
    cases = real_world_html()
    assert len(cases) > 200
    for markup, base in cases:
        assert sanitize_html(markup, base) == sanitized_the_long_way(markup, base)


URL_VALUES = ["https://a.example/x", "HTTP://A.example", "/root", "rel/ative", "//other.example/p", "?q=1", "#top",
              "", " https://a.example/", "\thttps://a.example/", "ht\ttps://a.example/", "mailto:a@b.example",
              "javascript:alert(1)", "ftp://a.example/", "1http://a.example", "a+b.c-d:x", ":nothing", "data:,x",
              "https://a.example/a b", "..", "é:x", "https:", "http://[::1"]
ELEMENTS = ["a", "img", "area", "q", "blockquote", "form", "object", "video", "input", "span", "svg", "math"]
ATTRIBUTES = ["href", "src", "action", "data", "formaction", "ping", "poster", "cite", "title", "HREF", "Src"]


@st.composite
def html_with_urls(draw):
    pieces = []
    for _ in range(draw(st.integers(1, 4))):
        element = draw(st.sampled_from(ELEMENTS))
        attributes = " ".join(
            f'{name}="{value}"' if quoted else f"{name}={value.replace(' ', '') or 'x'}"
            for name, value, quoted in draw(st.lists(
                st.tuples(st.sampled_from(ATTRIBUTES), st.sampled_from(URL_VALUES), st.booleans()), max_size=3)))
        bare = draw(st.sampled_from(["", " href", " src"]))
        pieces.append(f"<{element} {attributes}{bare}>{draw(st.sampled_from(['text', '&amp;', '']))}</{element}>")
    return "".join(pieces)


@settings(max_examples=400)
@given(html_with_urls(), st.sampled_from([None, "", "https://creator.example/posts/1?x=y#z", "http://a.example",
                                          "not a url", "https://b.example/dir/"]))
def test_sanitizing_is_the_long_way_for_urls_of_every_kind(markup, base):
    assert sanitize_html(markup, base) == sanitized_the_long_way(markup, base)


def entry_markups() -> list[bytes]:
    bodies = [path.read_bytes() for path in FEEDS if path.suffix != ".json"] + farm_bodies()
    return [body[start:end] for body in bodies for start, end in _entry_spans(body)]


@pytest.mark.parametrize("field", sorted(_SOURCES))
def test_an_entry_is_cleared_of_a_field_only_where_its_pattern_finds_nothing(field):
    source = _SOURCES[field]
    markups = entry_markups()
    assert len(markups) > 300
    for markup in markups:
        assert source.in_markup(markup, markup.lower()) == (source.pattern.search(markup) is not None)


def holds_an_id(markup: bytes) -> bool:
    return bool(_ID_TAG.search(markup) or _ID_ABOUT.search(markup))


FRAGMENTS = ["<", ">", "/", ":", " ", "=", '"', "'", "media:", "dc:", "x.y-z:", "<![CDATA[", "]]>", "-->", "<!--",
             "about", "rel", "enclosure", "Enclosure", "thumbnail", "content", "CONTENT", "encoded", "body", "title",
             "guid", "id", "ID", "date", "pubDate", "updated", "modified", "published", "issued", "created",
             "author", "creator", "description", "summary", "abstract", "subtitle", "text", "link", "a", "\n", "é"]


@settings(max_examples=600)
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=30).map("".join))
def test_clearing_by_substring_agrees_with_every_pattern_on_any_markup(text):
    markup = text.encode()
    for field, source in _SOURCES.items():
        assert source.in_markup(markup, markup.lower()) == (source.pattern.search(markup) is not None), field
    assert holds_an_id(markup) == (_SOURCES["id"].pattern.search(markup) is not None)


def test_the_id_is_looked_for_in_halves_that_find_what_the_whole_finds():
    for markup in entry_markups():
        assert holds_an_id(markup) == (_SOURCES["id"].pattern.search(markup) is not None)


def converted_the_long_way(value: str) -> str | None:
    try:
        return to_iso(datetime.fromisoformat(value.strip()))
    except ValueError:
        return None


DIGITS = st.integers(0, 99).map("{:02d}".format)


@settings(max_examples=500)
@given(st.one_of(
    st.datetimes(timezones=st.just(UTC)).map(lambda moment: moment.replace(microsecond=0).isoformat()),
    st.datetimes(timezones=st.sampled_from([UTC, timezone(timedelta(hours=-5)), timezone(timedelta(0))]))
    .map(lambda moment: moment.isoformat(sep=" ") if moment.second % 2 else moment.isoformat()),
    st.builds("{:04d}-{}-{}T{}:{}:{}+00:00".format, st.integers(0, 9999), DIGITS, DIGITS, DIGITS, DIGITS, DIGITS),
    st.text(alphabet="0123456789-T:+Z. ", max_size=30),
))
def test_times_are_converted_as_the_long_way_converts_them(value):
    assert rfc3339_to_iso(value) == converted_the_long_way(value)
    assert rfc3339_to_iso(f" {value}\n") == converted_the_long_way(value)


def test_the_fixtures_hold_relative_urls_so_the_slow_way_is_taken_too():
    """Some real-world markup has relative URLs: the shortcut's fallback is exercised, not only its fast case."""
    relative = [(markup, base) for markup, base in real_world_html()
                if base and sanitized_the_long_way(markup, base) != sanitized_the_long_way(markup, None)]
    assert relative
    markup, base = relative[0]
    assert sanitize_html(markup, base) == sanitized_the_long_way(markup, base)
