"""Bluesky's rich text: where the links, mentions and hashtags of a post are, as facets with UTF-8 byte offsets.

Without facets Bluesky shows links and tags as plain text. A facet says which bytes of the UTF-8 text are a link
(`#link`, its URI), a mention (`#mention`, the account's DID: the handle is resolved first) or a hashtag (`#tag`,
without its `#`). Offsets count bytes, not characters: an emoji or a letter with a combining accent before a link
moves it by several. Facets never overlap: a `#` or `@` inside a link is part of the link.

`spans` is pure (no I/O): each span's byte slice of the text decodes to exactly the link, the mention (with its
`@`) or the tag (with its `#`). `facets` turns them into the record's `facets`, resolving handles as it goes.
"""

from collections.abc import Callable
from dataclasses import dataclass

import regex

from amplify.counting import graphemes

# A link: http(s) up to the next space; punctuation that ends a sentence is not part of it.
_LINK = regex.compile(r"(?<![\p{L}\p{N}])https?://[^\s<>\"]+", regex.IGNORECASE)
_LINK_TAIL = ".,;:!?\"'’”"
# A handle: domain labels, at least two, after an @ that starts a word.
_MENTION = regex.compile(
    r"(?<![\p{L}\p{N}\p{M}_@.])@((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?)"
    r"(?![\p{L}\p{N}\p{M}_-])",
    regex.IGNORECASE,
)
# A hashtag: # (or the full-width ＃) at the start of a word, then letters, digits, marks and joiners; not digits
# alone. Trailing punctuation is left out.
_TAG = regex.compile(
    r"(?<![\p{L}\p{N}\p{M}_&])[#＃]((?!\uFE0F)[\p{L}\p{N}\p{M}_\u200D]*[\p{L}\p{M}_][\p{L}\p{N}\p{M}_\u200D]*)"
)
MAX_TAG_GRAPHEMES = 64


@dataclass(frozen=True)
class Span:
    """One link, mention or tag: its kind, where its bytes start and end, the text there, and its value (the URI,
    the handle without @, the tag without #)."""

    kind: str  # "link", "mention" or "tag"
    start: int
    end: int
    text: str
    value: str


def _trim_link(url: str) -> str:
    while url and url[-1] in _LINK_TAIL:
        url = url[:-1]
    # A closing parenthesis belongs to the link only when the link opened one.
    while url.endswith(")") and url.count(")") > url.count("("):
        url = url[:-1]
    return url


def spans(text: str) -> list[Span]:
    """Every link, mention and tag in `text`, in order, none overlapping; offsets in UTF-8 bytes."""
    found: list[tuple[str, int, int, str]] = []
    for match in _LINK.finditer(text):
        url = _trim_link(match.group())
        if len(url) > len("https://"):
            found.append(("link", match.start(), match.start() + len(url), url))
    taken = [(start, end) for _kind, start, end, _value in found]

    def free(start: int, end: int) -> bool:
        return all(end <= other_start or start >= other_end for other_start, other_end in taken)

    for match in _MENTION.finditer(text):
        if free(match.start(), match.end()):
            found.append(("mention", match.start(), match.end(), match.group(1).lower()))
    for match in _TAG.finditer(text):
        tag = match.group(1).rstrip("_\u200D")
        end = match.start(1) + len(tag)
        if tag and len(graphemes(tag)) <= MAX_TAG_GRAPHEMES and free(match.start(), end):
            found.append(("tag", match.start(), end, tag))
    result = []
    for kind, start, end, value in sorted(found, key=lambda span: span[1]):
        byte_start = len(text[:start].encode("utf-8"))
        piece = text[start:end]
        result.append(Span(kind, byte_start, byte_start + len(piece.encode("utf-8")), piece, value))
    return result


def facets(text: str, resolve: Callable[[str], str | None]) -> list[dict]:
    """The record's `facets` for `text`. `resolve` gives a handle's DID (None: the mention stays plain text)."""
    made = []
    for span in spans(text):
        if span.kind == "link":
            feature = {"$type": "app.bsky.richtext.facet#link", "uri": span.value}
        elif span.kind == "tag":
            feature = {"$type": "app.bsky.richtext.facet#tag", "tag": span.value}
        else:
            did = resolve(span.value)
            if did is None:
                continue
            feature = {"$type": "app.bsky.richtext.facet#mention", "did": did}
        made.append({"index": {"byteStart": span.start, "byteEnd": span.end}, "features": [feature]})
    return made
