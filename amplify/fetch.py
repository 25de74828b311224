"""HTTP for amplify: the only module that speaks it.

Every request here obeys the same `FetchLimits`: http and https only (checked again on every redirect hop,
which we follow ourselves), at most `max_redirects` hops, ports 1-65535, URLs of at most 2,048 characters,
public internet addresses only (below), a connect timeout, a deadline for the whole fetch that
is checked between small reads (so a server that drips one byte at a time cannot outlive it), and a cap on the
*decompressed* body (we decompress ourselves with a bounded output size, so a gzip bomb costs at most the cap in
memory).

No request goes to this computer or the user's own network unless they allow it: every connection is made by
`PublicAddresses`, which resolves the host once, checks each address it got (loopback, private, link-local,
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
  importing follow lists.
- `send_json(client, url, json=... or form=...)`: a POST to a JSON API (connecting an account, a session), which
  follows no redirect, so what it sends goes only to the address it was given for.
"""

import ipaddress
import json
import os
import socket
import ssl
import threading
import time
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode, urljoin

from amplify import __version__
from amplify.errors import AmplifyError
from amplify.optional_imports import skipping
from amplify.types import LinkProbe
from amplify.urls import http_parts

# Both libraries load extras that amplify never uses whenever they are installed, at every start: httpcore imports
# trio (for async code under trio; about 0.05 s), httpx its command-line tool with click, pygments and rich (about
# 0.015 s). Each tries the import and does without on ImportError, so the extras are skipped for this import only.
with skipping("trio", "httpx._main"):
    import httpcore
    import httpx

USER_AGENT = f"amplify/{__version__} (personal feed reader for amplifying independent creators)"
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
PERMANENT_REDIRECT_STATUSES = frozenset({301, 308})
VALIDATORS = frozenset({"etag", "last-modified"})
# A redirect or error body is read (so the keep-alive connection can be reused) only up to this size.
DRAIN_LIMIT_BYTES = 64 * 1024
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
    come back); `data` is an API's decoded error body (`send_json` reads it), else None."""

    def __init__(self, url: str, status: int, reason: str, headers: dict[str, str] | None = None,
                 data: Any = None) -> None:
        super().__init__(url, reason)
        self.status = status
        self.headers = headers or {}
        self.data = data


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


# -- public addresses only ------------------------------------------------------------------------------------

_THIS_COMPUTER = "is this computer"
_OWN_NETWORK = "is on your own network"
# Private ranges (RFC 1918), shared address space (RFC 6598: carrier-grade NAT, VPNs such as Tailscale),
# unique-local IPv6 and the local-use NAT64 prefix (RFC 8215: only the user's own network translates it, to
# whatever IPv4 addresses it likes); link-local addresses are checked apart.
_OWN_NETWORKS = tuple(ipaddress.ip_network(block) for block in (
    "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7", "64:ff9b:1::/48"))
# IPv6 addresses that carry an IPv4 address in their last 32 bits: NAT64's well-known prefix, the old
# IPv4-compatible form (::a.b.c.d) and the IPv4-translated form (::ffff:0:a.b.c.d, RFC 2765).
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
_IPV4_TRANSLATED = ipaddress.ip_network("::ffff:0:0:0/96")


