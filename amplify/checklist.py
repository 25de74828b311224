"""The verification and centering checklist, and the share gate.

Nothing is recorded as shared until every blocking check passes and the user has confirmed every attestation
for the text as it is now. The checks are data (`CHECKS`); `evaluate` decides from a `ShareContext` alone,
with no I/O, so the same answer reaches the composer (`gate_status`) and the gate (`mark_shared`), which
recomputes it inside the transaction that writes the share. Probing the item's link is the one piece of
network I/O: it happens before, in `refresh_link_probe`, and the checks read its stored result.
docs/checklist.md explains each check.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal
from urllib.parse import urlsplit

import regex

from amplify import compose
from amplify.clock import from_iso, to_iso
from amplify.display import without_direction_controls
from amplify.errors import AmplifyError
from amplify.fetch import DEFAULT_LIMITS, FetchLimits, LinkProbe, probe_link
from amplify.sources import is_http_url
from amplify.store import Store

PROBE_FRESH_FOR = timedelta(hours=24)
FRESH_ITEM_DAYS = 30
MAX_HASHTAGS = 3
# A hashtag this long in one case is almost surely several words run together; CamelCase lets screen readers
# say them as words. Capitalising the first letter is enough for one long word (#Sustainability).
LOWERCASE_TAG_MAX_LETTERS = 8


@dataclass(frozen=True)
class Check:
    id: str
    label: str
    why: str
    kind: Literal["automatic", "attested"]
    severity: Literal["blocking", "advisory"]


CHECKS: tuple[Check, ...] = (
    Check("link_resolves", "The link opens",
          "SIFT, trace to the original: a dead or broken link sends people nowhere. Checked within a day.",
          "automatic", "blocking"),
    Check("link_on_own_site", "The link is on their own site",
          "Provenance: link the creator's own page, not a copy, a re-host or a shortener that hides it.",
          "automatic", "blocking"),
    Check("links_original", "The post links the original",
          "SIFT, trace to the original: readers reach the creator's own work, and the creator gets the visit.",
          "automatic", "blocking"),
    Check("credits_creator", "The creator is credited as they asked",
          "Centering: their name, or their handle if they like to be tagged, belongs on their work.",
          "automatic", "blocking"),
    Check("length_fits", "It fits the network",
          "A post cut off by the network loses the credit or the link.", "automatic", "blocking"),
    Check("hashtags", "Hashtags are few, readable and at the end",
          "Responsible hashtags: at most 3, CamelCase so screen readers say them, out of the sentence.",
          "automatic", "blocking"),
    Check("image_alt", "The image has a description",
          "Access: people who cannot see the image should still get what it shows.", "automatic", "blocking"),
    Check("centering", "The post is about them, not you",
          "Center the people directly affected: their name and words, not your feelings or your help.",
          "automatic", "advisory"),
    Check("freshness", "It is recent",
          "SIFT, stop: old news shared as new misleads; say when it is from if it is not current.",
          "automatic", "advisory"),
    Check("read_whole", "I read the whole piece, not just the headline",
          "SIFT: stop. Headlines and previews can say something the piece does not.", "attested", "blocking"),
    Check("checked_source", "I checked who is behind the account or site",
          "SIFT: investigate the source. Make sure it is really them, not an impersonator.",
          "attested", "blocking"),
    Check("traced_claims", "Claims in my post are traced to their origin, or there are none",
          "SIFT: find better coverage and trace claims, so no misinformation spreads in their name.",
          "attested", "blocking"),
    Check("meant_public", "The creator meant this to be shared publicly",
          "First Draft's provenance questions: a public post is not always meant for a wider audience.",
          "attested", "blocking"),
    Check("their_words_first", "Their words come first; I am not speaking for them",
          "Centering: amplify their voice rather than speaking over or for them.", "attested", "blocking"),
    Check("creator_agreed", "The creator agreed to be tagged",
          "They asked to be asked first: consent before putting their name in front of your audience.",
          "attested", "blocking"),
)
CHECKS_BY_ID: dict[str, Check] = {check.id: check for check in CHECKS}
ATTESTATIONS: tuple[Check, ...] = tuple(check for check in CHECKS if check.kind == "attested")
# These confirm something about the words themselves, so any edit of the text asks for them again. The others
# are about the piece and the source (reading it, checking who is behind it), which an edit does not change.
TEXT_BOUND_ATTESTATIONS = frozenset({"their_words_first", "creator_agreed", "traced_claims"})

# Hosts that hide where a link goes, and sites that copy or wrap other people's work. Anything else that is
# not the creator's own host fails too; these only get a more precise reason.
SHORTENER_HOSTS = frozenset({
    "bit.ly", "bitly.com", "t.co", "tinyurl.com", "goo.gl", "ow.ly", "buff.ly", "is.gd", "v.gd",
    "lnkd.in", "rebrand.ly", "cutt.ly", "shorturl.at", "t.ly", "tiny.cc", "bl.ink", "s.id", "rb.gy",
    "dlvr.it", "trib.al", "fb.me", "youtu.be", "amzn.to", "shorte.st", "adf.ly", "tr.im", "su.pr",
    "qr.ae", "soo.gd",
})
REHOST_HOSTS = frozenset({
    "web.archive.org", "archive.org", "archive.ph", "archive.today", "archive.is", "news.google.com",
    "flipboard.com", "msn.com", "news.yahoo.com", "pocket.co", "getpocket.com", "feedly.com",
    "inoreader.com", "scribd.com", "12ft.io", "removepaywall.com", "translate.goog",
})

FIRST_PERSON_WORDS = frozenset({
    "i", "me", "my", "mine", "myself", "i'm", "i've", "i'd", "i'll", "we", "us", "our", "ours",
    "ourselves", "we're", "we've", "we'd", "we'll",
})
# Savior or performative framing, each with why it is worth rewording. Matched as whole words, any case.
FRAMING_PHRASES: dict[str, str] = {
    "voice to the voiceless": "they have a voice; share it rather than giving them one",
    "voice for the voiceless": "they have a voice; share it rather than speaking for them",
    "so proud to support": "puts your pride at the center; say what they made instead",
    "proud to support": "puts your pride at the center; say what they made instead",
    "empowering them": "casts them as needing you to act; say what they did",
    "empower them": "casts them as needing you to act; say what they did",
    "giving back to": "frames the share as your charity; their work stands on its own",
    "helping these": "puts your help first; name them and their work instead",
    "these people": "sets them apart as a group; use their name",
    "those people": "sets them apart as a group; use their name",
    "less fortunate": "defines them by what they lack; describe their work",
    "underprivileged": "defines them by what they lack; describe their work",
    "shining a light on": "suggests they were invisible until you noticed them",
    "shine a light on": "suggests they were invisible until you noticed them",
    "as an ally": "centers your identity as an ally; center their work",
    "doing my part": "centers your effort rather than their work",
    "so inspiring": "casts them as inspiration for others; share their work on its own terms",
    "check out these": "treats them as a set of examples; name who they are",
}
_FRAMING = regex.compile(
    r"(?<!\w)(" + "|".join(sorted(map(regex.escape, FRAMING_PHRASES), key=len, reverse=True)) + r")(?!\w)",
    regex.IGNORECASE,
)
_QUOTED = regex.compile(r"“[^”]*”|\"[^\"]*\"|«[^»]*»|「[^」]*」")
_WORD = regex.compile(r"[\p{L}\p{N}]+(?:['’][\p{L}]+)?")
_HASHTAG = regex.compile(r"(?<![\p{L}\p{N}_#&/])#([\p{L}\p{N}_]+)")


class ShareError(AmplifyError):
    """A share that cannot be recorded; the message says what to do."""


class ShareRefused(ShareError):
    """The checklist is not complete: `failures` holds every failed blocking check and missing attestation."""

    def __init__(self, failures: Sequence["CheckResult"]) -> None:
        self.failures = list(failures)
        reasons = "\n".join(f"- {result.check.label}: {result.detail}" for result in self.failures)
        super().__init__(f"Not marked shared yet. Still to do:\n{reasons}")


class InvalidPostURL(ShareError):
    pass


# -- the context and the results ----------------------------------------------------------------------------


@dataclass(frozen=True)
class StoredProbe(LinkProbe):
    """A link probe as stored: what `probe_link` found, and when."""

    checked_at: datetime

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> "StoredProbe":
        return cls(
            row["url"],
            bool(row["ok"]),
            row["status"],
            row["final_url"],
            int(row["redirects"]),
            row["error"],
            from_iso(row["checked_at"]),
        )

    def is_fresh(self, now: datetime) -> bool:
        return now - self.checked_at <= PROBE_FRESH_FOR


@dataclass(frozen=True)
class ShareContext:
    """Everything the checks look at for one network's post; built by `load_share_context` from the store."""

    text: str
    network: str
    text_version: int
    source_name: str
    credit: compose.Credit
    item_url: str | None
    published_at: datetime | None = None
    image_url: str | None = None
    alt_text: str | None = None
    own_hosts: tuple[str, ...] = ()  # the source's url host, its feed hosts and its extra domains
    probe: StoredProbe | None = None
    attested: frozenset[str] = frozenset()  # attestations valid for this text version
    draft_state: str = "open"
    shared_networks: frozenset[str] = frozenset()  # networks this draft already has an active share on
    attestation_rows: tuple[Mapping[str, Any], ...] = field(default=(), compare=False)


