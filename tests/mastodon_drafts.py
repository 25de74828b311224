"""Generated Mastodon drafts for comparing amplify's count with Mastodon.py's `get_status_length`: words in
Latin, Arabic, Hebrew and other scripts, combining marks, emoji sequences, links (whole, cut mid-way, bare, or on a
made-up domain) and mentions (local and remote), joined by spaces and punctuation.

`draft(random.Random(seed))` or the strategy `drafts()` sets links and mentions apart from the words around them,
as a post does; with `glued=True` they are also glued to anything (`@ada@host-https://…`,
`example.com/a…https://…`), where Mastodon's server and its web composer disagree on purpose."""

from collections.abc import Sequence
from typing import Protocol

from hypothesis import strategies as st

WORDS = ["bread", "Oakland", "café", "naïve", "مخبز", "خبز", "العربية", "לחם", "שלום", "עברית", "日本", "パン",
         "Ελλάδα", "хлеб", "1998", "#Bread", "$5", "e-mail", "don't"]
MARKS = ["\u0301", "\u0308", "\u0323", "\u0307\u0323", "\u064e", "\u05b8", "\u20e3"]
EMOJI = ["\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466", "\U0001f1ef\U0001f1f5",
         "\U0001f44d\U0001f3fd", "\u2764\ufe0f", "1\ufe0f\u20e3", "\U0001f3f4\U000e0067\U000e0062\U000e0065"
         "\U000e006e\U000e0067\U000e007f", "\U0001f35e", "\u2615", "\U0001f9d1\u200d\U0001f373", "\u00a9"]
HOSTS = ["adasbakery", "www.adasbakery", "blog.ada-bakes", "amzn", "tenearthshatteringblog", "bäckerei",
         "xn--bckerei-5wa", "مخبز", "t", "a_b.c"]
TLDS = ["com", "org", "net", "social", "io", "de", "co.uk", "to", "co", "онлайн", "example", "test", "local", "invalid"]
PATHS = ["", "/", "/blog/2026/bread", "/p?id=7&ref=feed", "/wiki/Bread_(food)", "/@ada", "/#top", "/x.", "/日本",
         "/ünïcode", "/path,", "?q=1", "/watch?v=dQw4w9WgXcQ"]
SEPARATORS = [" ", " ", " ", "\n", "\n\n", ", ", ". ", ": ", " (", ") ", " “", "” ", "! ", "? ", " — ", "…",
              "\u200f", "\u200e", "\u2067", "\u2069", "-", "/"]
BEFORE_APART = [" ", " ", "\n", " (", " “", " \u200f", "\n\u200e", ": "]
AFTER_APART = [" ", " ", "\n", "\n\n", "… ", ") ", ". ", ", ", "” ", "! "]


class Chooser(Protocol):
    def choice(self, options: Sequence[str]) -> str: ...
    def randint(self, low: int, high: int) -> int: ...


class _Draws:
    """Hypothesis's draws behind the two calls a `random.Random` answers, so one recipe serves both."""

    def __init__(self, draw: st.DrawFn) -> None:
        self.draw = draw

    def choice(self, options: Sequence[str]) -> str:
        return self.draw(st.sampled_from(options))

    def randint(self, low: int, high: int) -> int:
        return self.draw(st.integers(low, high))


def link(pick: Chooser) -> str:
    text = pick.choice(["https://", "http://", "HTTPS://", ""]) + pick.choice(HOSTS) + "." + pick.choice(TLDS)
    text += pick.choice(PATHS)
    if pick.randint(0, 3) == 0:  # a summary cut mid-link
        text = text[: pick.randint(1, len(text))]
    return text


def mention(pick: Chooser) -> str:
    host = pick.choice(["", "@bakers.social", "@mastodon.social", "@x.co", "@host-.org", "@日本.jp",
                        "@bakers.social.", "@a"])
    return "@" + pick.choice(["ada", "Ada_B", "bakers", "a1", "ada.b"]) + host


def word(pick: Chooser) -> str:
    return pick.choice(WORDS) + (pick.choice(MARKS) if pick.randint(0, 4) == 0 else "")


def draft(pick: Chooser, glued: bool = False) -> str:
    pieces = []
    for _ in range(pick.randint(1, 40)):
        kind = pick.choice(["word", "word", "word", "emoji", "link", "mention"])
        if kind in ("word", "emoji"):
            pieces += [word(pick) if kind == "word" else pick.choice(EMOJI), pick.choice(SEPARATORS)]
        elif glued:
            pieces += [link(pick) if kind == "link" else mention(pick), pick.choice(SEPARATORS)]
        else:
            piece = link(pick) if kind == "link" else mention(pick)
            pieces += [pick.choice(BEFORE_APART), piece, pick.choice(AFTER_APART)]
    return "".join(pieces)


@st.composite
def drafts(draw: st.DrawFn, glued: bool = False) -> str:
    return draft(_Draws(draw), glued)
