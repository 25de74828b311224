"""Display hygiene: what a feed writes reorders nothing outside its own field, URLs carry no direction controls, a
long title is cut for display only, and a title escaped twice never comes out of the parser as a tag.

The rendering checks use the real thing: the app's pages through AppTest, and for how text is laid out, the
browser the app is used in (Chromium), which implements Unicode's bidirectional algorithm.
"""

import html
import os
import re
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from pages import follow_list_beside, open_page
from review_fixtures import add_item, add_source
from streamlit.testing.v1 import AppTest
from support import source_by_name

from amplify.parse import parse_feed
from amplify.report_render import render_markdown

FSI, PDI = "\u2068", "\u2069"
CHROMIUM = "/usr/bin/chromium"
OPENERS = {"LRE": "PDF", "RLE": "PDF", "LRO": "PDF", "RLO": "PDF", "LRI": "PDI", "RLI": "PDI", "FSI": "PDI"}

# An override left open: shown as it comes, it reverses everything after it on the line ("gnp.exe" reads "exe.png").
HOSTILE_NAME = "Ada\u202e: gnp.exe"
# A stray isolate closer (which would end an isolate around it early), then an override.
HOSTILE_TITLE = "Fresh bread\u2069\u202e gnp.exe"
HOSTILE_AUTHOR = "\u202bMallory\u2067"

# Real text and the controls and joiners it needs; each must come through exactly.
REAL_TEXT = {
    "Arabic with an English name in an isolate": "افتتحنا \u2066Ada's Bakery\u2069 اليوم",
    "Arabic with right-to-left marks": "مخبز عائشة\u200f (2024)\u200f",
    "Hebrew with an embedding": "\u202bשלום C++ עולם\u202c",
    "Hebrew and English, unmarked": "Ada's Bakery בתל אביב",
    "Persian with zero-width non-joiners": "نان\u200cهای تازه می\u200cخواهم",
    "Devanagari with a virama and a joiner": "नमस्ते, क्\u200dष और क्षत्रिय",
    "emoji sequences": "Chef \U0001f469\u200d\U0001f373 and family \U0001f468\u200d\U0001f469\u200d\U0001f467",
}


def open_controls_left(text: str) -> list[str]:
    """The embeddings, overrides and isolates `text` opens and leaves open, or a closer it has with nothing of
    its own to close (one that would close something outside it), in the way UAX #9 pairs them."""
    still_open: list[str] = []
    for character in text:
        kind = unicodedata.bidirectional(character)
        if kind in OPENERS:
            still_open.append(OPENERS[kind])
        elif kind == "PDF" and still_open and still_open[-1] == "PDF":
            still_open.pop()
        elif kind == "PDI":
            if "PDI" not in still_open:
                return ["a stray PDI"]
            while still_open.pop() != "PDI":
                pass
    return still_open


def markdown_text(markdown: str) -> str:
    """What Streamlit shows for escaped Markdown: the text without its backslash escapes."""
    return re.sub(r"\\(.)", r"\1", markdown)


# -- the core function, with real text ------------------------------------------------------------------------


@pytest.mark.parametrize("text", REAL_TEXT.values(), ids=REAL_TEXT.keys())
def test_real_text_keeps_every_control_and_joiner_it_needs(text):
    from amplify.display import display_title, isolated

    for shown in (isolated(text), display_title(text)):
        inner = shown.removeprefix(FSI).removesuffix(PDI)
        assert inner == text  # nothing dropped, nothing added inside
        assert open_controls_left(shown) == []
        right_to_left = any(unicodedata.bidirectional(character) in ("R", "AL") for character in text)
        assert shown == (f"{FSI}{text}{PDI}" if right_to_left or inner != shown else text)


def test_a_fields_own_controls_are_closed_inside_its_isolate():
    from amplify.display import isolated

    for hostile in (HOSTILE_NAME, HOSTILE_TITLE, HOSTILE_AUTHOR, "\u202c\u202c\u2069x\u2066\u202e",
                    "first\u202e line\nsecond\u2067 line"):
        shown = isolated(hostile)
        assert shown.startswith(FSI) and shown.endswith(PDI)
        assert open_controls_left(shown) == [], repr(shown)
        assert open_controls_left(shown + " · 3 hours ago") == []


