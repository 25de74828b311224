"""How each network measures a post: grapheme clusters, X's weighted count, and which text the networks treat
as a link (a link counts as a fixed number of characters on Mastodon and X, whatever its real length).

Mastodon and X both find links with twitter-text's pattern: a scheme (optional on X), a host whose last label is a
known top-level domain, then a path and a query. A summary cut mid-link (`https://amzn.t`) or a made-up domain
(`https://ada.example`) is plain text to them and counts in full. The known top-level domains are twitter-text's own
list (`data/tlds.yml`, with its licence beside it), the same list Mastodon's server and web composer use.

Mastodon's server and its web composer find links and mentions a little differently; the count here takes the
larger reading, so a post that fits here is not refused by the server. (The web composer then measures with the
stringz library, which counts Arabic and Hebrew vowel marks and Indic vowel signs as characters of their own, so
for such text its counter can show more than the server counts.)
"""

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import NamedTuple

import regex
import yaml

# -- grapheme clusters ---------------------------------------------------------------------------------------

_CLUSTER = regex.compile(r"\X")
# Unicode 15.1 joined Indic conjuncts (consonant + virama + consonant) into one cluster (rule GB9c). Servers that
# segment with older Unicode data count them as two, so they are split again here: never fewer than the network.
_CONJUNCT_JOIN = regex.compile(
    r"(?<=\p{InCB=Consonant}[\p{InCB=Extend}\p{InCB=Linker}]*\p{InCB=Linker}[\p{InCB=Extend}\p{InCB=Linker}]*)"
    r"(?=\p{InCB=Consonant})"
)


def graphemes(text: str) -> list[str]:
    """User-perceived characters (extended grapheme clusters): a ZWJ family, a flag or `e` + accent is one.

    An Indic conjunct counts as its parts (क्ष is two), as on servers whose Unicode data predates 15.1."""
    clusters = []
    for cluster in _CLUSTER.findall(text):
        clusters.extend(_CONJUNCT_JOIN.split(cluster) if len(cluster) > 2 else (cluster,))
    return clusters


# -- links (twitter-text's pattern) --------------------------------------------------------------------------


@cache
def top_level_domains() -> tuple[str, ...]:
    """twitter-text's top-level domains, generic ones first, in its order (a longer one before its prefix)."""
    listed = yaml.safe_load(resources.files("amplify").joinpath("data", "tlds.yml").read_text(encoding="utf-8"))
    return (*listed["generic"], *listed["country"])


