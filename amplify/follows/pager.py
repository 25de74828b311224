"""Paging through an API within its rate limits, and saying in plain words why a page could not be had."""

import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from amplify.fetch import Client, FetchError, FetchLimits, HTTPStatusError, JSONResponse, fetch_json
from amplify.follows.model import TOKEN_VARIABLE, ImportPaused

# A rate limit is waited out when the server asks for at most this long; past it the import stops and can be
# resumed later. A 429 is retried at most MAX_RETRIES times in a row.
MAX_WAIT_SECONDS = 300.0
MAX_RETRIES = 3
RETRY_SECONDS = 5.0  # a 429 that does not say how long to wait


class Pager:
    """GETs one page after another, waiting when the server's rate-limit headers say so."""

    def __init__(self, client: Client, headers: dict[str, str], limits: FetchLimits,
                 sleep: Callable[[float], None], max_wait: float, withheld: str = "") -> None:
        self.client = client
        self.withheld = withheld  # why the user's token was not sent, for the messages
        self.headers = headers
        self.limits = limits
        self.sleep = sleep
        self.max_wait = max_wait

    def get(self, url: str) -> JSONResponse:
        for attempt in range(MAX_RETRIES + 1):
            try:
                answer = fetch_json(self.client, url, headers=self.headers, limits=self.limits)
            except HTTPStatusError as error:
                if error.status != 429:
                    raise
                if attempt == MAX_RETRIES:
                    raise ImportPaused(f"The server kept asking amplify to slow down ({MAX_RETRIES + 1} times in a "
                                       "row).") from error
                self._wait(wait_seconds(error.headers, RETRY_SECONDS * 2 ** attempt))
                continue
            remaining = _header_number(answer.headers, "x-ratelimit-remaining", "ratelimit-remaining")
            if remaining is not None and remaining <= 0:
                self._wait(wait_seconds(answer.headers, RETRY_SECONDS))
            return answer
        raise AssertionError("unreachable")  # the loop returns or raises

    def _wait(self, seconds: float) -> None:
        if seconds > self.max_wait:
            until = datetime.fromtimestamp(time.time() + seconds, UTC).strftime("%H:%M UTC")
            raise ImportPaused(f"The server asks amplify to wait until {until} before the next page.")
        self.sleep(seconds)


def wait_seconds(headers: Mapping[str, str], default: float, *, now: float | None = None) -> float:
    """How long a server's headers ask a client to wait: `Retry-After` (seconds or a date), else the rate-limit
    reset (Mastodon's `X-RateLimit-Reset`, an ISO time; Bluesky's `RateLimit-Reset`, Unix seconds)."""
    now = time.time() if now is None else now
    retry_after = headers.get("retry-after", "").strip()
    if retry_after:
        if retry_after.isdigit():
            return float(retry_after)
        try:
            return max(0.0, parsedate_to_datetime(retry_after).timestamp() - now)
        except (TypeError, ValueError):
            pass
    reset = (headers.get("x-ratelimit-reset") or headers.get("ratelimit-reset") or "").strip()
    if reset:
        try:
            moment = float(reset)
        except ValueError:
            try:
                moment = datetime.fromisoformat(reset.replace("Z", "+00:00")).timestamp()
            except ValueError:
                return default
        return max(0.0, moment - now)
    return default


def _header_number(headers: Mapping[str, str], *names: str) -> int | None:
    for name in names:
        value = headers.get(name, "").strip()
        if value.lstrip("-").isdigit():
            return int(value)
    return None


def fetch_reason(error: FetchError, key: str, with_token: bool) -> str:
    if isinstance(error, HTTPStatusError) and error.status in (401, 403):
        if with_token:
            return f"The server refused the token for {key} ({error.reason})."
        return (f"The server of {key} shows follow lists only to signed-in apps. Set {TOKEN_VARIABLE} to an access "
                "token of your account there (Preferences > Development), and mastodon_instance in feeds.yml's "
                "settings to that server, and run the import again.")
    if isinstance(error, HTTPStatusError) and error.status == 404:
        return f"No account {key} there ({error.reason})."
    return f"Could not fetch the follow list: {error}."
