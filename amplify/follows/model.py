"""What a follow-list import deals in: the networks, the candidates, the results and the errors."""

import re
from collections.abc import Callable
from dataclasses import asdict, dataclass
from html import unescape
from typing import Any

import nh3

from amplify.errors import AmplifyError
from amplify.names import one_line
from amplify.networks import FOLLOW_LIST_IMPORTS
from amplify.types import FollowedAccount
from amplify.urls import is_http_url

MASTODON, BLUESKY = FOLLOW_LIST_IMPORTS
# A token of the user's own Mastodon account, for a follow list they keep hidden. Never stored by amplify, and sent
# only to their own instance (feeds.yml's `mastodon_instance`).
TOKEN_VARIABLE = "AMPLIFY_MASTODON_TOKEN"
BIO_LIMIT = 500
_BREAKS = re.compile(r"<br\s*/?>|</p>", re.IGNORECASE)


class FollowImportError(AmplifyError):
    """The follow list could not be imported (or not all of it); the message says why and what to do."""


class HiddenFollowList(FollowImportError):
    """The account keeps the list of whom it follows hidden."""


class ImportPaused(FollowImportError):
    """The import stopped before the end (the server asked amplify to wait, or a page failed). What was fetched
    is kept: running the same import again goes on from there."""


@dataclass(frozen=True)
class Candidate:
    """One followed account, as a possible source."""

    network: str
    handle: str
    name: str
    feed_url: str
    bio: str = ""
    avatar_url: str | None = None
    profile_url: str | None = None
    website: str | None = None
    website_verified: bool = False

    def row(self) -> dict[str, Any]:
        values = asdict(self)
        del values["network"]
        values["website_verified"] = int(self.website_verified)
        return values

    @classmethod
    def from_account(cls, network: str, account: FollowedAccount) -> "Candidate":
        return cls(network=network, handle=account.handle, name=account.name, feed_url=account.feed_url,
                   bio=account.bio or "", avatar_url=account.avatar_url, profile_url=account.profile_url,
                   website=account.website, website_verified=account.website_verified)


@dataclass(frozen=True)
class ImportResult:
    """A finished fetch: every account the list holds, in the network's order."""

    import_id: int
    network: str
    account: str
    server: str
    candidates: tuple[Candidate, ...]
    resumed: bool


Progress = Callable[[int, int | None], None]


def stated_count(value: Any) -> int | None:
    """A count a server states, when it is one (a whole number, not negative, not true or false)."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def plain_bio(html: str | None) -> str:
    """A bio as one paragraph of plain text: tags and control characters gone, at most BIO_LIMIT characters."""
    text = unescape(nh3.clean(_BREAKS.sub(" ", html or ""), tags=set()))
    return one_line(text, BIO_LIMIT)


def web_link(text: str) -> bool:
    """An http(s) link with no control character at all (C1 ones too: a terminal may act on them)."""
    return is_http_url(text) and one_line(text, len(text)) == text
