"""Composing posts: the networks and their limits, crediting the creator, hashtags and each network's share
(compose) URL. How each network counts a post lives in `amplify.counting`; quotes and templates, the first draft
made from them, in `amplify.drafting`.

Everything here is pure: text in, text or numbers out. The networks are data (`NETWORKS`), so a page, the
checklist and the tests all read the same rules. The creator is the subject of every template: their name or
handle comes first, their own words come before anything else, and no template speaks in the first person.
"""

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote as url_quote

import regex

from amplify import counting, networks
from amplify.counting import graphemes
from amplify.errors import AmplifyError

if TYPE_CHECKING:  # a feeds.yml source or a `sources` row: read by field, so no import is needed at run time
    from amplify.types import Source


class ComposeError(AmplifyError, ValueError):
    """A composing request that cannot be honoured; the message says what to change."""


class UnknownNetwork(ComposeError):
    pass


class UnknownTemplate(ComposeError):
    pass


class InvalidInstance(ComposeError):
    pass


class InvalidHashtag(ComposeError):
    pass


# -- links ---------------------------------------------------------------------------------------------------

# Any absolute http(s) URL the post carries (the item's link, say), whatever its host: what the networks count as a
# link is narrower (amplify.counting). A URL runs to the next space or quote; sentence punctuation is not part of it.
_URL = re.compile(r"""https?://[^\s<>"'“”‘’«»]+""", re.IGNORECASE)
_URL_TRAILING = ".,;:!?…"


def _trim_url(candidate: str) -> str:
    while candidate and (
        candidate[-1] in _URL_TRAILING
        # a closing bracket belongs to the URL only when the URL opened it, as in Wikipedia links
        or (candidate[-1] == ")" and candidate.count(")") > candidate.count("("))
    ):
        candidate = candidate[:-1]
    return candidate


def _url_spans(text: str) -> list[tuple[int, int]]:
    spans = []
    for match in _URL.finditer(text):
        url = _trim_url(match.group())
        if len(url) > len("https://"):
            spans.append((match.start(), match.start() + len(url)))
    return spans


def links_in(text: str) -> list[str]:
    """The absolute http(s) URLs in `text`, in order, without the sentence punctuation that follows them."""
    return [text[start:end] for start, end in _url_spans(text)]


def replace_urls(text: str, replacement: Callable[[str], str]) -> str:
    pieces, last = [], 0
    for start, end in _url_spans(text):
        pieces += [text[last:start], replacement(text[start:end])]
        last = end
    pieces.append(text[last:])
    return "".join(pieces)


# -- counting rules ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Limits:
    """How long a post may be on one network (or one Mastodon server), and what a link counts as there."""

    characters: int
    url_length: int | None = None  # every link the network recognises counts as this many; None: at full length
    bytes: int | None = None  # a cap on the UTF-8 size too (Bluesky)


MASTODON_DEFAULTS = Limits(characters=500, url_length=23)


