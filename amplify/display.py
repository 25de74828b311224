"""Feed text made fit to show beside other text: a field's direction controls reorder nothing outside it, URLs
and host names carry none, and a long title is cut.

A feed may write right-to-left text, and with it Unicode's direction controls (UAX #9): marks, embeddings,
overrides and isolates. Arabic and Hebrew writers need them in mixed-direction text, so a field keeps its own; but
shown as they come, an override left open in a source's name reverses the words after it on the same line (the
time, the title, a file name: "gnp.exe" reads "exe.png"). So each field is shown in a direction isolate of its own
(U+2068 ... U+2069), with whatever it left open closed before the isolate ends. URLs and host names lose every
direction control: RFC 3987 forbids them there, and a URL is read to judge where a link goes.

Joiners are not direction controls and are never touched: emoji sequences (ZWJ), Persian (ZWNJ) and Indic
scripts need them. All of this is for display: stored text, exports and the words of a post keep their
characters exactly, and no isolate is ever added to a draft's text.
"""

import string
import unicodedata

import regex

FSI = "\N{FIRST STRONG ISOLATE}"
PDI = "\N{POP DIRECTIONAL ISOLATE}"
PDF = "\N{POP DIRECTIONAL FORMATTING}"
TITLE_DISPLAY_CHARACTERS = 300
ELLIPSIS = "…"
_MARKDOWN_SPECIALS = frozenset(string.punctuation)
_MARKDOWN_INLINE = frozenset("\\`*_{}[]<>#|~&$")

# ALM, LRM, RLM; LRE, RLE, PDF, LRO, RLO; LRI, RLI, FSI, PDI.
DIRECTION_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_DIRECTION_CONTROL = regex.compile("[" + "".join(sorted(DIRECTION_CONTROLS)) + "]")
# What can move text around it: a right-to-left letter or number, or a direction control. In our left-to-right
# pages a field with none of these reads the same isolated or not, so it is shown as it is.
_NEEDS_ISOLATE = regex.compile(r"[\p{Bidi_Class=R}\p{Bidi_Class=AL}\p{Bidi_Class=AN}"
                               + "".join(sorted(DIRECTION_CONTROLS)) + "]")
_GRAPHEME = regex.compile(r"\X")
_OPENS_EMBEDDING = frozenset({"LRE", "RLE", "LRO", "RLO"})  # closed by PDF
_OPENS_ISOLATE = frozenset({"LRI", "RLI", "FSI"})  # closed by PDI


def isolated(text: str | None) -> str:
    """`text` as one field among others: in its own isolate, every embedding, override and isolate it opened
    closed at its end, and a stray closer (which would end the field's isolate early) dropped. A paragraph
    break ends all of them (UAX #9), so each paragraph is isolated on its own. Text with nothing right-to-left
    and no direction control comes back unchanged."""
    if not text or not _NEEDS_ISOLATE.search(text):
        return text or ""
    shown = [FSI]
    still_open: list[str] = []  # the closer each open control needs, innermost last
    for character in text:
        kind = unicodedata.bidirectional(character)
        if kind in _OPENS_EMBEDDING:
            still_open.append(PDF)
        elif kind in _OPENS_ISOLATE:
            still_open.append(PDI)
        elif kind == "PDF":
            if not still_open or still_open[-1] != PDF:
                continue  # closes nothing of this field's
            still_open.pop()
        elif kind == "PDI":
            if PDI not in still_open:
                continue  # would close the field's own isolate
            while (closer := still_open.pop()) != PDI:
                shown.append(closer)  # an isolate's end closes the embeddings inside it: say so explicitly
        elif kind == "B":
            shown += [*reversed(still_open), PDI, character, FSI]
            still_open.clear()
            continue
        shown.append(character)
    shown += [*reversed(still_open), PDI]
    return "".join(shown)


def display_title(title: str | None) -> str:
    """A title as shown in a list: isolated, and past TITLE_DISPLAY_CHARACTERS cut with an ellipsis, at the end
    of a whole character as a reader sees it (an emoji sequence, a letter with its marks). The stored title is
    not changed."""
    text = title or ""
    if len(text) > TITLE_DISPLAY_CHARACTERS:
        end = 0
        for cluster in _GRAPHEME.finditer(text):
            if cluster.end() > TITLE_DISPLAY_CHARACTERS - len(ELLIPSIS):
                break
            end = cluster.end()
        text = text[:end].rstrip() + ELLIPSIS
    return isolated(text)


def without_direction_controls(text: str | None) -> str:
    """A URL or host name with no direction control left in it, ready to show or to check."""
    return _DIRECTION_CONTROL.sub("", text or "")


def escape_markdown(text: str | None, *, readable: bool = False) -> str:
    """`text` exactly as written, on one line, safe in Markdown: every ASCII punctuation mark is backslash-escaped
    (CommonMark allows it for all of them), which also disarms HTML, entities, table pipes, Streamlit's
    `:color[...]` directives, emoji shortcodes and `$` maths. This is what a page shows.

    `readable=True` is for a Markdown file people also read as plain text (the monthly report): only inline
    syntax, HTML, table pipes and `$` are escaped. The text must not start a line (it follows "# ", "- " or "| "),
    as the line-start markers (1., -, +) are left alone.
    """
    specials = _MARKDOWN_INLINE if readable else _MARKDOWN_SPECIALS
    return "".join(f"\\{character}" if character in specials else character
                   for character in " ".join((text or "").split()))