def test_a_long_title_is_cut_for_display_at_a_whole_character():
    from amplify.display import display_title

    title = "Bread " * 49 + "\U0001f469\u200d\U0001f373" * 10  # 294 letters, then emoji of 3 code points each
    shown = display_title(title)
    assert shown.endswith("…") and len(shown) <= 300
    assert shown.removesuffix("…").endswith("\U0001f373")  # never half an emoji sequence
    assert display_title("Bread") == "Bread"


# -- the pages -------------------------------------------------------------------------------------------------


@pytest.fixture
def hostile_today(store, tmp_path, monkeypatch):
    """The Today page over one item from a source whose name, title, author and summary carry open overrides, and
    one with a 1,000-character title."""
    follow_list_beside(store, tmp_path, monkeypatch,
                       f"sources:\n  - name: '{HOSTILE_NAME}'\n    feed: https://ada.example/feed.xml\n")
    source_id = add_source(store, HOSTILE_NAME)
    hostile = add_item(store, source_id, title=HOSTILE_TITLE, author=HOSTILE_AUTHOR,
                       summary="\u202eWe bake every loaf by hand", url="https://ada.example/\u202egnp.exe")
    long_title = "Sourdough " * 100
    long = add_item(store, source_id, title=long_title, url="https://ada.example/long")
    return open_page(), hostile, long, long_title


def test_on_today_each_field_is_isolated_and_closes_what_it_opened(hostile_today):
    app, hostile, _, _ = hostile_today
    card = next(block for block in _cards(app) if block.key == f"item_{hostile}")
    title_line = _markdown_of(card)[0]
    caption = markdown_text(card.caption[0].value)

    assert open_controls_left(title_line) == [] and FSI in title_line
    assert "](https://ada.example/gnp.exe)" in title_line  # the link lost its override
    assert caption.startswith(FSI) and open_controls_left(caption) == []
    assert open_controls_left(caption.split(" · ")[0]) == []  # the name closes everything before the time
    assert f"by {FSI}" in caption
    summary = _markdown_of(card)[1]
    assert summary.startswith(FSI) and open_controls_left(summary) == []


def test_a_long_title_is_cut_on_today_and_kept_whole_in_the_item(hostile_today, store):
    app, _, long, long_title = hostile_today
    card = next(block for block in _cards(app) if block.key == f"item_{long}")
    label = markdown_text(_markdown_of(card)[0]).removeprefix("**[").split("](")[0]

    assert label.endswith("…") and len(label) <= 300
    assert long_title.startswith(label.removesuffix("…"))
    assert store.scalar("SELECT title FROM items WHERE id = ?", (long,)) == long_title


def test_the_composer_isolates_names_for_display_but_never_adds_isolates_to_the_post(store, tmp_path,
                                                                                      monkeypatch):
    name = "مخبز \u202eعائشة"
    follow_list_beside(store, tmp_path, monkeypatch,
                       f"sources:\n  - name: '{name}'\n    feed: https://aisha.example/feed.xml\n"
                       "    url: https://aisha.example/\n    credit: name\n"
                       "settings:\n  networks: [mastodon]\n")
    from amplify.follow.load import parse_follow_list

    store.sync_sources(parse_follow_list((tmp_path / "feeds.yml").read_text()))
    item = add_item(store, source_by_name(store, name).id, title="خبز \u202bطازج",
                    url="https://aisha.example/\u202ep")
    draft = store.create_draft(item, ["mastodon"])

    app = open_page("queue")

    header = next(element.value for element in app.subheader if name[:4] in element.value)
    assert header.startswith(FSI) and open_controls_left(markdown_text(header)) == []
    credit = next(element.value for element in app.caption if element.value.startswith("Credit:"))
    assert FSI in credit and open_controls_left(markdown_text(credit)) == []
    post = app.text_area(key=f"draft_text_{draft}_mastodon").value
    assert name in post and FSI not in post and PDI not in post  # the post keeps the name exactly
    assert "https://aisha.example/p" in post  # the address it links, as shown and probed


def test_a_report_row_keeps_a_names_controls_in_its_own_cell():
    from amplify.report import Report, Section, Table

    report = Report("Report", "Intro.", [Section("Whom you shared", [], Table(
        ("Source", "Kind", "Shares"), [(HOSTILE_NAME, "creator", "3"), ("שלום", "business", "1")]))])
    rows = [line for line in render_markdown(report).splitlines() if "creator" in line or "business" in line]

    for row in rows:
        for cell in row.strip("|").split(" | ")[:1]:
            assert open_controls_left(cell) == [] and cell.strip().startswith(FSI), repr(row)