@dataclass(frozen=True)
class CheckResult:
    check: Check
    passed: bool
    detail: str

    @property
    def blocks(self) -> bool:
        return not self.passed and self.check.severity == "blocking"

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.check.id,
            "label": self.check.label,
            "kind": self.check.kind,
            "severity": self.check.severity,
            "passed": self.passed,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class GateStatus:
    results: list[CheckResult]
    missing_attestations: list[Check]
    can_share: bool

    @property
    def failures(self) -> list[CheckResult]:
        """Every blocking check that fails, missing attestations included, in checklist order."""
        return [result for result in self.results if result.blocks]


# -- host rules ---------------------------------------------------------------------------------------------


def host_of(url: str | None) -> str | None:
    if not url:
        return None
    try:
        host = urlsplit(without_direction_controls(url)).hostname
    except ValueError:
        return None
    return host.rstrip(".").lower() if host else None


def _bare(host: str) -> str:
    return host.removeprefix("www.")


def own_hosts(source_url: str | None, feed_urls: Iterable[str], domains: Iterable[str]) -> tuple[str, ...]:
    """The hosts that are the creator's own: their homepage's, their feeds', and the extra `domains:`."""
    hosts = [host_of(source_url), *map(host_of, feed_urls), *(domain.strip().lower() for domain in domains)]
    return tuple(dict.fromkeys(_bare(host) for host in hosts if host))


