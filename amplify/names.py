"""Names: when two are the same source's name (one rule, used by feeds.yml, the store, forgetting and OPML), and
text from elsewhere made fit to be one.

Names match whatever their case (`casefold`, so "STRASSE" is "Straße"), however their letters are composed (NFC:
"é" typed as one character or as "e" and an accent) and however much space is around or between their words.
"""

import re
import unicodedata


def name_key(name: str) -> str:
    """What a name is compared by: equal keys mean the same source."""
    spaced = " ".join(name.split())
    return unicodedata.normalize("NFC", unicodedata.normalize("NFC", spaced).casefold())


# Longest name taken from elsewhere (a feed title, an OPML outline, a profile's display name).
NAME_LIMIT = 200
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def one_line(text: str, limit: int = NAME_LIMIT) -> str:
    """Text from elsewhere (a feed title, an OPML outline) made fit to be a name: one line, whitespace
    collapsed, control characters (terminal escapes among them) dropped, at most `limit` characters."""
    return " ".join(_CONTROL.sub("", text).split())[:limit]