_SPACES = "\t-\r \x85\xa0\u1680\u180e\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_REFUSED = "\ufffe\ufeff\uffff"  # characters twitter-text treats as invalid anywhere
_BIDI_CONTROLS = "\u202a-\u202e\u061c\u200e\u200f\u2066-\u2069"
_ASCII_PUNCTUATION = r"!'#%&()*+,\\\-./:;<=>?@\[\]^_{|}~$"
_LATIN_ACCENTS = (
    "\xc0-\xd6\xd8-\xf6\xf8-\xff\u0100-\u024f\u0253\u0254\u0256\u0257\u0259\u025b\u0263\u0268\u026f\u0272\u0289"
    "\u028b\u02bb\u0300-\u036f\u1e00-\u1eff"
)
_CYRILLIC = "\u0400-\u04ff"
# A host is dot-separated labels of any characters but punctuation, spaces and controls, with `-` inside a label
# (and `_` inside one before the domain name), and ends in a known top-level domain or a punycode one.
_HOST_CHARACTER = regex.compile(f"[^{_ASCII_PUNCTUATION}{_SPACES}{_REFUSED}{_BIDI_CONTROLS}]")
_HOST_LABEL = regex.compile(f"(?:{_HOST_CHARACTER.pattern}|[_-])*")
_ASCII_LABEL = regex.compile(f"[\\-a-z0-9{_LATIN_ACCENTS}]*", regex.IGNORECASE)
_SCHEME = regex.compile(r"https?://", regex.IGNORECASE)
# A path runs over these characters, may hold (balanced) parentheses, and ends on a letter, digit or one of +-=_#/.
_PATH_CHAR = f"[a-z{_CYRILLIC}0-9!*';:=+,.$/%#\\[\\]\\-\u2013_~@|&{_LATIN_ACCENTS}]"
_PARENTHESES = f"\\((?:{_PATH_CHAR}+|(?:{_PATH_CHAR}*\\({_PATH_CHAR}+\\){_PATH_CHAR}*))\\)"
_PATH_END = f"(?:[+\\-a-z{_CYRILLIC}0-9=_#/{_LATIN_ACCENTS}]|{_PARENTHESES})"
_PATH = f"(?:(?:{_PATH_CHAR}*(?:{_PARENTHESES}{_PATH_CHAR}*)*{_PATH_END})|(?:@{_PATH_CHAR}+/))"
_QUERY = r"\?[a-z0-9!?*'@();:&=+$/%#\[\]\-_.,~|]*[a-z0-9\-_&=#/]"
# After the host: a port, a path, a query, each optional.
_AFTER_HOST = regex.compile(f"(?::[0-9]+)?(?P<path>/{_PATH}*)?(?:{_QUERY})?", regex.IGNORECASE)
# Mastodon's server widens twitter-text's pattern (config/initializers/twitter_regex.rb): more schemes, a path of
# anything but spaces, <>()? (ending on anything but spaces and ()?!*"'「」<>;:=,.$%[]~&|@), and non-ASCII queries.
_SERVER_SCHEME = regex.compile(r"(?:https?|dat|dweb|ipfs|ipns|ssb|gopher|gemini)://", regex.IGNORECASE)
_SERVER_PATH_CHAR = r"[^\p{White_Space}<>()?]"
_SERVER_PARENTHESES = (
    f"\\((?:{_SERVER_PATH_CHAR}+|(?:{_SERVER_PATH_CHAR}*\\({_SERVER_PATH_CHAR}+\\){_SERVER_PATH_CHAR}*))\\)"
)
_SERVER_PATH_END = f"(?:[^\\p{{White_Space}}()?!*\"'「」<>;:=,.$%\\[\\]~&|@]|{_PARENTHESES})"
_SERVER_PATH = (
    f"(?:(?:{_SERVER_PATH_CHAR}*(?:{_SERVER_PARENTHESES}{_SERVER_PATH_CHAR}*)*{_SERVER_PATH_END})"
    f"|(?:{_SERVER_PATH_CHAR}+/))"
)
_UCHARS = (
    "\u00a0-\ud7ff\uf900-\ufdcf\ufdf0-\uffef"
    + "".join(f"\\U{plane:04x}0000-\\U{plane:04x}fffd" for plane in range(1, 14))
    + "\\U000e1000-\\U000efffd\ue000-\uf8ff\\U000f0000-\\U000ffffd\\U00100000-\\U0010fffd"
)
_SERVER_QUERY = f"\\?[a-z0-9!?*'();:&=+$/%#\\[\\]\\-_.,~|@^{_UCHARS}]*[a-z0-9_&=#/\\-{_UCHARS}]"
_SERVER_AFTER_HOST = regex.compile(
    f"(?::[0-9]+)?(?P<path>/{_SERVER_PATH}*)?(?:{_SERVER_QUERY})?", regex.IGNORECASE
)
# A link starts the text or follows anything but a letter, a digit, @, $ or # (a bidi control is fine).
_BEFORE_LINK = regex.compile(f"[^a-z0-9@＠$#＃{_REFUSED}]|[{_BIDI_CONTROLS}]", regex.IGNORECASE)
_T_CO = regex.compile(r"https?://t\.co/([a-z0-9]+)(?:" + _QUERY + ")?", regex.IGNORECASE)
_MAX_LINK_LENGTH = 4096
_MAX_T_CO_SLUG = 40


@cache
def _top_level_domain() -> regex.Pattern[str]:
    """A known top-level domain not followed by a letter, digit, @, + or -; or a punycode one. The alternatives
    are tried in twitter-text's order, so the same one wins."""
    tlds = "|".join(regex.escape(tld) for tld in top_level_domains())
    return regex.compile(f"(?:{tlds})(?=[^0-9a-z@+-]|$)|xn--[\\-0-9a-z]+", regex.IGNORECASE)