def site_verdict(url: str | None, hosts: Sequence[str]) -> tuple[bool, str]:
    """Whether `url` is on one of the creator's own hosts (subdomains count), and why, in plain words."""
    host = host_of(url)
    if host is None:
        return False, "there is no web link to check"
    if host in SHORTENER_HOSTS:
        return (
            False,
            f"{host} is a link shortener, which hides where the link goes: link their own page instead",
        )
    if host in REHOST_HOSTS or any(host.endswith("." + rehost) for rehost in REHOST_HOSTS):
        return False, f"{host} shows a copy of their work: link the original on their own site"
    bare = _bare(host)
    if any(bare == own or bare.endswith("." + own) for own in hosts):
        return True, f"on {host}, their own site"
    known = ", ".join(hosts) if hosts else "none known yet"
    return False, (
        f"{host} is not one of their own sites ({known}); link their own page, or add the domain to "
        "their `domains:` in feeds.yml if it is theirs"
    )


# -- the checks ---------------------------------------------------------------------------------------------


def _outside_quotes(text: str) -> str:
    return _QUOTED.sub(" ", text)


def _name_pattern(name: str) -> "regex.Pattern[str]":
    """A name or handle as a whole word, any case: "@ada" is not found in "@adam", nor "Ada" in "Adaline"."""
    return regex.compile(
        r"(?<![\p{L}\p{N}_@])" + regex.escape(name.strip()) + r"(?![\p{L}\p{N}_@])", regex.IGNORECASE
    )


