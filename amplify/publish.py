"""What posting to a network shares, whichever network: the post to make (`PostRequest`), the post made
(`Published`), the two ways a call can fail, and the network's reason in plain words.

A call either fails for sure (`PostFailed`: the network refused it, nothing went out) or with its outcome unknown
(`OutcomeUnknown`: a timeout, a broken connection, a server error after the post may have been made). The outbox
keeps an unknown outcome open, and `amplify.posting.settle` finds out before anything is posted again.
"""

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from amplify.accounts import reconnect, server_message
from amplify.errors import AmplifyError
from amplify.fetch import DEFAULT_LIMITS, FetchError, FetchLimits, HTTPStatusError
from amplify.networks import NAMES
from amplify.types import OutboxRow


class PostingError(AmplifyError):
    """A post could not be made, or not recorded; the message says why and what to do."""


class PostFailed(PostingError):
    """The network refused the post: nothing went out, and no share is recorded."""


class RateLimited(PostFailed):
    """The network is limiting how fast the account posts (429): nothing went out. `until` is when the limit
    ends (HH:MM), when the network said."""

    def __init__(self, message: str, until: str | None) -> None:
        super().__init__(message)
        self.until = until


class OutcomeUnknown(PostingError):
    """The call ended without a clear answer: the post may have gone out. Settle before posting again."""


@dataclass(frozen=True)
class PostRequest:
    """One post to make: the words, and what goes with them."""

    text: str
    link: str | None = None
    card_title: str = ""
    card_description: str = ""
    # The item's image with the user's description of it, attached when they kept it (alt text given).
    image_url: str | None = None
    alt_text: str | None = None
    language: str | None = None
    visibility: str = "public"


@dataclass(frozen=True)
class Published:
    """The post as the network made it: its id there and its public address."""

    post_id: str
    url: str


class Poster(Protocol):
    """Posts as one connected account on one network."""

    network: str
    account: str

    def publish(self, request: PostRequest, key: str) -> Published:
        """Make the post; `key` (stored in the outbox first) makes a repeat of the same call harmless."""

    def find(self, row: OutboxRow, now: datetime) -> Published | None:
        """The post an earlier attempt made, or None when publishing again with `row.key` is safe."""

    def key_holds(self, row: OutboxRow, now: datetime) -> bool:
        """Whether the network still answers `row.key` with the post it made, if it made one (so the same words
        can be sent again without a second post)."""


PosterFor = Callable[[str], Poster]


class AccountServer:
    """What every poster holds: the account's server, the headers that sign in (`auth()`, asked at each call, so a
    renewed session is used), the account's handle, the fetch limits and the time zone for messages."""

    def __init__(self, server: str, auth: Callable[[], dict[str, str]], *, account: str,
                 limits: FetchLimits = DEFAULT_LIMITS, zone: str = "UTC") -> None:
        self.server = server.rstrip("/")
        self.auth = auth
        self.account = account
        self.limits = limits
        self.zone = zone

# Bluesky's record keys: a timestamp identifier (TID), 13 characters of this sortable base-32 alphabet.
_TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"


def new_tid(now_us: int | None = None) -> str:
    """A fresh TID: microseconds since 1970 in the top 53 bits, a random 10-bit clock id below them."""
    value = ((now_us if now_us is not None else time.time_ns() // 1000) << 10) | secrets.randbelow(1024)
    value &= (1 << 63) - 1
    return "".join(_TID_ALPHABET[(value >> shift) & 31] for shift in range(60, -1, -5))


def new_key(network: str) -> str:
    """The outbox key for a new attempt: a TID (Bluesky's record key) or a random Idempotency-Key (Mastodon)."""
    return new_tid() if network == "bluesky" else secrets.token_hex(16)


def reset_time(headers: dict[str, str], zone: str = "UTC") -> str | None:
    """When a rate limit ends, as HH:MM in `zone`, from `X-RateLimit-Reset` (Mastodon: an ISO time) or
    `RateLimit-Reset` (Bluesky: seconds since 1970); None when the answer did not say."""
    raw = (headers.get("x-ratelimit-reset") or headers.get("ratelimit-reset") or "").strip()
    if not raw:
        return None
    try:
        moment = (datetime.fromtimestamp(float(raw), UTC) if raw.replace(".", "", 1).isdigit()
                  else datetime.fromisoformat(raw.replace("Z", "+00:00")))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(ZoneInfo(zone)).strftime("%H:%M")
    except (KeyError, ValueError):
        return moment.strftime("%H:%M UTC")


# What a Bluesky server answers (with 400) about a session that is no longer good.
_SIGN_IN_ERRORS = frozenset({"ExpiredToken", "InvalidToken", "AuthRequired", "AuthMissing"})


def explain(error: FetchError, network: str, *, zone: str = "UTC") -> PostingError:
    """The plain-words error for a failed call to `network` (mastodon, bluesky)."""
    label = NAMES[network]
    if not isinstance(error, HTTPStatusError):
        return OutcomeUnknown(
            f"{label} did not answer clearly ({error.reason}). The post may have gone out: amplify checks before "
            "posting it again (`amplify post --resume`, or the next start)."
        )
    message = server_message(error.data) or None
    code = error.data.get("error") if isinstance(error.data, dict) else None
    if error.status in (401, 403) or code in _SIGN_IN_ERRORS:
        said = f" ({message})" if message else ""
        return PostFailed(f"{label} refused the account's sign-in{said}: {reconnect(network)}, then post again.")
    if error.status == 429:
        until = reset_time(error.headers, zone)
        when = f"wait until {until}" if until else "wait a while"
        return RateLimited(f"{label} is limiting how fast this account posts: {when} and post again.", until)
    if 400 <= error.status < 500:
        return PostFailed(f"{label} refused the post: {message or error.reason}. Nothing was posted; the draft "
                          "is kept.")
    return OutcomeUnknown(
        f"{label} had a problem ({error.status}{': ' + message if message else ''}). The post may have gone out: "
        "amplify checks before posting it again (`amplify post --resume`, or the next start)."
    )
