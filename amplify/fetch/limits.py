"""The bounds every request obeys, and the errors a fetch raises.

http and https only (checked again on every redirect hop), at most `max_redirects` hops, ports 1-65535, URLs of at
most 2,048 characters, public internet addresses only (amplify/fetch/addresses.py) unless the user allows their own
network, a connect timeout, a deadline for the whole fetch, and a cap on the decompressed body.
"""

import os
from dataclasses import dataclass
from typing import Any

from amplify import __version__
from amplify.errors import AmplifyError

USER_AGENT = f"amplify/{__version__} (personal feed reader for amplifying independent creators)"
# Longer URLs are refused: browsers and servers commonly stop there, and no feed needs more.
MAX_URL_LENGTH = 2048
# Set to 1 to allow connections to this computer and the user's own network (the demo and the tests do).
ALLOW_PRIVATE_ENV = "AMPLIFY_ALLOW_PRIVATE"
# Messages show at most this much of a URL.
SHOWN_URL_LENGTH = 200


@dataclass(frozen=True)
class FetchLimits:
    """The bounds every request obeys; refresh, discovery and link probes share them."""

    connect_timeout: float = 5.0
    total_timeout: float = 20.0
    max_bytes: int = 8 * 1024 * 1024
    max_redirects: int = 5
    user_agent: str = USER_AGENT
    # Connect to this computer and the user's own network too (see the module's docstring); off by default.
    allow_private_addresses: bool = False


DEFAULT_LIMITS = FetchLimits()


class FetchError(AmplifyError):
    """A URL could not be fetched. `reason` is one plain line without the URL; `str()` adds the URL."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"{shown_url(url)}: {reason}")
        self.url = url
        self.reason = reason


class NotWebURL(FetchError):
    """The URL (or a redirect target) is not http(s)."""


class AddressRefused(FetchError):
    """The host is (or resolves to) an address on this computer or the user's own network, which is not allowed."""


class TooManyRedirects(FetchError):
    """More redirects than the limit allows, or a redirect loop."""


class FetchTimeout(FetchError):
    """No connection in time, or the whole fetch ran past its deadline."""


class BodyTooLarge(FetchError):
    """The (decompressed) body is bigger than the cap."""


class HTTPStatusError(FetchError):
    """The server answered with an error status (4xx, 5xx). `headers` are the answer's (a 429's say when to
    come back); `data` is an API's decoded error body (`send_json` and `send_api` read it), else None."""

    def __init__(self, url: str, status: int, reason: str, headers: dict[str, str] | None = None,
                 data: Any = None) -> None:
        super().__init__(url, reason)
        self.status = status
        self.headers = headers or {}
        self.data = data



def private_addresses_allowed(limits: FetchLimits) -> bool:
    """The opt-in: `limits.allow_private_addresses` (feeds.yml's setting) or AMPLIFY_ALLOW_PRIVATE=1."""
    return limits.allow_private_addresses or os.environ.get(ALLOW_PRIVATE_ENV, "").strip().lower() in (
        "1", "true", "yes")


def shown_url(url: str) -> str:
    """A URL for a message: a very long one is cut, so the message stays readable."""
    return url if len(url) <= SHOWN_URL_LENGTH else f"{url[:SHOWN_URL_LENGTH]}… ({len(url):,} characters)"