def mastodon_limits(instance: Mapping[str, Any]) -> Limits:
    """A Mastodon server's own limits, from its `GET /api/v2/instance` answer (`configuration.statuses`:
    `max_characters`, `characters_reserved_per_url`). A number the server leaves out keeps Mastodon's default."""
    configuration = instance.get("configuration") if isinstance(instance, Mapping) else None
    statuses = configuration.get("statuses") if isinstance(configuration, Mapping) else None
    statuses = statuses if isinstance(statuses, Mapping) else {}
    numbers = {}
    for field, default in (("max_characters", MASTODON_DEFAULTS.characters),
                           ("characters_reserved_per_url", MASTODON_DEFAULTS.url_length)):
        value = statuses.get(field, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ComposeError(f"the instance gave {field} as {value!r}; expected a whole number above 0")
        numbers[field] = value
    return Limits(characters=numbers["max_characters"], url_length=numbers["characters_reserved_per_url"])


def _count_mastodon(text: str, limits: Limits) -> int:
    return counting.count_mastodon(text, url_length=limits.url_length or MASTODON_DEFAULTS.url_length)


def _count_x(text: str, limits: Limits) -> int:
    return counting.count_x(text, url_length=limits.url_length or 23)


def _count_graphemes(text: str, _limits: Limits) -> int:
    return counting.count_graphemes(text)


def _count_plain(text: str, _limits: Limits) -> int:
    return counting.count_code_points(text)


def _mastodon_mention(handle: str) -> str | None:
    user, _, host = handle.strip().lstrip("@").partition("@")
    return f"@{user}@{host}" if user and host else None


def _simple_mention(handle: str) -> str | None:
    name = handle.strip().lstrip("@")
    return f"@{name}" if name and not any(character.isspace() for character in name) else None


@dataclass(frozen=True)
class Network:
    """One network's rules: how long a post may be, how it is counted, and where its compose page is."""

    id: str  # one of amplify.networks.IDS, whose names the pages show
    limits: Limits
    counting: str  # the counting rule in plain words, shown under the live count ({url_length}: what a link counts)
    count: Callable[[str, Limits], int]
    compose_base: str
    unit: str = "characters"
    text_in_url: bool = True  # LinkedIn's share page takes only a URL
    max_links: int | None = None
    mention: Callable[[str], str | None] | None = None  # a handle as a mention the network links, or None
    content_warning: bool = False  # a post may carry a content warning, which counts toward the limit
    refused_characters: str = ""  # characters the network refuses anywhere in a post

    @property
    def limit(self) -> int:
        return self.limits.characters

    @property
    def label(self) -> str:
        return networks.NAMES[self.id]


NETWORKS: dict[str, Network] = {
    network.id: network
    for network in (
        Network(
            "mastodon", MASTODON_DEFAULTS,
            "characters as you see them; a link to a known domain counts as {url_length}, @user@host as @user",
            _count_mastodon, "https://{instance}/share?text=", mention=_mastodon_mention, content_warning=True,
        ),
        Network(
            "bluesky", Limits(characters=300, bytes=3000),
            "characters as you see them (an emoji is one); links at full length",
            _count_graphemes, "https://bsky.app/intent/compose?text=", mention=_simple_mention,
        ),
        Network(
            "x", Limits(characters=280, url_length=23),
            "CJK characters and emoji count 2; a link to a known domain counts as {url_length}, with or without "
            "https://",
            _count_x, "https://twitter.com/intent/tweet?text=", mention=_simple_mention,
            refused_characters=counting.X_REFUSED_CHARACTERS,
        ),
        Network(
            "linkedin", Limits(characters=3000), "plain characters; the share page carries only the link",
            _count_plain, "https://www.linkedin.com/sharing/share-offsite/?url=", text_in_url=False,
        ),
        Network(
            "threads", Limits(characters=500), "plain characters; at most 5 links",
            _count_plain, "https://www.threads.net/intent/post?text=", max_links=5, mention=_simple_mention,
        ),
    )
}


def network_rules(network_id: str) -> Network:
    try:
        return NETWORKS[network_id]
    except KeyError:
        known = ", ".join(NETWORKS)
        raise UnknownNetwork(f"unknown network {network_id!r}: choose one of {known}") from None


def counting_rule(network_id: str, limits: Limits | None = None) -> str:
    """How the network counts, in plain words, with what a link counts as there (a Mastodon server's own)."""
    rules = network_rules(network_id)
    return rules.counting.format(url_length=(limits or rules.limits).url_length)


def count(text: str, network_id: str, *, content_warning: str = "", limits: Limits | None = None) -> int:
    """The length of `text` under the network's own counting rule.

    `limits` are the network's own numbers where they are known (a Mastodon server's, from `mastodon_limits`);
    `content_warning` counts toward the limit on Mastodon, the one network here that has one."""
    rules = network_rules(network_id)
    if content_warning and not rules.content_warning:
        raise ComposeError(f"{rules.label} posts have no content warning")
    return rules.count(text, limits or rules.limits) + len(graphemes(content_warning))


@dataclass(frozen=True)
class LengthCheck:
    count: int
    limit: int
    fits: bool
    reason: str


def check_length(
    text: str, network_id: str, *, content_warning: str = "", limits: Limits | None = None
) -> LengthCheck:
    """Whether the post fits the network (or, with `limits`, one Mastodon server), and why not, in plain words."""
    rules = network_rules(network_id)
    limits = limits or rules.limits
    used = count(text, network_id, content_warning=content_warning, limits=limits)
    limit = limits.characters
    with_warning = " with the content warning" if content_warning else ""

    def refused(reason: str) -> LengthCheck:
        return LengthCheck(used, limit, False, reason)

    if used > limit:
        return refused(f"{used} of {limit} {rules.unit}{with_warning}: {used - limit} over {rules.label}'s limit")
    size = len(text.encode("utf-8"))
    if limits.bytes is not None and size > limits.bytes:
        return refused(f"{size} of {limits.bytes} bytes: {rules.label} also limits the size, and emoji and many "
                       "scripts take several bytes a character")
    if rules.max_links is not None and len(links_in(text)) > rules.max_links:
        return refused(f"{rules.label} allows at most {rules.max_links} links; this post has {len(links_in(text))}")
    refused_here = sorted({character for character in text if character in rules.refused_characters})
    if refused_here:
        named = ", ".join(f"U+{ord(character):04X}" for character in refused_here)
        noun, them = ("characters", "them") if len(refused_here) > 1 else ("character", "it")
        return refused(f"{rules.label} refuses the invisible {noun} {named}: take {them} out")
    return LengthCheck(used, limit, True, f"{used} of {limit} {rules.unit}{with_warning}")


# -- credit --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Credit:
    """How the creator is named in a post on one network, following the creator's own preference."""

    name: str
    preference: str  # tag | name | ask
    mention: str | None = None  # set only for `tag`, when the source has a usable handle on that network
    needs_consent: bool = False  # `ask`: the user must confirm the creator agreed before sharing
    # `name`: their handles as mentions, which the post must not contain (they asked not to be tagged)
    unwanted_mentions: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        return self.mention or self.name


def _source_fields(source: "Source | Mapping[str, Any]") -> tuple[str, dict[str, str], str]:
    if not isinstance(source, Mapping):
        return source.name, dict(source.handles), source.credit
    handles = source.get("handles") or {}  # the store hands rows out with their JSON columns decoded
    return str(source["name"]), dict(handles), str(source.get("credit") or "tag")


def credit_for(source: "Source | Mapping[str, Any]", network_id: str) -> Credit:
    """Credit the creator as they asked: `tag` mentions their handle on this network (their name when they
    have none there), `name` names them without a mention, `ask` names them and needs their consent first."""
    name, handles, preference = _source_fields(source)
    rules = network_rules(network_id)
    if preference == "ask":
        return Credit(name, "ask", needs_consent=True)
    if preference == "name":
        unwanted = (
            NETWORKS[other].mention(handle) if other in NETWORKS and NETWORKS[other].mention else None
            for other, handle in handles.items()
        )
        return Credit(name, "name", unwanted_mentions=tuple(dict.fromkeys(filter(None, unwanted))))
    handle = handles.get(network_id)
    mention = rules.mention(handle) if handle and rules.mention else None
    return Credit(name, "tag", mention=mention)


# -- hashtags ------------------------------------------------------------------------------------------------

_TAG_WORD = regex.compile(r"[\p{L}\p{N}\p{M}]+")
_APOSTROPHES = regex.compile(r"(?<=\p{L})['’](?=\p{L})")


def hashtag(text: str) -> str:
    """A CamelCase hashtag, readable by screen readers: "black owned business" -> "#BlackOwnedBusiness".

    Characters that end a tag on the networks (punctuation, spaces, symbols) are dropped; an apostrophe inside
    a word is removed rather than splitting it ("women's" -> "Womens")."""
    words = _TAG_WORD.findall(_APOSTROPHES.sub("", text.lstrip("#")))
    if not words:
        raise InvalidHashtag(f"{text!r} has no letters or digits to make a hashtag from")
    tag = "".join(word[0].upper() + word[1:] for word in words)
    if not regex.search(r"\p{L}", tag):
        raise InvalidHashtag(f"{text!r}: a hashtag needs a letter (the networks ignore all-digit tags)")
    return f"#{tag}"


def suggest_hashtags(tags: Sequence[str], limit: int = 3) -> list[str]:
    """Up to `limit` distinct hashtags from the source's tags; one that cannot make a hashtag is left out."""
    suggested: list[str] = []
    for tag in tags:
        try:
            candidate = hashtag(tag)
        except InvalidHashtag:
            continue
        if candidate.casefold() not in {seen.casefold() for seen in suggested}:
            suggested.append(candidate)
        if len(suggested) == limit:
            break
    return suggested


# -- share links ---------------------------------------------------------------------------------------------

_HOST_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")


def validate_instance(instance: str) -> str:
    """A Mastodon instance as a bare host name ("mastodon.social"), lower-cased and in its ASCII form."""
    candidate = instance.strip().rstrip(".").lower()
    try:
        ascii_host = candidate.encode("idna").decode("ascii")
    except UnicodeError:
        ascii_host = ""
    labels = ascii_host.split(".")
    well_formed = len(labels) >= 2 and all(_HOST_LABEL.fullmatch(label) for label in labels)
    if not ascii_host or len(ascii_host) > 253 or not well_formed:
        raise InvalidInstance(
            f"{instance!r} is not a Mastodon instance name: give the bare host, like mastodon.social "
            "(no https://, no path)"
        )
    return ascii_host


def compose_url(
    network_id: str, text: str, *, url: str | None = None, instance: str = "mastodon.social"
) -> str:
    """The network's compose page, prefilled with `text` (LinkedIn: with `url`, all its share page takes)."""
    rules = network_rules(network_id)
    if not rules.text_in_url:
        if not url or not links_in(url) or links_in(url)[0] != url:
            raise ComposeError(f"{rules.label}'s share page needs the item's http(s) link")
        return rules.compose_base + url_quote(url, safe="")
    if url and url.rstrip("/") not in {link.rstrip("/") for link in links_in(text)}:
        text = f"{text}\n{url}" if text else url
    base = rules.compose_base
    if "{instance}" in base:
        base = base.format(instance=validate_instance(instance))
    return base + url_quote(text, safe="")