class _Hosts:
    """Finds where a host that ends in a known top-level domain ends, for any start in one text.

    It gives what twitter-text's host pattern (labels, then a top-level domain, taking as many labels as can
    still be followed by one) matches, but remembers each label's answer, so a long run of dotted words costs
    one pass instead of one pass per start (the pattern itself backtracks quadratically there)."""

    def __init__(self, text: str, label: regex.Pattern[str], *, strict_labels: bool) -> None:
        self.text, self.label, self.strict = text, label, strict_labels
        self.ends: dict[int, int | None] = {}
        self.tlds: dict[int, int | None] = {}
        self.label_ends: dict[int, int] = {}
        self.last_underscore: dict[int, int] = {}  # by label end: the last `_` in the label, for any later start

    def _label_end(self, start: int) -> int:
        if start not in self.label_ends:  # every start inside one label shares its end: find it once
            end = self.label.match(self.text, start).end()
            self.label_ends.update(dict.fromkeys(range(start, end), end))
            self.label_ends[start] = end
            self.last_underscore[end] = self.text.rfind("_", start, end)
        return self.label_ends[start]

    def _tld_end(self, start: int) -> int | None:
        if start not in self.tlds:
            found = _top_level_domain().match(self.text, start)
            self.tlds[start] = found.end() if found else None
        return self.tlds[start]

    def _label_ok(self, start: int, end: int, *, domain_name: bool) -> bool:
        if end == start or end >= len(self.text) or self.text[end] != ".":
            return False
        if not self.strict:
            return True
        edges_ok = bool(_HOST_CHARACTER.match(self.text[start])) and bool(_HOST_CHARACTER.match(self.text[end - 1]))
        return edges_ok and not (domain_name and self.last_underscore[end] >= start)

    def end(self, start: int) -> int | None:
        """The end of the longest host starting at `start`, or None when none starts there."""
        chain = []
        position = start
        while position not in self.ends:  # walk the labels to one already answered, or to the last
            label_end = self._label_end(position)
            if not self._label_ok(position, label_end, domain_name=False):
                self.ends[position] = self._own_end(position, label_end)
                break
            chain.append(position)
            position = label_end + 1
        for position in reversed(chain):
            label_end = self._label_end(position)
            self.ends[position] = self.ends.get(label_end + 1) or self._own_end(position, label_end)
        return self.ends[start]

    def _own_end(self, start: int, label_end: int) -> int | None:
        """The host with this label as its domain name, right before the top-level domain."""
        if not self._label_ok(start, label_end, domain_name=True):
            return None
        return self._tld_end(label_end + 1)


@dataclass(frozen=True)
class _Grammar:
    """One reading of twitter-text's link pattern: which schemes, whether one is needed, what may follow the host."""

    scheme: regex.Pattern[str]
    scheme_optional: bool
    after_host: regex.Pattern[str]


_TWITTER_TEXT = _Grammar(_SCHEME, True, _AFTER_HOST)  # X, and twitter-text itself
_MASTODON_COMPOSER = _Grammar(_SCHEME, False, _AFTER_HOST)  # Mastodon's web composer (and Mastodon.py)
_MASTODON_SERVER = _Grammar(_SERVER_SCHEME, True, _SERVER_AFTER_HOST)


class _Match(NamedTuple):
    before: int  # where the character before the link is (== start at the very start of the text)
    start: int
    scheme_end: int  # == start when there is no scheme
    host_end: int
    has_path: bool
    end: int


def _link_matches(text: str, grammar: _Grammar) -> Iterator[_Match]:
    """Each match of the link pattern, left to right, as a regular expression search would find them."""
    hosts = _Hosts(text, _HOST_LABEL, strict_labels=True)
    position = 0
    while position < len(text):
        for before in range(position, len(text) + 1):
            found = None
            if before < len(text) and _BEFORE_LINK.match(text, before):
                found = _link_at(text, before, before + 1, hosts, grammar)
            if found is None and before == 0:
                found = _link_at(text, 0, 0, hosts, grammar)
            if found is not None:
                yield found
                position = found.end
                break
        else:
            return


def _link_at(text: str, before: int, start: int, hosts: _Hosts, grammar: _Grammar) -> _Match | None:
    scheme = grammar.scheme.match(text, start)
    host_end = hosts.end(scheme.end()) if scheme else None
    scheme_end = scheme.end() if host_end is not None else start
    if host_end is None and grammar.scheme_optional:
        host_end = hosts.end(start)
    if host_end is None:
        return None
    rest = grammar.after_host.match(text, host_end)
    return _Match(before, start, scheme_end, host_end, rest.group("path") is not None, rest.end())


