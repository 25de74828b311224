"""The checklist as data: each check with the function that decides it, and how a post is evaluated.

`evaluate` decides from a `ShareContext` alone, with no I/O. docs/checklist.md explains each check.
"""

from collections.abc import Iterable
from datetime import datetime

from amplify.attestations import TEXT_BOUND_ATTESTATIONS, required_attestation_ids
from amplify.checklist import hosts, text
from amplify.checklist.model import Check, CheckResult, ShareContext
from amplify.types import Attestation

CHECKS: tuple[Check, ...] = (
    Check("link_resolves", "The link opens",
          "SIFT, trace to the original: a dead or broken link sends people nowhere. Checked within a day.",
          "automatic", "blocking",
          run=hosts.check_link_resolves),
    Check("link_on_own_site", "The link is on their own site",
          "Provenance: link the creator's own page, not a copy, a re-host or a shortener that hides it.",
          "automatic", "blocking",
          run=hosts.check_link_on_own_site),
    Check("links_original", "The post links the original",
          "SIFT, trace to the original: readers reach the creator's own work, and the creator gets the visit.",
          "automatic", "blocking",
          run=hosts.check_links_original),
    Check("credits_creator", "The creator is credited as they asked",
          "Centering: their name, or their handle if they like to be tagged, belongs on their work.",
          "automatic", "blocking",
          run=text.check_credits_creator),
    Check("length_fits", "It fits the network",
          "A post cut off by the network loses the credit or the link.", "automatic", "blocking",
          run=text.check_length_fits),
    Check("hashtags", "Hashtags are few, readable and at the end",
          "Responsible hashtags: at most 3, CamelCase so screen readers say them, out of the sentence.",
          "automatic", "blocking",
          run=text.check_hashtags),
    Check("image_alt", "The image has a description",
          "Access: people who cannot see the image should still get what it shows.", "automatic", "blocking",
          run=text.check_image_alt),
    Check("centering", "The post is about them, not you",
          "Center the people directly affected: their name and words, not your feelings or your help.",
          "automatic", "advisory",
          run=text.check_centering),
    Check("freshness", "It is recent",
          "SIFT, stop: old news shared as new misleads; say when it is from if it is not current.",
          "automatic", "advisory",
          run=text.check_freshness),
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

__all__ = ["ATTESTATIONS", "CHECKS", "CHECKS_BY_ID", "TEXT_BOUND_ATTESTATIONS", "evaluate", "required_attestations",
           "valid_attestations"]


def required_attestations(ctx: ShareContext) -> list[Check]:
    """The attestations this post needs: all of them, and `creator_agreed` only when the creator asked to be
    asked first."""
    needed = required_attestation_ids(ctx.credit.preference)
    return [check for check in ATTESTATIONS if check.id in needed]


def evaluate(ctx: ShareContext, *, now: datetime) -> list[CheckResult]:
    """Every check that applies to this post, in checklist order. Pure: it reads only `ctx` and `now`."""
    results = []
    for check in CHECKS:
        if check.run is not None:
            passed, detail = check.run(ctx, now)
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


def valid_attestations(rows: Iterable[Attestation], text_version: int) -> frozenset[str]:
    """The attestations that count for `text_version`: text-bound ones only when given for exactly this
    version, the others when given for any version of this post up to it."""
    valid = set()
    for row in rows:
        if row.text_version == text_version or (
            row.check_id not in TEXT_BOUND_ATTESTATIONS and row.text_version < text_version
        ):
            valid.add(row.check_id)
    return frozenset(valid)
