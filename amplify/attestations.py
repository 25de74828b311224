"""What the user confirms for a post before it can be shared, and which of those a post needs.

The ids live here, with the one rule about which apply, so the checklist (which describes and asks for them) and
the store (which records them and refuses a share without them) cannot drift apart. This module imports nothing
of amplify's, so both layers can use it.
"""

ATTESTATION_IDS = (
    "read_whole",
    "checked_source",
    "traced_claims",
    "meant_public",
    "their_words_first",
    "creator_agreed",
)
# These confirm something about the words themselves, so any edit of the text asks for them again. The others
# are about the piece and the source (reading it, checking who is behind it), which an edit does not change.
TEXT_BOUND_ATTESTATIONS = frozenset({"their_words_first", "creator_agreed", "traced_claims"})
CREATOR_AGREED = "creator_agreed"


def needs_creator_agreement(credit: str) -> bool:
    """Whether a post needs `creator_agreed`: only when the creator's credit preference is `ask` (asked to be
    asked first)."""
    return credit == "ask"


def required_attestation_ids(credit: str) -> tuple[str, ...]:
    """The attestations a post needs, in checklist order, for a creator whose credit preference is `credit`."""
    return tuple(check_id for check_id in ATTESTATION_IDS
                 if check_id != CREATOR_AGREED or needs_creator_agreement(credit))