def address_refusal(address: str) -> str | None:
    """None when `address` (an IP address, as `getaddrinfo` gives it) is on the public internet; else what it is,
    as words that follow the address ("is this computer", "is on your own network", ...). An IPv4 address inside
    an IPv6 one (`::ffff:127.0.0.1`, 6to4, NAT64) is judged as that IPv4 address."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return "is not an address amplify can check"
    return _refusal(ip)


def _refusal(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    if isinstance(ip, ipaddress.IPv6Address):
        inner = ip.ipv4_mapped or ip.sixtofour
        if inner is None and (ip in _NAT64 or ip in _IPV4_TRANSLATED or (ip in _IPV4_COMPATIBLE and int(ip) > 1)):
            inner = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if inner is not None:
            return _refusal(inner)
        if ip.is_site_local:  # fec0::/10, deprecated but still routed inside some networks
            return _OWN_NETWORK
    if ip.is_loopback or ip.is_unspecified:  # a connection to 0.0.0.0 reaches this computer
        return _THIS_COMPUTER
    if ip.is_link_local or any(ip in network for network in _OWN_NETWORKS):
        return _OWN_NETWORK
    if ip.is_multicast:
        return "is a multicast address"
    if not ip.is_global:
        return "is a reserved address"
    return None


def private_addresses_allowed(limits: FetchLimits) -> bool:
    """The opt-in: `limits.allow_private_addresses` (feeds.yml's setting) or AMPLIFY_ALLOW_PRIVATE=1."""
    return limits.allow_private_addresses or os.environ.get(ALLOW_PRIVATE_ENV, "").strip().lower() in (
        "1", "true", "yes")


class RefusedAddress(Exception):
    """Raised by `PublicAddresses` when a host has no public address; `Client.send` turns it into AddressRefused."""

    def __init__(self, host: str, address: str, what: str) -> None:
        host = host[:100]
        where = address if host == address else f"{host} ({address})"
        self.reason = (f"refused: {where} {what}, not the public internet; set allow_private_addresses: true "
                       "in feeds.yml to allow it")
        super().__init__(self.reason)


class PublicAddresses(httpcore.NetworkBackend):
    """httpcore's network backend (how its pool opens connections) for public internet addresses only.

    The host is resolved once, by the same `getaddrinfo` call the stock backend makes, each address is checked
    with `address_refusal` and the connection is made to that very address: a DNS answer that changes between
    the check and the connection (DNS rebinding) cannot slip through, and the check costs no lookup of its own.
    Refused addresses are skipped; when none is left, RefusedAddress says why. TLS still verifies and sends the
    host name: httpcore hands `start_tls` the request's host, not the address connected to. Any client that
    sends through `Client` gets this check."""

    def __init__(self) -> None:
        self.backend = httpcore.SyncBackend()

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        try:
            found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as error:  # as the stock backend reports a name that does not resolve
            raise httpcore.ConnectError(error) from error
        refused: RefusedAddress | None = None
        failed: Exception | None = None
        for *_, address in found:
            ip = str(address[0])
            what = address_refusal(ip)
            if what is not None:
                refused = refused or RefusedAddress(host, ip, what)
                continue
            try:
                return self.backend.connect_tcp(ip, port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as error:
                failed = error  # try the next address, as socket.create_connection does
        if failed is not None:
            raise failed
        assert refused is not None  # getaddrinfo gives at least one address or raises
        raise refused

    def sleep(self, seconds: float) -> None:
        self.backend.sleep(seconds)


class Client:
    """Keep-alive connections shared by many fetches; thread-safe. Close it (or use `with`) when done.

    Requests go to httpcore's connection pool, the layer `httpx` itself sends through, with every URL parsed and
    normalized by `httpx.URL` (IDNA hosts, percent-encoding) exactly as `httpx` would. Redirects are followed here
    hop by hop and feeds need no cookies (a shared client must never carry one site's cookies to another), so the
    layers above the pool only added CPU to each request. Measured on the 1000-feed farm's conditional GETs, CPU
    per request: 0.8 ms through `httpx.Client`, 0.55 ms on `httpx.HTTPTransport`, about 0.4 ms here; a warm
    refresh is mostly that cost.
    """

    def __init__(self, limits: FetchLimits, connections: int) -> None:
        # The stock backend (no check) only when the user allowed private addresses.
        self.backend = None if private_addresses_allowed(limits) else PublicAddresses()
        self.headers = [(b"User-Agent", limits.user_agent.encode()), (b"Accept-Encoding", b"gzip, deflate"),
                        (b"Accept", b"*/*")]
        self.connections = connections
        self.plain = self._pool(None)
        # https gets its own pool, made on the first https request: loading the certificate authorities takes
        # about 0.05 s, which a run that meets no https address never needs.
        self.secure: httpcore.ConnectionPool | None = None
        self.secure_lock = threading.Lock()

    def _pool(self, ssl_context: ssl.SSLContext | None) -> httpcore.ConnectionPool:
        return httpcore.ConnectionPool(
            ssl_context=ssl_context,
            network_backend=self.backend,
            max_connections=self.connections,
            max_keepalive_connections=self.connections,
            # As httpx: a connection idle longer than this is not reused (servers drop idle ones after a few seconds).
            keepalive_expiry=5.0,
        )

    def _secure_pool(self) -> httpcore.ConnectionPool:
        with self.secure_lock:
            if self.secure is None:
                # httpx's default verification: certifi's authorities, or SSL_CERT_FILE / SSL_CERT_DIR when set.
                self.secure = self._pool(httpx.create_ssl_context())
            return self.secure

    def send(self, url: str, headers: dict[str, str], timeout: dict[str, float], method: bytes = b"GET",
             body: bytes = b"") -> "Answer":
        """GET `url` (or another `method`, with `body`). Raises FetchError for a URL that is too long, a port outside
        1-65535 and (unless allowed) an address that is not on the public internet; httpcore's exceptions for
        network trouble."""
        if len(url) > MAX_URL_LENGTH:
            raise NotWebURL(url, f"is longer than {MAX_URL_LENGTH:,} characters, which amplify does not fetch")
        parsed = httpx.URL(url)
        if parsed.port is not None and not 0 < parsed.port < 65536:
            # Unchecked, the port would wrap around (83617 connects to 18081).
            raise NotWebURL(url, f"the port {parsed.port} is not valid (ports go from 1 to 65535)")
        request = httpcore.Request(
            method,
            httpcore.URL(scheme=parsed.raw_scheme, host=parsed.raw_host, port=parsed.port, target=parsed.raw_path),
            headers=[(b"Host", parsed.netloc), *self.headers,
                     *((name.encode(), _header_bytes(value)) for name, value in headers.items())],
            content=body,
            extensions={"timeout": timeout},
        )
        pool = self._secure_pool() if parsed.raw_scheme == b"https" else self.plain
        try:
            return Answer(pool.handle_request(request))
        except RefusedAddress as refused:
            raise AddressRefused(url, refused.reason) from None

    def close(self) -> None:
        self.plain.close()
        if self.secure is not None:
            self.secure.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Answer:
    """One response whose body is still to be read: status, headers (lower-case names; repeated ones joined with
    ", ", as HTTP allows) and the body's raw chunks as they arrive. Header bytes are read as httpx reads them: as
    ASCII when they all are, else as UTF-8 when they all are (a Location with a raw non-ASCII path), else latin-1.
    Validators are the exception: read as latin-1, one character a byte, they go back exactly as they came."""

    def __init__(self, response: httpcore.Response) -> None:
        self.response = response
        self.status = response.status
        headers: dict[str, str] = {}
        encoding = _header_encoding(response.headers)
        for raw_name, raw_value in response.headers:
            name = raw_name.decode(encoding).lower()
            value = raw_value.decode("latin-1" if name in VALIDATORS else encoding)
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        self.headers = headers

    def chunks(self) -> Iterator[bytes]:
        return self.response.iter_stream()

    def close(self) -> None:
        self.response.close()


def _header_bytes(value: str) -> bytes:
    """Validators were read as latin-1 (see Answer), so latin-1 gives back their bytes; a value stored before that
    was read as UTF-8."""
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError:
        return value.encode()


def _header_encoding(headers: list[tuple[bytes, bytes]]) -> str:
    for encoding in ("ascii", "utf-8"):
        try:
            for name, value in headers:
                name.decode(encoding)
                value.decode(encoding)
        except UnicodeDecodeError:
            continue
        return encoding
    return "latin-1"



def open_client(limits: FetchLimits = DEFAULT_LIMITS, *, connections: int = 8) -> Client:
    """A client for many fetches: keep-alive connections are reused. Thread-safe; close it when done."""
    return Client(limits, connections)


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
                _follow(client, url, limits, {}, deadline, trail) as (response, _moved_to):
            status = response.status
    except FetchError as error:
        final = trail[-1] if trail else None
        return LinkProbe(url, False, None, final, max(len(trail) - 1, 0), error.reason)
    ok = 200 <= status < 300
    error_text = None if ok else _status_reason(status)
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
    with _follow(client, url, limits, headers, deadline, trail) as (response, moved_to):
        status = response.status
        final_url = trail[-1]
        if status != 304 and not 200 <= status < 300:
            _drain(response, deadline)
            raise HTTPStatusError(final_url, status, _status_reason(status), response.headers)
        if status == 304:
            # Read the (empty) body: an unread 304 loses its keep-alive connection.
            _drain(response, deadline)
            body = b""
        else:
            body = _read_body(response, final_url, limits, deadline)
    return FeedResponse(url, final_url, status, response.headers, body, len(trail) - 1, moved_to)


@dataclass(frozen=True)
class JSONResponse:
    """A 2xx answer from a JSON API: the decoded body and the headers (lower-case names)."""

    url: str
    status: int
    headers: dict[str, str]
    data: Any


def fetch_json(client: Client, url: str, *, headers: dict[str, str] | None = None,
               limits: FetchLimits = DEFAULT_LIMITS) -> JSONResponse:
    """GET a JSON API answer on `client`, within `limits`. With an `Authorization` header no redirect is
    followed: a token goes only to the address it was given for. Raises FetchError (HTTPStatusError, with the
    answer's headers, for 4xx/5xx; FetchError when the body is not JSON)."""
    headers = dict(headers or {})
    if "Authorization" in headers:
        limits = replace(limits, max_redirects=0)
    deadline = time.monotonic() + limits.total_timeout
    trail: list[str] = []
    with _follow(client, url, limits, headers, deadline, trail) as (response, _moved_to):
        final_url = trail[-1]
        if not 200 <= response.status < 300:
            _drain(response, deadline)
            raise HTTPStatusError(final_url, response.status, _status_reason(response.status), response.headers)
        body = _read_body(response, final_url, limits, deadline)
    try:
        data = json.loads(body)
    except (ValueError, RecursionError) as error:  # RecursionError: nested deeper than the decoder goes
        raise FetchError(final_url, "did not answer with JSON; is this the right server?") from error
    return JSONResponse(final_url, response.status, response.headers, data)


def send_json(client: Client, url: str, *, json_body: Any = None, form: dict[str, str] | None = None,
              headers: dict[str, str] | None = None, limits: FetchLimits = DEFAULT_LIMITS) -> JSONResponse:
    """POST `json_body` (as JSON), `form` (form-encoded) or nothing to a JSON API on `client` and decode the answer. No
    redirect is followed: what is sent (a password, a code) goes only to the address it was given for. Raises
    FetchError; HTTPStatusError for 4xx/5xx, with the server's decoded error body as `.data` (None when it is not
    JSON) so the caller can say what the server said."""
    _require_web_url(url, url, first=True)
    sent = dict(headers or {})
    body = b""
    if form is not None:
        body, sent["Content-Type"] = urlencode(form).encode(), "application/x-www-form-urlencoded"
    elif json_body is not None:
        body, sent["Content-Type"] = json.dumps(json_body).encode(), "application/json"
    sent["Content-Length"] = str(len(body))
    return _json_answer(client, url, sent, limits, b"POST", body)


def _json_answer(client: Client, url: str, sent: dict[str, str], limits: FetchLimits, method: bytes,
                 body: bytes) -> JSONResponse:
    """Send one request, follow no redirect, and decode its JSON answer (an empty one as {}); HTTPStatusError with
    the error body as `.data` for 4xx/5xx."""
    deadline = time.monotonic() + limits.total_timeout
    response = _send(client, url, sent, limits, deadline, method, body)
    try:
        if response.status in REDIRECT_STATUSES:
            raise FetchError(url, "answered with a redirect, which amplify does not follow here; check the "
                                  "server's address")
        if not 200 <= response.status < 300:
            raise HTTPStatusError(url, response.status, _status_reason(response.status), response.headers,
                                  _error_data(response, url, limits, deadline))
        data = _read_body(response, url, limits, deadline)
    finally:
        response.close()
    try:
        return JSONResponse(url, response.status, response.headers, json.loads(data) if data.strip() else {})
    except (ValueError, RecursionError) as error:
        raise FetchError(url, "did not answer with JSON; is this the right server?") from error


def _error_data(response: Answer, url: str, limits: FetchLimits, deadline: float) -> Any:
    """An error answer's body, decoded as JSON when it is (small, bounded); None otherwise."""
    try:
        return json.loads(_read_body(response, url, replace(limits, max_bytes=DRAIN_LIMIT_BYTES), deadline))
    except (FetchError, ValueError, RecursionError):
        return None


# -- internals ---------------------------------------------------------------------------------------------


@contextmanager
def _follow(client: Client, url: str, limits: FetchLimits, headers: dict[str, str], deadline: float,
            trail: list[str]) -> Iterator[tuple[Answer, str | None]]:
    """Send GET and follow redirects hop by hop, checking the scheme of every hop. Yields the last hop's open
    streamed response and where the leading permanent redirects went. `trail` receives every URL asked."""
    current = url
    moved_to: str | None = None
    all_permanent = True
    while True:
        _require_web_url(current, url, first=not trail)
        trail.append(current)
        response = _send(client, current, headers, limits, deadline)
        location = response.headers.get("location")
        if response.status not in REDIRECT_STATUSES or not location:
            break
        _drain(response, deadline)
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


def _send(client: Client, url: str, headers: dict[str, str], limits: FetchLimits, deadline: float,
          method: bytes = b"GET", body: bytes = b"") -> Answer:
    remaining = _remaining(url, limits, deadline)
    timeout = {"connect": min(limits.connect_timeout, remaining), "read": remaining, "write": remaining,
               "pool": remaining}
    try:
        return client.send(url, headers, timeout, method, body)
    except httpcore.ConnectTimeout as error:
        raise FetchTimeout(url, f"could not connect within {limits.connect_timeout:g} s") from error
    except httpcore.TimeoutException as error:
        raise FetchTimeout(url, f"no answer within {limits.total_timeout:g} s") from error
    except httpcore.ConnectError as error:
        raise FetchError(url, f"could not connect ({_first_line(error)})") from error
    except (httpx.InvalidURL, httpcore.UnsupportedProtocol) as error:
        # `url` itself was checked before sending: this is a redirect's Location that is no usable web address.
        raise NotWebURL(url, "redirects to a non-web address, which amplify does not follow") from error
    except (UnicodeError, ValueError) as error:  # a host name IDNA cannot encode (a label over 63 characters, say)
        raise FetchError(url, f"is not a usable web address ({_first_line(error)})") from error
    except (httpcore.NetworkError, httpcore.ProtocolError, httpcore.ProxyError) as error:
        raise FetchError(url, f"the connection failed ({_first_line(error)})") from error


def _read_body(response: Answer, url: str, limits: FetchLimits, deadline: float) -> bytes:
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
    except httpcore.TimeoutException as error:
        raise FetchTimeout(url, f"did not finish within {limits.total_timeout:g} s") from error
    except (httpcore.NetworkError, httpcore.ProtocolError) as error:
        raise FetchError(url, f"the connection broke while reading ({_first_line(error)})") from error


def _drain(response: Answer, deadline: float) -> None:
    """Read a small body to its end so the connection can be reused; give up (and close) past a little."""
    read = 0
    try:
        for chunk in response.chunks():
            read += len(chunk)
            if read > DRAIN_LIMIT_BYTES or time.monotonic() > deadline:
                break
    except (httpcore.NetworkError, httpcore.ProtocolError, httpcore.TimeoutException):
        pass  # the body was of no interest; closing below is all that matters
    response.close()


def _remaining(url: str, limits: FetchLimits, deadline: float) -> float:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise FetchTimeout(url, f"did not finish within {limits.total_timeout:g} s")
    return remaining


def _require_web_url(url: str, requested: str, *, first: bool) -> None:
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


def _status_reason(status: int) -> str:
    try:
        phrase = httpx.codes(status).phrase
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


def shown_url(url: str) -> str:
    """A URL for a message: a very long one is cut, so the message stays readable."""
    return url if len(url) <= SHOWN_URL_LENGTH else f"{url[:SHOWN_URL_LENGTH]}… ({len(url):,} characters)"


def _first_line(error: Exception) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__


def _size(count: int) -> str:
    return f"{count / (1024 * 1024):g} MiB" if count >= 1024 * 1024 else f"{count} bytes"


# -- writing to an API (posting) --------------------------------------------------------------------------------


def send_api(client: Client, method: str, url: str, *, headers: dict[str, str] | None = None,
             json_body: Any = None, form: dict[str, Any] | None = None,
             files: dict[str, tuple[str, bytes, str]] | None = None, content: bytes | None = None,
             limits: FetchLimits = DEFAULT_LIMITS) -> JSONResponse:
    """Any API request (GET, or a POST with a JSON body, a form, a multipart upload or raw bytes) on `client`,
    within `limits`, following no redirect: a write and its token go only to the address given. Raises
    HTTPStatusError for 4xx/5xx, with the server's decoded error body as `.data`; FetchError for anything else
    (then whether the server acted is unknown)."""
    _require_web_url(url, url, first=True)
    built = httpx.Request(method, url, json=json_body, data=form, files=files, content=content)
    body = built.read()
    sent = {name.decode(): value.decode() for name, value in built.headers.raw
            if name.lower() in (b"content-type", b"content-length")}
    sent.update(headers or {})
    return _json_answer(client, url, sent, limits, method.encode(), body)
