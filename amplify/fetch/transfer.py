"""One GET within the limits: redirects followed hop by hop (each checked), the body read against a deadline and a
size cap (decompressed here, with a bounded output, so a gzip bomb costs at most the cap in memory), and the
connection layer's exceptions (`http.client`'s, OSError, ConnectError) turned into `FetchError`s in plain words."""

import http.client
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from http import HTTPStatus
from urllib.parse import urljoin

from amplify.fetch.client import Answer, Client
from amplify.fetch.connections import ConnectError, ConnectTimeout
from amplify.fetch.limits import (
    MAX_URL_LENGTH,
    BodyTooLarge,
    FetchError,
    FetchLimits,
    FetchTimeout,
    NotWebURL,
    TooManyRedirects,
)
from amplify.urls import http_parts

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
PERMANENT_REDIRECT_STATUSES = frozenset({301, 308})
# A redirect or error body is read (so the keep-alive connection can be reused) only up to this size.
DRAIN_LIMIT_BYTES = 64 * 1024


@contextmanager
def follow(client: Client, url: str, limits: FetchLimits, headers: dict[str, str], deadline: float,
            trail: list[str]) -> Iterator[tuple[Answer, str | None]]:
    """Send GET and follow redirects hop by hop, checking the scheme of every hop. Yields the last hop's open
    streamed response and where the leading permanent redirects went. `trail` receives every URL asked."""
    current = url
    moved_to: str | None = None
    all_permanent = True
    while True:
        require_web_url(current, url, first=not trail)
        trail.append(current)
        response = send_request(client, current, headers, limits, deadline)
        location = response.headers.get("location")
        if response.status not in REDIRECT_STATUSES or not location:
            break
        drain(response, deadline)
        try:
            target = urljoin(current, location.strip())
        except ValueError as error:  # an unreadable Location, such as "http://[::1"
            raise NotWebURL(url, f"redirects to an address that cannot be read ({location[:80]!r})") from error
        if all_permanent and response.status in PERMANENT_REDIRECT_STATUSES:
            moved_to = target
        else:
            all_permanent = False
        if target in trail:
            raise TooManyRedirects(url, f"redirects in a loop (back to {target})")
        if len(trail) > limits.max_redirects:
            raise TooManyRedirects(url, f"more than {limits.max_redirects} redirects")
        current = target
    try:
        yield response, moved_to
    finally:
        response.close()


def send_request(client: Client, url: str, headers: dict[str, str], limits: FetchLimits, deadline: float,
                 method: bytes = b"GET", body: bytes = b"") -> Answer:
    """One request (a GET unless `method` says otherwise, with `body`) within what is left of the deadline,
    the connection layer's exceptions turned into FetchErrors."""
    remaining = _remaining(url, limits, deadline)
    timeout = {"connect": min(limits.connect_timeout, remaining), "read": remaining, "write": remaining,
               "pool": remaining}
    try:
        return client.send(url, headers, timeout, method, body)
    except ConnectTimeout as error:
        if time.monotonic() >= deadline:  # the host's addresses, tried in turn, took all the time there was
            raise FetchTimeout(url, f"could not connect within {limits.total_timeout:g} s") from error
        raise FetchTimeout(url, f"could not connect within {limits.connect_timeout:g} s") from error
    except ConnectError as error:
        raise FetchError(url, f"could not connect ({_first_line(error)})") from error
    except TimeoutError as error:
        raise FetchTimeout(url, f"no answer within {limits.total_timeout:g} s") from error
    except (UnicodeError, ValueError) as error:  # a host name IDNA cannot encode (a label over 63 characters, say)
        raise FetchError(url, f"is not a usable web address ({_first_line(error)})") from error
    except (http.client.HTTPException, OSError) as error:
        raise FetchError(url, f"the connection failed ({_first_line(error)})") from error


