"""HTTP for amplify: only this package speaks it.

Every request here obeys the same `FetchLimits`: http and https only (checked again on every redirect hop,
which we follow ourselves), at most `max_redirects` hops, ports 1-65535, URLs of at most 2,048 characters,
public internet addresses only (`addresses`), a connect timeout (for each address a host has), a deadline for the
whole fetch that every connection attempt and every socket read waits on, the status line and headers included (so
a server that drips one byte at a time cannot outlive it), and a cap on the *decompressed* body (we decompress
ourselves with a bounded output size, so a gzip bomb costs at most the cap in memory). No cookies are kept and no
proxy is taken from the environment.

No request goes to this computer or the user's own network unless they allow it: every connection is opened by
`addresses.open_socket`, which resolves the host once, checks each address it got (loopback, private, link-local,
unique-local, multicast, unspecified and reserved addresses are refused, IPv4 inside IPv6 too) and connects to that
very address, so however the host is spelled (`2130706433`, `0x7f.1`, a name that resolves to 127.0.0.1) the
check sees what is actually connected to, on every redirect hop. The one opt-in, for feeds on the user's own
network, the demo and the tests: `FetchLimits.allow_private_addresses` (feeds.yml `settings:
allow_private_addresses: true`) or `AMPLIFY_ALLOW_PRIVATE=1`.

Four entry points:
- `fetch_page(url)`: one page, for feed discovery.
- `probe_link(url)`: does a link resolve? For the share checklist; never raises for network trouble.
- `fetch_feed(client, url, etag=..., last_modified=...)`: a conditional GET for refresh, on a shared client
  from `open_client()`.
- `fetch_json(client, url, headers=...)`: a JSON API answer with its headers (paging links, rate limits), for
  importing follow lists and reading reach.
- `send_json(client, url, json_body=... or form=...)` and `send_api(client, method, url, ...)`: a write to a JSON
  API (connecting an account, posting), which follows no redirect, so what it sends goes only where it was sent.

The package: `limits` (the bounds and the errors), `addresses` (public addresses only), `target` (a URL read into
where a request goes), `connections` (http.client on our keep-alive pool), `client` (the client on it), `transfer`
(one request: redirects, body, errors), `api` (JSON APIs, read and written), `http` (httpx, for upload bodies) and,
here, the entry points.
"""

import time
from dataclasses import dataclass

from amplify.fetch.addresses import RefusedAddress, address_refusal
from amplify.fetch.api import JSONResponse, fetch_json, send_api, send_json
from amplify.fetch.client import Client, open_client
from amplify.fetch.limits import (
    ALLOW_PRIVATE_ENV,
    DEFAULT_LIMITS,
    MAX_URL_LENGTH,
    USER_AGENT,
    AddressRefused,
    BodyTooLarge,
    FetchError,
    FetchLimits,
    FetchTimeout,
    HTTPStatusError,
    NotWebURL,
    TooManyRedirects,
    private_addresses_allowed,
    shown_url,
)
from amplify.fetch.transfer import drain, follow, read_body, status_reason
from amplify.types import LinkProbe

__all__ = [
    "ALLOW_PRIVATE_ENV", "DEFAULT_LIMITS", "MAX_URL_LENGTH", "USER_AGENT", "AddressRefused", "BodyTooLarge", "Client",
    "FeedResponse", "FetchError", "FetchLimits", "FetchTimeout", "HTTPStatusError", "JSONResponse", "NotWebURL",
    "Page", "RefusedAddress", "TooManyRedirects", "address_refusal", "fetch_feed", "fetch_json", "fetch_page",
    "open_client", "private_addresses_allowed", "probe_link", "send_api", "send_json", "shown_url",
]


@dataclass(frozen=True)
class Page:
    """A fetched page. `url` is the final URL after redirects."""

    url: str
    status: int
    content_type: str
    body: bytes


@dataclass(frozen=True)
class FeedResponse:
    """The answer to a conditional GET: status 200 (with body) or 304 (empty body).

    `moved_to` is where an unbroken chain of permanent redirects (301/308) from the requested URL ended, so
    the next refresh can ask there directly; None when the first hop was not permanent.
    """

    url: str
    final_url: str
    status: int
    headers: dict[str, str]
    body: bytes
    redirects: int
    moved_to: str | None



def fetch_page(url: str, *, limits: FetchLimits = DEFAULT_LIMITS) -> Page:
    """Fetch one page, following redirects within the limits.

    Raises FetchError; HTTPStatusError (with `.status`) when the final answer is not 2xx."""
    with open_client(limits, connections=1) as client:
        response = fetch_feed(client, url, limits=limits)
    return Page(
        url=response.final_url,
        status=response.status,
        content_type=response.headers.get("content-type", ""),
        body=response.body,
    )


def probe_link(url: str, *, limits: FetchLimits = DEFAULT_LIMITS) -> LinkProbe:
    """Check that `url` answers 2xx after at most `limits.max_redirects` redirects. Never raises for network
    trouble: the reason is in `error`. Reads no body beyond what arrives with the headers."""
    trail: list[str] = []
    deadline = time.monotonic() + limits.total_timeout
    try:
        with open_client(limits, connections=1) as client, \
                follow(client, url, limits, {}, deadline, trail) as (response, _moved_to):
            status = response.status
    except FetchError as error:
        final = trail[-1] if trail else None
        return LinkProbe(url, False, None, final, max(len(trail) - 1, 0), error.reason)
    ok = 200 <= status < 300
    error_text = None if ok else status_reason(status)
    return LinkProbe(url, ok, status, trail[-1], len(trail) - 1, error_text)


def fetch_feed(client: Client, url: str, *, limits: FetchLimits = DEFAULT_LIMITS,
               etag: str | None = None, last_modified: str | None = None) -> FeedResponse:
    """GET `url` on `client`, conditionally when validators are given. Returns 200 or 304 answers; raises
    FetchError (HTTPStatusError for 4xx/5xx, after reading what little of the error body there is, so the
    connection stays reusable)."""
    headers: dict[str, str] = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    deadline = time.monotonic() + limits.total_timeout
    trail: list[str] = []
    with follow(client, url, limits, headers, deadline, trail) as (response, moved_to):
        status = response.status
        final_url = trail[-1]
        if status != 304 and not 200 <= status < 300:
            drain(response, deadline)
            raise HTTPStatusError(final_url, status, status_reason(status), response.headers)
        if status == 304:
            # Read the (empty) body: an unread 304 loses its keep-alive connection.
            drain(response, deadline)
            body = b""
        else:
            body = read_body(response, final_url, limits, deadline)
    return FeedResponse(url, final_url, status, response.headers, body, len(trail) - 1, moved_to)