def _ascii_hosts(host: str) -> list[tuple[int, int]]:
    """The ASCII domains inside a host (twitter-text links only those when there is no scheme)."""
    hosts = _Hosts(host, _ASCII_LABEL, strict_labels=False)
    found, position = [], 0
    while position < len(host):
        for start in range(position, len(host)):
            end = hosts.end(start)
            if end is not None:
                found.append((start, end))
                position = end
                break
        else:
            break
    return found


def _punycode_fits(host: str) -> bool:
    """twitter-text's host check: every label, in its ASCII (punycode) form, is 1 to 63 characters."""
    for label in host.split("."):
        try:
            encoded = label if label.isascii() else "xn--" + label.encode("punycode").decode("ascii")
        except UnicodeError:
            return False
        if not 1 <= len(encoded) <= 63:
            return False
    return True


def _idna_encodes(host: str) -> bool:
    """The check Mastodon's server adds (IDNA 2003, as libidn): labels of 63 at most, no prohibited characters."""
    try:
        host.encode("idna")
    except UnicodeError:
        return False
    return True


def _utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _t_co_end(text: str, start: int, end: int) -> int | None:
    """A t.co link ends with its slug; one with a slug over 40 characters is not a link at all (None)."""
    slug = _T_CO.match(text, start, end)
    if not slug:
        return end
    return slug.end() if len(slug.group(1)) <= _MAX_T_CO_SLUG else None


def x_link_spans(text: str) -> list[tuple[int, int]]:
    """Where X sees links in `text` (twitter-text's rules), as (start, end) code point offsets: with a scheme, or
    a bare domain (`example.com`, only its ASCII part), under a known top-level domain, each label 63 at most."""
    if "." not in text:
        return []
    spans: list[tuple[int, int]] = []
    for found in _link_matches(text, _TWITTER_TEXT):
        host = text[found.scheme_end : found.host_end]
        if not _punycode_fits(host) or (host.startswith("xn--") and not _ascii_hosts(host)):
            continue
        # twitter-text counts the link in UTF-16 units, and its scheme (or https://) once more
        scheme_length = found.scheme_end - found.start or len("https://")
        if scheme_length + _utf16_length(text[found.start : found.end]) > _MAX_LINK_LENGTH:
            continue
        if found.scheme_end > found.start:
            end = _t_co_end(text, found.start, found.end)
            if end is not None:
                spans.append((found.start, end))
        elif not (found.before < found.start and text[found.before] in "-_./"):
            domains = [(found.scheme_end + first, found.scheme_end + last) for first, last in _ascii_hosts(host)]
            if domains and found.has_path:
                domains[-1] = (domains[-1][0], found.end)
            spans.extend(domains)
    return spans


def mastodon_link_spans(text: str) -> list[tuple[int, int]]:
    """Where Mastodon's server sees links: with a scheme, under a known top-level domain, a host libidn accepts."""
    if "." not in text or ":" not in text:
        return []
    spans: list[tuple[int, int]] = []
    for found in _link_matches(text, _MASTODON_SERVER):
        host = text[found.scheme_end : found.host_end]
        if found.scheme_end == found.start or not _idna_encodes(host):
            continue  # a bare domain is not a link there (though it hides any link inside it)
        growth = max(len(host.encode("idna")) - len(host), 0)
        if found.end - found.start + growth > _MAX_LINK_LENGTH:
            continue
        end = _t_co_end(text, found.start, found.end)
        if end is not None:
            spans.append((found.start, end))
    return spans


def _replace_spans(text: str, spans: list[tuple[int, int]], replacement: str) -> str:
    pieces, last = [], 0
    for start, end in spans:
        pieces += [text[last:start], replacement]
        last = end
    pieces.append(text[last:])
    return "".join(pieces)


# -- Mastodon ------------------------------------------------------------------------------------------------

# Mastodon's web composer (and Mastodon.py, which copies it): links with http(s)://, then `@user@host` as `@user`.
_COMPOSER_MENTION = re.compile(r"(^|[^/\w])@([a-z0-9_]+)@[a-z0-9.\-]+[a-z0-9]+", re.IGNORECASE)
# Mastodon's server (Account::MENTION_RE): not after `=`, `/` or a word character; not followed by @ or ://.
_SERVER_MENTION = regex.compile(
    r"(?<![=/\w])@(?P<user>[a-z0-9_]+(?:[a-z0-9_.-]+[a-z0-9_]+)?)(?:@[\w.-]+\w+)?", regex.IGNORECASE
)
_NOT_A_MENTION_AFTER = regex.compile(f"[@＠{_LATIN_ACCENTS}]|://")