def _contains_name(text: str, name: str) -> bool:
    return bool(_name_pattern(name).search(text))


def _without_links(text: str) -> str:
    """The text with its links blanked, so a `#fragment` in a URL is not taken for a hashtag."""
    return "".join(" " if compose.links_in(token) else token for token in regex.split(r"(\s+)", text))


def _check_link_resolves(ctx: ShareContext, now: datetime) -> tuple[bool, str]:
    if not ctx.item_url:
        return False, "this item has no web link, so there is nothing to open"
    if ctx.probe is None:
        return False, "not checked yet: check the link first"
    if not ctx.probe.is_fresh(now):
        hours = int((now - ctx.probe.checked_at).total_seconds() // 3600)
        return False, f"last checked {hours} hours ago: check it again"
    if not ctx.probe.ok:
        return False, f"it did not open: {ctx.probe.error or f'status {ctx.probe.status}'}"
    hops = (
        f" after {ctx.probe.redirects} redirect{'s' * (ctx.probe.redirects != 1)}"
        if ctx.probe.redirects
        else ""
    )
    return True, f"it opened (status {ctx.probe.status}){hops}"


def _check_link_on_own_site(ctx: ShareContext, now: datetime) -> tuple[bool, str]:
    # Both the link in the post and where it ends after redirects must be theirs: a shortener that lands on
    # their site still hides it, and their link that now redirects elsewhere no longer leads to their work.
    linked = site_verdict(ctx.item_url, ctx.own_hosts)
    probe = ctx.probe
    if not linked[0] or probe is None or not (probe.ok and probe.is_fresh(now)):
        return linked
    if not probe.final_url or probe.final_url == ctx.item_url:
        return linked
    passed, reason = site_verdict(probe.final_url, ctx.own_hosts)
    return passed, f"it redirects: {reason}"


def _check_links_original(ctx: ShareContext, now: datetime) -> tuple[bool, str]:
    if not ctx.item_url:
        return False, "this item has no web link to the original"
    if not compose.NETWORKS[ctx.network].text_in_url:
        return True, f"{compose.NETWORKS[ctx.network].label}'s share page carries the link itself"
    wanted = ctx.item_url.rstrip("/")
    if any(link.rstrip("/") == wanted for link in compose.links_in(ctx.text)):
        return True, "the post links the original"
    return False, f"add the link to the original: {ctx.item_url}"


def _check_credits_creator(ctx: ShareContext, now: datetime) -> tuple[bool, str]:
    credit = ctx.credit
    if credit.mention:
        if _contains_name(ctx.text, credit.mention):
            return True, f"mentions {credit.mention}"
        return False, f"{credit.name} likes to be tagged: mention {credit.mention}"
    if not _contains_name(ctx.text, credit.name):
        return False, f"name {credit.name} in the post"
    tagged = [mention for mention in credit.unwanted_mentions if _contains_name(ctx.text, mention)]
    if tagged:
        return False, f"{credit.name} asked to be named, not tagged: take out {', '.join(tagged)}"
    if credit.needs_consent and "creator_agreed" not in ctx.attested:
        return False, f"{credit.name} asked to be asked first: confirm below that they agreed"
    return True, f"names {credit.name}"


def _check_length_fits(ctx: ShareContext, now: datetime) -> tuple[bool, str]:
    if not ctx.text.strip():
        return False, "the post is empty"
    measured = compose.check_length(ctx.text, ctx.network)
    return measured.fits, measured.reason


def hashtag_problems(text: str) -> list[str]:
    """What is wrong with the post's hashtags, one plain line each; empty when they are fine."""
    without_links = _without_links(text)
    tags = [match.group(1) for match in _HASHTAG.finditer(without_links)]
    problems = []
    if len(tags) > MAX_HASHTAGS:
        problems.append(f"{len(tags)} hashtags: keep at most {MAX_HASHTAGS}, the ones people really follow")
    for tag in tags:
        letters = sum(character.isalpha() for character in tag)
        if tag == tag.lower() and tag != tag.upper() and letters > LOWERCASE_TAG_MAX_LETTERS:
            problems.append(
                f"#{tag}: capitalise each word (like #BlackOwnedBusiness) so screen readers can say it"
            )
    for line in without_links.splitlines():
        tokens = line.split()
        tagged = [bool(_HASHTAG.search(token)) for token in tokens]
        # Tags may close a line (or fill one); a tag with words after it on its line interrupts the sentence.
        sentence_end = len(tokens)
        while sentence_end and tagged[sentence_end - 1]:
            sentence_end -= 1
        problems += [
            f"{token} sits inside a sentence: move hashtags to the end or to their own line"
            for token, is_tag in zip(tokens[:sentence_end], tagged[:sentence_end], strict=True)
            if is_tag
        ]
    return problems


def _check_hashtags(ctx: ShareContext, now: datetime) -> tuple[bool, str]:
    problems = hashtag_problems(ctx.text)
    if problems:
        return False, "; ".join(problems)
    count = len(_HASHTAG.findall(_without_links(ctx.text)))
    return True, "no hashtags" if not count else f"{count} hashtag{'s' * (count != 1)}, at the end"


def _check_image_alt(ctx: ShareContext, now: datetime) -> tuple[bool, str]:
    if not ctx.image_url:
        return True, "no image attached"
    if ctx.alt_text and ctx.alt_text.strip():
        return True, "the image is described"
    return False, "describe the image in a sentence for people who cannot see it"


def _counted(number: int, noun: str) -> str:
    return f"{number} {noun}{'s' * (number != 1)}"


def centering_notes(text: str, creator_names: Sequence[str]) -> list[str]:
    """Where the post may center the sharer rather than the creator, one plain line each."""
    own_words = _outside_quotes(text)
    words = [word.lower().replace("’", "'") for word in _WORD.findall(own_words)]
    first_person = sum(word in FIRST_PERSON_WORDS for word in words)
    quoted_words = sum(len(_WORD.findall(quoted)) for quoted in _QUOTED.findall(text))
    names = dict.fromkeys(name for name in creator_names if name)
    name_mentions = sum(len(_name_pattern(name).findall(text)) for name in names)
    notes = []
    if first_person > name_mentions + quoted_words:
        notes.append(
            f"{_counted(first_person, 'word')} about you (I, me, we...) against "
            f"{_counted(name_mentions, 'mention')} of them and {quoted_words} of their quoted words: let "
            "their name and words carry the post"
        )
    for match in _FRAMING.finditer(own_words.replace("’", "'")):
        notes.append(f"“{match.group(1)}”: {FRAMING_PHRASES[match.group(1).lower()]}")
    return notes


def _check_centering(ctx: ShareContext, now: datetime) -> tuple[bool, str]:
    notes = centering_notes(ctx.text, [ctx.credit.name, ctx.credit.mention or ""])
    return (False, "; ".join(notes)) if notes else (True, "the post is about them")


def _check_freshness(ctx: ShareContext, now: datetime) -> tuple[bool, str]:
    if ctx.published_at is None:
        return False, "the feed gives no date: make sure it is current, or say when it is from"
    age = (now - ctx.published_at).days
    if age > FRESH_ITEM_DAYS:
        return False, f"published {age} days ago: say when it is from if it is not current news"
    return True, "published today" if age <= 0 else f"published {age} day{'s' * (age != 1)} ago"


_AUTOMATIC = {
    "link_resolves": _check_link_resolves,
    "link_on_own_site": _check_link_on_own_site,
    "links_original": _check_links_original,
    "credits_creator": _check_credits_creator,
    "length_fits": _check_length_fits,
    "hashtags": _check_hashtags,
    "image_alt": _check_image_alt,
    "centering": _check_centering,
    "freshness": _check_freshness,
}


def required_attestations(ctx: ShareContext) -> list[Check]:
    """The attestations this post needs: all of them, and `creator_agreed` only when the creator asked to be
    asked first."""
    return [check for check in ATTESTATIONS if check.id != "creator_agreed" or ctx.credit.needs_consent]


def evaluate(ctx: ShareContext, *, now: datetime) -> list[CheckResult]:
    """Every check that applies to this post, in checklist order. Pure: it reads only `ctx` and `now`."""
    results = []
    for check in CHECKS:
        if check.kind == "automatic":
            passed, detail = _AUTOMATIC[check.id](ctx, now)
            results.append(CheckResult(check, passed, detail))
    for check in required_attestations(ctx):
        given = check.id in ctx.attested
        detail = (
            "confirmed"
            if given
            else (
                "confirm it for the text as it is now"
                if check.id in TEXT_BOUND_ATTESTATIONS
                else "confirm it"
            )
        )
        results.append(CheckResult(check, given, detail))
    return results


def valid_attestations(rows: Iterable[Mapping[str, Any]], text_version: int) -> frozenset[str]:
    """The attestations that count for `text_version`: text-bound ones only when given for exactly this
    version, the others when given for any version of this post up to it."""
    valid = set()
    for row in rows:
        version = int(row["text_version"])
        if version == text_version or (
            row["check_id"] not in TEXT_BOUND_ATTESTATIONS and version < text_version
        ):
            valid.add(row["check_id"])
    return frozenset(valid)


# -- reading the store, and the gate ------------------------------------------------------------------------


def load_share_context(store: Store, draft_id: int, network: str) -> ShareContext:
    """Gather what the checks need for one post, from the store as it is now."""
    compose.network_rules(network)  # an unknown network is refused with the list of known ones
    subject = store.share_subject(draft_id, network)
    if subject is None:
        raise ShareError(
            f"draft {draft_id} has no {network} post; choose {network} for it in the Queue first"
        )
    source = {
        "name": subject["source_name"],
        "handles": subject["source_handles"],
        "credit": subject["source_credit"],
    }
    # The address as shown, posted and probed: without direction controls (amplify/display.py).
    item_url = without_direction_controls(subject["item_url"]) or None
    probe_row = store.link_probe(item_url) if item_url else None
    attestation_rows = store.attestations(draft_id, network)
    version = int(subject["text_version"])
    return ShareContext(
        text=subject["text"],
        network=network,
        text_version=version,
        source_name=subject["source_name"],
        credit=compose.credit_for(source, network),
        item_url=item_url,
        published_at=from_iso(subject["item_published_at"]) if subject["item_published_at"] else None,
        image_url=subject["item_image_url"],
        alt_text=subject["alt_text"],
        own_hosts=own_hosts(
            subject["source_url"],
            subject["feed_urls"],
            subject["source_domains"],
        ),
        probe=StoredProbe.from_row(probe_row) if probe_row else None,
        attested=valid_attestations(attestation_rows, version),
        draft_state=subject["draft_state"],
        shared_networks=frozenset(subject["shared_networks"]),
        attestation_rows=tuple(attestation_rows),
    )


def _status(ctx: ShareContext, now: datetime) -> GateStatus:
    results = evaluate(ctx, now=now)
    missing = [result.check for result in results if result.check.kind == "attested" and not result.passed]
    return GateStatus(results, missing, not any(result.blocks for result in results))


def gate_status(store: Store, draft_id: int, network: str, *, now: datetime | None = None) -> GateStatus:
    """Where one post stands: every check's result, the attestations still missing, and whether it can be
    shared. For the composer to enable buttons and show reasons; `mark_shared` decides again on its own."""
    return _status(load_share_context(store, draft_id, network), now or store.clock())


def refresh_link_probe(
    store: Store,
    url: str,
    *,
    now: datetime | None = None,
    force: bool = False,
    limits: FetchLimits = DEFAULT_LIMITS,
) -> StoredProbe:
    """Probe `url` when its stored probe is missing or older than a day (or when `force`), store the result
    and return it. Network I/O: call it before `mark_shared`, never inside a transaction."""
    if store.conn.in_transaction:
        # A probe can take as long as the fetch deadline; holding the write lock that long would stall every
        # other tab and the cron refresh.
        raise RuntimeError("refresh_link_probe does network I/O: call it before a transaction, not in one")
    stored = store.link_probe(url)
    if stored is not None and not force and StoredProbe.from_row(stored).is_fresh(now or store.clock()):
        return StoredProbe.from_row(stored)
    store.save_link_probe(probe_link(url, limits=limits))
    saved = store.link_probe(url)
    assert saved is not None
    return StoredProbe.from_row(saved)


def validate_post_url(post_url: str | None) -> str | None:
    """The post's address as given, trimmed; None when empty. Only a full http(s) link is accepted."""
    if post_url is None or not post_url.strip():
        return None
    cleaned = post_url.strip()
    if not is_http_url(cleaned):
        raise InvalidPostURL(
            f"{cleaned!r} is not a post address: paste the full link, starting with https://, "
            "or leave it empty"
        )
    return cleaned


def snapshot(ctx: ShareContext, status: GateStatus, now: datetime) -> dict[str, Any]:
    """What a share records about its checklist: every result, every attestation, the probe, and when."""
    probe = ctx.probe
    return {
        "checked_at": to_iso(now),
        "network": ctx.network,
        "text_version": ctx.text_version,
        "checks": [result.as_json() for result in status.results],
        "missing_attestations": [check.id for check in status.missing_attestations],
        "attestations": [
            {"id": row["check_id"], "text_version": row["text_version"], "attested_at": row["attested_at"]}
            for row in ctx.attestation_rows
            if row["check_id"] in ctx.attested
        ],
        "probe": None
        if probe is None
        else {
            "url": probe.url,
            "ok": probe.ok,
            "status": probe.status,
            "final_url": probe.final_url,
            "redirects": probe.redirects,
            "error": probe.error,
            "checked_at": to_iso(probe.checked_at),
        },
    }


def mark_shared(
    store: Store, draft_id: int, network: str, post_url: str | None = None, *, now: datetime | None = None
) -> int:
    """Record that the user shared this post, only if every blocking check passes and every attestation is
    given for the text as it is now. Returns the share's id; raises `ShareRefused` naming each reason.

    Everything is decided again inside the write transaction, so an edit in another tab between the last look
    and this click cannot slip through."""
    cleaned_post_url = validate_post_url(post_url)
    with store.transaction():
        moment = now or store.clock()
        ctx = load_share_context(store, draft_id, network)
        if network in ctx.shared_networks:
            raise ShareError(
                f"this draft is already shared on {compose.NETWORKS[network].label}; see History"
            )
        if ctx.draft_state != "open":
            raise ShareError(f"this draft is {ctx.draft_state}; queue the item again to share it")
        status = _status(ctx, moment)
        if status.can_share:
            return store.record_share(
                draft_id,
                network,
                text_version=ctx.text_version,
                post_url=cleaned_post_url,
                checklist=snapshot(ctx, status, moment),
            )
        # A refused attempt is part of the record (the audit counts which checks stop shares), so it is
        # committed before the refusal is raised.
        store.log_event(
            "share_refused",
            draft_id=draft_id,
            network=network,
            text_version=ctx.text_version,
            failed=[result.check.id for result in status.failures if result.check.kind == "automatic"],
            missing_attestations=[check.id for check in status.missing_attestations],
        )
    raise ShareRefused(status.failures)
