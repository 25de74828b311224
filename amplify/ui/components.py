"""Shared widgets and the safe rendering of feed text.

Feed content is untrusted. Everything a feed wrote goes through `escape_markdown` before Streamlit's markdown
sees it, so a title can never become a link, emphasis, an image, HTML or a Streamlit directive; links are made
only here, only to absolute http(s) URLs (`markdown_link`), and images only from http(s) URLs. Each title, name
and summary is shown in its own direction isolate (`amplify.display.isolated`), so its direction controls
reorder nothing beside it, and URLs lose theirs before they are checked or shown.
"""

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

import streamlit as st

from amplify import display
from amplify.clock import relative_time
from amplify.display import display_title, isolated, without_direction_controls
from amplify.types import ReviewItem
from amplify.ui.context import FollowListState
from amplify.urls import is_http_url

EXCERPT_CHARACTERS = 280
IMAGE_WIDTH = 200
# Streamlit's Markdown also turns bare `name@host` into a mailto: link and `www.host` into a web link, escaped or
# not. An invisible word joiner after the `@` and after `www` breaks both patterns; the words read the same.
_AUTOLINK_TRIGGER = re.compile(r"@|\bwww(?=\\\.)", re.IGNORECASE)
# Characters kept as they are in a link destination; everything else is percent-encoded, so a URL can never
# close the link early (`)`), open an HTML tag (`<`) or hold a space.
_URL_SAFE = "/:?#[]@!$&'*+,;=%~-._"


def one_line(text: str | None) -> str:
    return " ".join((text or "").split())


def escape_markdown(text: str | None) -> str:
    """`text` exactly as written, on one line, safe to hand to st.markdown: `amplify.display.escape_markdown`, and
    no address or host Streamlit would turn into a link by itself."""
    return _AUTOLINK_TRIGGER.sub("\\g<0>\N{WORD JOINER}", display.escape_markdown(text))


def excerpt(text: str | None, limit: int = EXCERPT_CHARACTERS) -> str:
    """The start of a plain-text summary, cut at a word boundary."""
    flat = one_line(text)
    if len(flat) <= limit:
        return flat
    cut = flat[:limit].rsplit(" ", 1)[0] or flat[:limit]
    return cut.rstrip(" ,;:.-") + "…"


def safe_url(url: str | None) -> str | None:
    """`url` if it is an absolute http(s) URL, without direction controls and percent-encoded for use as a
    markdown link destination."""
    url = without_direction_controls(url)
    if not url or not is_http_url(url):
        return None
    return quote(url, safe=_URL_SAFE)


def markdown_link(text: str | None, url: str | None) -> str:
    """Escaped `text` (a title: isolated, a long one cut), linked to `url` only when that is a safe http(s) URL."""
    label = escape_markdown(display_title(one_line(text))) or "(untitled)"
    destination = safe_url(url)
    return f"[{label}]({destination})" if destination else label


def plain_text(text: str | None, *, small: bool = False) -> None:
    """Untrusted text shown as the words it is, never as markup, in its own direction isolate."""
    (st.caption if small else st.markdown)(escape_markdown(isolated(one_line(text))))


def image_description(description: str | None, title: str | None) -> str:
    """What a feed image shows, for people who cannot see it: the feed's own description (a Mastodon image
    description, `media:description`, an `<img alt>`), else the post's title as context; never nothing."""
    return one_line(description) or f"Image from the post “{one_line(title) or 'untitled'}”"


@dataclass(frozen=True)
class CardAction:
    """One button on an item card. Its key is `{name}_{item id}`, stable across reruns (tests click by it)."""

    name: str
    label: str
    on_click: Callable[[int], None]
    primary: bool = False
    help: str | None = None


def item_card(item: ReviewItem, *, now: datetime, actions: Sequence[CardAction] = ()) -> None:
    """One item: its title linked to the original, who published it and when, a short excerpt, its image with
    alt text, and one-click actions."""
    with st.container(border=True, key=f"item_{item.id}"):
        text_column, image_column = st.columns([4, 1]) if safe_url(item.image_url) else (st.container(), None)
        with text_column:
            st.markdown(f"**{markdown_link(item.title, item.url)}**")
            meta = [isolated(one_line(item.source_name)), relative_time(item.published_at or item.sort_at, now)]
            if item.author and one_line(item.author) != one_line(item.source_name):
                meta.append(f"by {isolated(one_line(item.author))}")
            st.caption(escape_markdown(" · ".join(meta)))
            if item.summary:
                plain_text(excerpt(item.summary))
        if image_column is not None:
            with image_column:
                st.image(item.image_url, width=IMAGE_WIDTH, alt=image_description(item.image_alt, item.title))
        if actions:
            with st.container(horizontal=True):
                for action in actions:
                    st.button(action.label, key=f"{action.name}_{item.id}", on_click=action.on_click,
                              args=(item.id,), type="primary" if action.primary else "secondary",
                              help=action.help)


def empty_state(title: str, body: str) -> None:
    """A friendly note where a list would be: what happened, and what to do next."""
    with st.container(border=True, key="empty_state"):
        st.markdown(f"**{title}**")
        st.markdown(body)


def follow_list_problems(state: FollowListState, *, consequence: str) -> None:
    """A gentle note when feeds.yml cannot be read (`consequence` says what that stops), and the entries that
    were skipped, each with its line and what to fix."""
    if state.error:
        st.warning(f"Your follow list could not be read, {consequence}: {escape_markdown(state.error)}",
                   icon=":material/info:")
    problems = state.follow_list.problems
    if problems:
        entries = "1 entry needs" if len(problems) == 1 else f"{len(problems)} entries need"
        with st.expander(f"{entries} a look in your follow list; the rest load fine", icon=":material/info:"):
            for problem in problems:
                plain_text(str(problem), small=True)


def in_words(summary: str, key: str) -> None:
    """What a chart shows, in a sentence or two under its chart and table, for people who cannot see it."""
    with st.container(key=key):
        st.markdown(f"**In words:** {escape_markdown(summary)}")