def _composer_text(text: str, url_length: int) -> str:
    spans = [(found.start, found.end) for found in _link_matches(text, _MASTODON_COMPOSER)]
    return _COMPOSER_MENTION.sub(r"\1@\2", _replace_spans(text, spans, "x" * url_length))


def _server_text(text: str, url_length: int) -> str:
    entities = [(start, end, "x" * url_length) for start, end in mastodon_link_spans(text)]
    if "@" in text or "＠" in text:
        for mention in _SERVER_MENTION.finditer(text):
            if not _NOT_A_MENTION_AFTER.match(text, mention.end()):
                entities.append((mention.start(), mention.end(), "@" + mention.group("user")))
    entities.sort(key=lambda entity: entity[0])
    pieces, last = [], 0
    for start, end, replacement in entities:  # an entity overlapping an earlier one is dropped, as the server does
        if start >= last:
            pieces += [text[last:start], replacement]
            last = end
    pieces.append(text[last:])
    return "".join(pieces)


def count_mastodon(text: str, *, url_length: int = 23, content_warning: str = "") -> int:
    """Mastodon's count: grapheme clusters, each link as `url_length` (the instance's
    `characters_reserved_per_url`), `@user@host` as `@user`, plus the content warning.

    Mastodon's server and its web composer read links and mentions slightly differently (the server also links
    gemini:// and ends a path differently, the composer also links hosts the server rejects); the count is the
    larger of the two readings, each in grapheme clusters."""
    composer = len(graphemes(_composer_text(text, url_length)))
    server = len(graphemes(_server_text(text, url_length)))
    return max(composer, server) + len(graphemes(content_warning))


# -- X -------------------------------------------------------------------------------------------------------

# twitter-text's configuration v3: a code point in these ranges weighs 1, any other 2; an emoji sequence 2 in all.
X_LIGHT_RANGES = ((0, 4351), (8192, 8205), (8208, 8223), (8242, 8247))
X_REFUSED_CHARACTERS = _REFUSED
_PICTOGRAPH = r"(?:\p{Extended_Pictographic}(?:\p{Emoji_Modifier}|\uFE0F)?)"
_EMOJI_SEQUENCE = regex.compile(
    r"\p{Regional_Indicator}{2}"  # a flag
    r"|[#*0-9]\uFE0F?\u20E3"  # a keycap
    r"|\U0001F3F4[\U000E0020-\U000E007E]+\U000E007F"  # a subdivision flag (England, Scotland, Wales)
    rf"|{_PICTOGRAPH}(?:\u200D{_PICTOGRAPH})+"  # a ZWJ sequence (a family, a profession)
    r"|\p{Emoji_Modifier_Base}\p{Emoji_Modifier}"  # a skin tone
    r"|\p{Extended_Pictographic}\uFE0F"  # a symbol asked to show as emoji (❤️, ©️)
    r"|\p{Emoji_Presentation}"
)


def _x_weight(character: str) -> int:
    point = ord(character)
    return 1 if any(low <= point <= high for low, high in X_LIGHT_RANGES) else 2


def count_x(text: str, *, url_length: int = 23) -> int:
    """X's weighted count (twitter-text v3): after NFC, each link (with or without scheme) counts `url_length`,
    each emoji sequence 2, and every other code point 1 or 2 by its range (CJK, for one, weighs 2)."""
    text = unicodedata.normalize("NFC", text)
    total, last = 0, 0
    for start, end in [*x_link_spans(text), (len(text), len(text))]:
        between = text[last:start]
        emoji = list(_EMOJI_SEQUENCE.finditer(between))
        total += 2 * len(emoji) + sum(map(_x_weight, _replace_spans(between, [m.span() for m in emoji], "")))
        if end > start:
            total += url_length
        last = end
    return total


# -- Bluesky and the rest ------------------------------------------------------------------------------------


def count_graphemes(text: str) -> int:
    return len(graphemes(text))


def count_code_points(text: str) -> int:
    # "Plain" is code points after NFC: what the network stores, and never fewer than what a reader sees.
    return len(unicodedata.normalize("NFC", text))