# -- URLs and host names ---------------------------------------------------------------------------------------


def test_urls_and_hosts_lose_their_direction_controls_before_they_are_shown_or_checked():
    from amplify.checklist import host_of, site_verdict
    from amplify.ui.components import markdown_link, safe_url

    assert safe_url("https://ada.example/\u202egnp.exe") == "https://ada.example/gnp.exe"
    assert markdown_link("A file", "https://ada.example/\u200f\u2066gnp.exe\u2069").endswith(
        "(https://ada.example/gnp.exe)")
    assert host_of("https://ada\u200e.example\u202e/post") == "ada.example"
    on_site, reason = site_verdict("https://\u202bada.example\u202c/post", ("ada.example",))
    assert on_site, reason
    assert "\u202b" not in reason


# -- the parser ------------------------------------------------------------------------------------------------


def test_a_title_escaped_twice_does_not_come_out_of_the_parser_as_a_tag():
    body = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>Ada &amp;amp;lt;b&amp;amp;gt;</title>'
        b"<item><title>&amp;lt;script&amp;gt;alert(1)&amp;lt;/script&amp;gt;Bread &amp;lt;img src=x "
        b"onerror=alert(1)&amp;gt;</title><link>https://ada.example/1</link>"
        b"<description>&amp;lt;b&amp;gt;Warm&amp;lt;/b&amp;gt; bread, 2 &amp;lt; 3</description></item>"
        b"<item><title>Fish &amp;amp; chips &lt;3</title><link>https://ada.example/2</link></item>"
        b"</channel></rss>"
    )

    feed = parse_feed(body, url="https://ada.example/feed.xml")

    tag = re.compile(r"<[A-Za-z/!?]")
    assert not tag.search(feed.title or "")
    for entry in feed.entries:
        assert not tag.search(entry.title), entry.title
        assert not tag.search(entry.summary), entry.summary
    assert feed.entries[0].title == "Bread"
    assert feed.entries[1].title == "Fish & chips <3"


# -- in the browser --------------------------------------------------------------------------------------------


def test_in_the_browser_the_time_after_a_hostile_name_stays_after_it(hostile_today):
    """Chromium lays out the Today caption's text (source · time · author): each part is drawn to the right of
    all of the one before, in the order it was written, whatever the name and author opened."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sync_playwright = None
    if sync_playwright is None or not Path(CHROMIUM).exists():
        missing = f"needs Playwright and {CHROMIUM}"
        pytest.fail(missing) if os.environ.get("AMPLIFY_REQUIRE_BROWSER") else pytest.skip(missing)
    app, hostile, _, _ = hostile_today
    card = next(block for block in _cards(app) if block.key == f"item_{hostile}")
    parts = markdown_text(card.caption[0].value).split(" · ")
    assert len(parts) == 3, parts
    spans = "".join(f'<span id="part{number}">{" · " if number else ""}{html.escape(part)}</span>'
                    for number, part in enumerate(parts))

    def lay_out() -> list[list[float]]:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            try:
                page = browser.new_page()
                page.set_content(f'<p style="font: 16px monospace; white-space: nowrap">{spans}</p>')
                return page.evaluate("""() => [0, 1, 2].map(number => {
                    const boxes = [...document.getElementById("part" + number).getClientRects()];
                    return [Math.min(...boxes.map(box => box.left)), Math.max(...boxes.map(box => box.right))];
                })""")
            finally:
                browser.close()

    # On a thread of its own: the browser tests' Playwright may already run an event loop on this one.
    with ThreadPoolExecutor(1) as thread:
        extents = thread.submit(lay_out).result()
    (_, name_right), (time_left, time_right), (author_left, _) = extents
    assert name_right - 0.5 <= time_left and time_right - 0.5 <= author_left, extents


def _cards(app: AppTest) -> list:
    return [block for block in app.get("flex_container")
            if getattr(block, "key", None) and str(block.key).startswith("item_")]


def _markdown_of(block) -> list[str]:
    return [element.value for element in block.markdown]
