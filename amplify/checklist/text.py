"""Text rules: the checks that read the words of a post (credit, length, hashtags, image description,
centering, freshness)."""

from collections.abc import Sequence
from datetime import datetime

import regex

from amplify import compose
from amplify.attestations import CREATOR_AGREED
from amplify.checklist.model import ShareContext

FRESH_ITEM_DAYS = 30
MAX_HASHTAGS = 3
# A hashtag this long in one case is almost surely several words run together; CamelCase lets screen readers
# say them as words. Capitalising the first letter is enough for one long word (#Sustainability).
LOWERCASE_TAG_MAX_LETTERS = 8


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



def check_credits_creator(ctx: ShareContext, now: datetime) -> tuple[bool, str]:
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
    if credit.needs_consent and CREATOR_AGREED not in ctx.attested:
        return False, f"{credit.name} asked to be asked first: confirm below that they agreed"
    return True, f"names {credit.name}"


def check_length_fits(ctx: ShareContext, now: datetime) -> tuple[bool, str]:
    if not ctx.text.strip():
        return False, "the post is empty"
    measured = compose.check_length(ctx.text, ctx.network, limits=ctx.limits)
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


def check_hashtags(ctx: ShareContext, now: datetime) -> tuple[bool, str]:
    problems = hashtag_problems(ctx.text)
    if problems:
        return False, "; ".join(problems)
    count = len(_HASHTAG.findall(_without_links(ctx.text)))
    return True, "no hashtags" if not count else f"{count} hashtag{'s' * (count != 1)}, at the end"


def check_image_alt(ctx: ShareContext, now: datetime) -> tuple[bool, str]:
    if not ctx.image_url:
        return True, "no image attached"
    if ctx.alt_text and ctx.alt_text.strip():
        # Mastodon measures the description in characters (code points), against the server's own limit.
        if ctx.alt_text_limit is not None and len(ctx.alt_text) > ctx.alt_text_limit:
            return False, (f"the description is {len(ctx.alt_text):,} characters; your server takes at most "
                           f"{ctx.alt_text_limit:,}: shorten it")
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


def check_centering(ctx: ShareContext, now: datetime) -> tuple[bool, str]:
    notes = centering_notes(ctx.text, [ctx.credit.name, ctx.credit.mention or ""])
    return (False, "; ".join(notes)) if notes else (True, "the post is about them")


def check_freshness(ctx: ShareContext, now: datetime) -> tuple[bool, str]:
    if ctx.published_at is None:
        return False, "the feed gives no date: make sure it is current, or say when it is from"
    age = (now - ctx.published_at).days
    if age > FRESH_ITEM_DAYS:
        return False, f"published {age} days ago: say when it is from if it is not current news"
    return True, "published today" if age <= 0 else f"published {age} day{'s' * (age != 1)} ago"
