"""When two names are the same source's name: one rule, used by feeds.yml, the store, forgetting and OPML.

Names match whatever their case (`casefold`, so "STRASSE" is "Straße"), however their letters are composed (NFC:
"é" typed as one character or as "e" and an accent) and however much space is around or between their words.
"""

import unicodedata


def name_key(name: str) -> str:
    """What a name is compared by: equal keys mean the same source."""
    spaced = " ".join(name.split())
    return unicodedata.normalize("NFC", unicodedata.normalize("NFC", spaced).casefold())
