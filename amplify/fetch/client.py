"""The client: keep-alive connections shared by many fetches, on httpcore's pool, through `PublicAddresses`."""

import ssl
import threading
from collections.abc import Iterator

from amplify.fetch.addresses import PublicAddresses, RefusedAddress
from amplify.fetch.http import httpcore, httpx
from amplify.fetch.limits import (
    DEFAULT_LIMITS,
    MAX_URL_LENGTH,
    AddressRefused,
    FetchLimits,
    NotWebURL,
    private_addresses_allowed,
)

VALIDATORS = frozenset({"etag", "last-modified"})


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
