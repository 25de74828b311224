"""The first draft of a post: whole sentences of the creator's own words to quote, and the templates that put the
creator, their words, their piece and its link in order. Pure, like `amplify.compose`, whose rules it drafts to.

The creator is the subject of every template: their name or handle comes first, their own words come before
anything else, and no template speaks in the first person.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass

import regex

from amplify.compose import Credit, Limits, UnknownTemplate, check_length, replace_urls

# -- quotes --------------------------------------------------------------------------------------------------

_ABBREVIATIONS = frozenset({
    "mr", "mrs", "ms", "mx", "dr", "prof", "st", "sr", "jr", "inc", "ltd", "co", "corp", "vs", "etc", "e.g",
    "i.e", "a.m", "p.m", "no", "vol", "fig", "approx", "dept", "est", "jan", "feb", "mar", "apr", "jun",
    "jul", "aug", "sep", "sept", "oct", "nov", "dec", "mt", "ft", "ave", "rd",
})
# A sentence ends at . ! ? (with closing quotes or brackets) followed by space, or at CJK full stops.
_SENTENCE_END = regex.compile(r"""([.!?…]+["'”’)\]]*)(\s+)|([。！？]+[」』”’）]*)\s*""")
_TRUNCATED = ("…", "...", "[…]", "[...]", "(…)")


def _ends_sentence(text: str, dot_index: int) -> bool:
    """Whether the `.` at `dot_index` ends a sentence rather than an abbreviation or an initial. (A dot inside
    a URL is never followed by a space, so it never reaches here.)"""
    before = text[:dot_index]
    word = regex.search(r"(\S+)$", before)
    if word is None:
        return True
    token = word.group(1)
    bare = token.lstrip("(\"'“‘").lower()
    if bare in _ABBREVIATIONS or regex.fullmatch(r"\p{Lu}", token.lstrip("(\"'“‘")):
        return False
    return not regex.fullmatch(r"(?:\p{L}\.)+\p{L}", bare)  # e.g. "u.s" in "U.S."


def sentences(text: str) -> list[str]:
    """Split plain text into sentences, keeping abbreviations ("Dr.", "e.g."), initials, URLs and decimals
    whole, and splitting after CJK full stops (which need no following space)."""
    found, start = [], 0
    for match in _SENTENCE_END.finditer(text):
        if match.group(1) is not None:
            stop = match.start(1)
            if match.group(1).startswith(".") and not _ends_sentence(text, stop):
                continue
            end = match.end(1)
        else:
            end = match.end(3)
        piece = text[start:end].strip()
        if piece:
            found.append(piece)
        start = match.end()
    tail = text[start:].strip()
    if tail:
        found.append(tail)
    return found


def quote_candidates(text: str, *, limit: int = 3, min_length: int = 20, max_length: int = 240) -> list[str]:
    """Whole sentences of the creator's own words from an item's plain-text summary, in their order, to quote.

    A sentence cut off by the feed ("…", "[…]") is not whole and is left out, as are sentences that are only a
    link, and very short or very long ones (a quote should leave room for the credit and the link)."""
    candidates = []
    for sentence in sentences(" ".join(text.split())):
        if sentence.endswith(_TRUNCATED) or sentence.lstrip("\"'“‘").startswith(("http://", "https://")):
            continue
        bare_length = len(replace_urls(sentence, lambda _url: "").strip())
        if min_length <= bare_length and len(sentence) <= max_length:
            candidates.append(sentence)
        if len(candidates) == limit:
            break
    return candidates


# -- templates -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Template:
    id: str
    label: str
    description: str
    # The post's lines in order, each as alternatives over {credit}, {title}, {url} and {quote}: the first
    # whose fields are all filled is used, and a line with none is left out (so an empty title keeps the credit).
    lines: tuple[tuple[str, ...], ...]


TEMPLATES: dict[str, Template] = {
    template.id: template
    for template in (
        Template(
            "link_first", "Link first", "The creator and their piece, the link, then their words.",
            (("{credit}: {title}", "{credit}"), ("{url}",), ("",), ("“{quote}”",)),
        ),
        Template(
            "quote_first", "Quote first", "The creator's own words first, then who said them and the link.",
            (("“{quote}”",), ("— {credit}",), ("",), ("{title}",), ("{url}",)),
        ),
        Template(
            "short", "Short", "One line: the creator, their piece and the link.",
            (("{credit}: {title} {url}", "{credit}: {url}"),),
        ),
    )
}


def _render(template: Template, fields: dict[str, str]) -> str:
    lines: list[str] = []
    for alternatives in template.lines:
        for line in alternatives:
            if all(fields[name] for name in re.findall(r"{(\w+)}", line)):
                lines.append(line.format(**fields).strip())
                break
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def draft_text(
    *, title: str, url: str, creator: Credit, quote: str | None, hashtags: Sequence[str], network: str,
    template: str, limits: Limits | None = None,
) -> str:
    """A first draft for one network: the creator first, their words before anything else, hashtags last.

    When the full draft is over the network's limit the quote is left out, and then the title is shortened at
    a word boundary, so the draft starts within the limit whenever the credit and the link alone fit. `limits`
    are the network's own where they are known (a Mastodon server's)."""
    try:
        chosen = TEMPLATES[template]
    except KeyError:
        known = ", ".join(TEMPLATES)
        raise UnknownTemplate(f"unknown template {template!r}: choose one of {known}") from None
    if chosen.id == "quote_first" and not quote:
        chosen = TEMPLATES["link_first"]
    tags = " ".join(hashtags)

    def build(title_text: str, quote_text: str) -> str:
        body = _render(chosen, {"credit": creator.text, "title": title_text, "url": url, "quote": quote_text})
        return f"{body}\n\n{tags}" if tags else body

    text = build(" ".join(title.split()), " ".join((quote or "").split()))
    if check_length(text, network, limits=limits).fits:
        return text
    if chosen.id == "quote_first":
        chosen = TEMPLATES["link_first"]
    words = title.split()
    while words:
        text = build(" ".join(words) + ("" if len(words) == len(title.split()) else "…"), "")
        if check_length(text, network, limits=limits).fits:
            return text
        words.pop()
    return build("", "")