def read_body(response: Answer, url: str, limits: FetchLimits, deadline: float) -> bytes:
    encoding = response.headers.get("content-encoding", "").strip().lower()
    if encoding in ("", "identity"):
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limits.max_bytes:
            raise BodyTooLarge(url, f"is larger than the {_size(limits.max_bytes)} limit")
        decompressor = None
    elif encoding in ("gzip", "x-gzip", "deflate"):
        # wbits 47 accepts both gzip and zlib headers; raw deflate is handled on the first chunk below.
        decompressor = zlib.decompressobj(47)
    else:
        raise FetchError(url, f"sent a compression amplify cannot read ({encoding})")
    parts: list[bytes] = []
    size = 0
    first = True
    try:
        for chunk in _raw_chunks(response, url, limits, deadline):
            if decompressor is not None:
                room = limits.max_bytes - size + 1
                if first and encoding == "deflate" and chunk[:1] != b"\x78":
                    decompressor = zlib.decompressobj(-zlib.MAX_WBITS)
                # max_length bounds the output of one call: a bomb never expands past the cap in memory.
                chunk = decompressor.decompress(chunk, room)
            first = False
            size += len(chunk)
            if size > limits.max_bytes:
                raise BodyTooLarge(url, f"is larger than the {_size(limits.max_bytes)} limit")
            parts.append(chunk)
        if decompressor is not None:
            tail = decompressor.flush()
            size += len(tail)
            if size > limits.max_bytes:
                raise BodyTooLarge(url, f"is larger than the {_size(limits.max_bytes)} limit")
            parts.append(tail)
    except zlib.error as error:
        raise FetchError(url, f"sent a damaged compressed body ({error})") from error
    return b"".join(parts)


def _raw_chunks(response: Answer, url: str, limits: FetchLimits, deadline: float) -> Iterator[bytes]:
    try:
        # Each socket read (at most 64 KiB) is yielded as it arrives and the deadline checked: gathering bigger
        # chunks first would let a slow-drip server outlive it.
        for chunk in response.chunks():
            yield chunk
            _remaining(url, limits, deadline)
    except TimeoutError as error:
        raise FetchTimeout(url, f"did not finish within {limits.total_timeout:g} s") from error
    except (http.client.HTTPException, OSError) as error:
        raise FetchError(url, f"the connection broke while reading ({_first_line(error)})") from error


def drain(response: Answer, deadline: float) -> None:
    """Read a small body to its end so the connection can be reused; give up (and close) past a little."""
    read = 0
    try:
        for chunk in response.chunks():
            read += len(chunk)
            if read > DRAIN_LIMIT_BYTES or time.monotonic() > deadline:
                break
    except (http.client.HTTPException, OSError):
        pass  # the body was of no interest; closing below is all that matters
    response.close()


def _remaining(url: str, limits: FetchLimits, deadline: float) -> float:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise FetchTimeout(url, f"did not finish within {limits.total_timeout:g} s")
    return remaining


def require_web_url(url: str, requested: str, *, first: bool) -> None:
    """Refuse a URL amplify does not fetch: not http(s), longer than MAX_URL_LENGTH, or with a port outside
    1-65535. A redirect's target is refused as the redirect it is."""
    if len(url) > MAX_URL_LENGTH:
        if first:
            raise NotWebURL(requested, f"is longer than {MAX_URL_LENGTH:,} characters, which amplify does not fetch")
        raise NotWebURL(requested, f"redirects to an address longer than {MAX_URL_LENGTH:,} characters, which "
                                   "amplify does not follow")
    parts = http_parts(url)
    if parts is None:
        if first:
            raise NotWebURL(requested, "is not an http(s) address")
        raise NotWebURL(requested, f"redirects to a non-web address ({url[:80]}), which amplify does not follow")
    try:
        port = parts.port
    except ValueError:  # above 65535, or not a number
        port = -1
    if port is None or 0 < port < 65536:
        return
    given = parts.netloc.rpartition(":")[2][:20]
    if first:
        raise NotWebURL(requested, f"the port {given} is not valid (ports go from 1 to 65535)")
    raise NotWebURL(requested, f"redirects to an address with an invalid port ({given}; ports go from 1 to 65535)")


def status_reason(status: int) -> str:
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = ""
    label = f"{status} {phrase}".strip()
    if status in (401, 403):
        return f"the server refused access ({label})"
    if status in (404, 410):
        return f"nothing is there any more ({label}); check the address"
    if status >= 500:
        return f"the server had a problem ({label}); it may work later"
    return f"the server answered {label}"



def _first_line(error: Exception) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__


def _size(count: int) -> str:
    return f"{count / (1024 * 1024):g} MiB" if count >= 1024 * 1024 else f"{count} bytes"
