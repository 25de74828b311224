"""Keep-alive connections on the standard library's `http.client`, in a small pool of our own.

Every connection is opened by `addresses.open_socket` (public addresses only, unless allowed: resolved once,
checked, connected to that very address) and, for https, wrapped in TLS that verifies the certificate against the
host NAME while talking to the checked address. `http.client` writes each request and reads each answer (its caps:
a line of at most 64 KiB, at most 100 headers); every socket read it makes, the status line and headers included,
waits only for what is left of the whole fetch's deadline, so a server that drips its headers one byte at a time
cannot outlive it. What http.client lets through is refused here (`_Response`): interim answers (1xx) are skipped
(at most MAX_INTERIM; a 101 is an error), an answer that has no body reads none, and a connection that ends before
the end of the headers is an error, not an answer. Connecting, to each of a host's addresses in turn and the TLS
handshake, ends by the deadline too.

A connection goes back to the pool only when its answer was read to the end and did not say it would close; one
idle for more than 5 s, or that the server closed meanwhile (readable while idle), is not used again. At most
`size` connections are open at once; a request waits for a free one within its deadline.
"""

import contextlib
import http.client
import io
import os
import select
import socket
import ssl
import threading
import time
from collections.abc import Callable

from amplify.fetch import addresses
from amplify.fetch.target import Target

# As httpx: a connection idle longer than this is not reused (servers drop idle ones after a few seconds, and a
# request sent on one they are closing fails).
KEEPALIVE_EXPIRY = 5.0
READ_SIZE = 64 * 1024
# Interim answers (1xx: 100 Continue, 103 Early Hints) skipped before the real one; more is a server gone wrong.
MAX_INTERIM = 10


class ConnectError(Exception):
    """No connection could be made (the name did not resolve, nothing listens, TLS failed)."""


class ConnectTimeout(ConnectError):
    """No connection within the connect timeout."""


class PoolTimeout(TimeoutError):
    """Every connection stayed busy until the deadline."""


def verifying_context() -> ssl.SSLContext:
    """TLS that verifies certificates and host names, against the authorities httpx used: SSL_CERT_FILE or
    SSL_CERT_DIR when set, else certifi's."""
    if os.environ.get("SSL_CERT_FILE"):
        context = ssl.create_default_context(cafile=os.environ["SSL_CERT_FILE"])
    elif os.environ.get("SSL_CERT_DIR"):
        context = ssl.create_default_context(capath=os.environ["SSL_CERT_DIR"])
    else:
        import certifi

        context = ssl.create_default_context(cafile=certifi.where())
    context.set_alpn_protocols(["http/1.1"])
    return context


class Connection(http.client.HTTPConnection):
    """One open connection, its socket already connected (and checked). It never reconnects by itself
    (`auto_open` off): a new connection is the pool's to make."""

    auto_open = 0

    def __init__(self, target: Target, sock: socket.socket) -> None:
        super().__init__(target.host, target.port)
        self.sock = sock
        # Ours to shut down: http.client lets go of `sock` as soon as an answer says the connection will close,
        # while the answer's body is still read from it.
        self.opened = sock
        self.stopped = False  # shut down by Pool.close
        self.key = (target.scheme, target.host, target.port)
        self.deadline = 0.0
        self.received = 0  # bytes of the current answer read so far
        self.idle_since = 0.0
        self.reused = False

    def response_class(self, sock: object, debuglevel: int = 0, method: str | None = None,
                       url: str | None = None) -> http.client.HTTPResponse:
        return _Response(_Files(self), method=method)

    def ask(self, method: str, target: Target, headers: list[tuple[str, bytes]], body: bytes,
            deadline: float) -> http.client.HTTPResponse:
        """Send one request and read the answer's status line and headers, all within `deadline`."""
        self.deadline = deadline
        self.received = 0
        self.sock.settimeout(_left(deadline))
        self.putrequest(method, target.path, skip_host=True, skip_accept_encoding=True)
        for name, value in headers:
            self.putheader(name, value)
        self.endheaders(body or None)
        return self.getresponse()

    def usable(self, now: float) -> bool:
        """Fit to send on: idle for less than KEEPALIVE_EXPIRY and nothing to read (the server's close, or bytes
        nobody asked for)."""
        if self.sock is None or now - self.idle_since > KEEPALIVE_EXPIRY:
            return False
        if isinstance(self.sock, ssl.SSLSocket) and self.sock.pending():
            return False
        return not _readable(self.sock)


class _Response(http.client.HTTPResponse):
    """http.client's answer, with what it lets through refused: every interim answer (1xx) is skipped, not only
    100 Continue, so a 103 Early Hints is never taken for the answer (its real answer would then be read as the
    next request's); a 101 Switching Protocols is an error, as are more than MAX_INTERIM interim answers. An answer
    that has no body (204, 304, to HEAD) reads none, even when it says it is chunked."""

    def _read_status(self) -> tuple[str, int, str]:
        for _ in range(MAX_INTERIM + 1):
            version, status, reason = super()._read_status()
            if status >= 200:
                return version, status, reason
            if status == 101:
                raise http.client.HTTPException("the server switched to another protocol (101), which amplify never "
                                                "asks for")
            http.client.parse_headers(self.fp)  # the interim answer's headers, read (within http.client's caps)
        raise http.client.HTTPException(f"the server sent more than {MAX_INTERIM} interim answers (1xx)")

    def begin(self) -> None:
        super().begin()
        if self.fp.raw.ended:  # http.client takes the end of the connection for the blank line after the headers
            raise http.client.HTTPException("the connection closed in the middle of the answer's headers")
        if self.length == 0:  # 204, 304 or an answer to HEAD: no body, whatever Transfer-Encoding says
            self.chunked = False


def _readable(sock: socket.socket) -> bool:
    if hasattr(select, "poll"):  # not on Windows; select() is limited to descriptors below 1024 elsewhere
        poll = select.poll()
        poll.register(sock, select.POLLIN)
        return bool(poll.poll(0))
    return bool(select.select([sock], [], [], 0)[0])


class _Files:
    """What `HTTPResponse` reads from: a buffered file whose every socket read waits only for what is left of
    the connection's deadline."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def makefile(self, mode: str) -> io.BufferedReader:
        return io.BufferedReader(_DeadlineReader(self.connection))


class _DeadlineReader(io.RawIOBase):
    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.sock = connection.sock
        # The socket's own file keeps the socket open while an answer is read, even when http.client closes the
        # connection as the answer says it will.
        self.raw = self.sock.makefile("rb", buffering=0)
        self.ended = False  # the connection's end was read

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        connection = self.connection
        self.sock.settimeout(_left(connection.deadline))
        count = self.raw.readinto(buffer)
        if count:
            connection.received += count
        elif connection.stopped:  # not the server's end (which ends a body read to the close): ours
            raise OSError("the connection was closed as amplify stopped")
        else:
            self.ended = True
        return count

    def close(self) -> None:
        self.raw.close()
        super().close()


def _left(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError("the deadline passed")
    return left


def open_connection(target: Target, timeout: float, deadline: float, *, check: bool,
                    tls: Callable[[], ssl.SSLContext]) -> Connection:
    """Connect to `target` (checked, unless not `check`: `addresses.open_socket`), each address tried within
    `timeout` and all by `deadline`; for https, TLS verifies the certificate against the host name while the socket
    talks to the checked address, its handshake within `timeout` and by `deadline` too. Raises ConnectTimeout,
    ConnectError, RefusedAddress, or UnicodeError for a name that cannot be encoded."""
    try:
        sock = addresses.open_socket(target.host, target.port, timeout, deadline, check=check)
    except TimeoutError as error:
        raise ConnectTimeout(f"no connection within {timeout:g} s") from error
    except OSError as error:
        raise ConnectError(str(error)) from error
    if target.scheme == "https":
        try:
            sock.settimeout(min(timeout, _left(deadline)))
            sock = tls().wrap_socket(sock, server_hostname=target.host)
        except TimeoutError as error:
            sock.close()
            raise ConnectTimeout(f"no TLS connection within {timeout:g} s") from error
        except OSError as error:  # ssl.SSLError among them: a certificate that does not verify, or no TLS at all
            sock.close()
            raise ConnectError(str(error)) from error
    return Connection(target, sock)


class Pool:
    """At most `size` open connections, idle ones kept per (scheme, host, port); thread-safe."""

    def __init__(self, size: int, connect: Callable[[Target, float, float], Connection]) -> None:
        self.size = max(size, 1)
        self.connect = connect
        self.idle: dict[tuple[str, str, int], list[Connection]] = {}
        self.busy: set[Connection] = set()
        self.opening = 0
        self.closed = False
        self.lock = threading.Condition()

    def take(self, target: Target, connect_timeout: float, deadline: float, *, fresh: bool = False) -> Connection:
        """An idle connection to `target` fit to reuse (unless `fresh`), else a new one once there is room."""
        key = (target.scheme, target.host, target.port)
        with self.lock:
            while True:
                if not fresh:
                    reused = self._idle_one(key)
                    if reused is not None:
                        reused.reused = True
                        self.busy.add(reused)
                        return reused
                if self._room():
                    self.opening += 1
                    break
                if not self.lock.wait(_left(deadline)):
                    raise PoolTimeout("every connection stayed busy")
        try:
            connection = self.connect(target, connect_timeout, deadline)
        except BaseException:
            with self.lock:
                self.opening -= 1
                self.lock.notify()  # the room it had is free again
            raise
        with self.lock:  # from opening to busy at once: it is counted against the cap all along
            self.opening -= 1
            self.busy.add(connection)
        return connection

    def _idle_one(self, key: tuple[str, str, int]) -> Connection | None:
        waiting = self.idle.get(key)
        now = time.monotonic()
        while waiting:
            connection = waiting.pop()
            if connection.usable(now):
                return connection
            connection.close()
        return None

    def _room(self) -> bool:
        """Whether another connection may open, closing the longest idle one (to any host) if that makes room."""
        if len(self.busy) + self.opening + sum(map(len, self.idle.values())) < self.size:
            return True
        oldest = min((waiting[0] for waiting in self.idle.values() if waiting), default=None,
                     key=lambda connection: connection.idle_since)
        if oldest is None:
            return False
        self.idle[oldest.key].remove(oldest)
        oldest.close()
        return True

    def give_back(self, connection: Connection, reusable: bool) -> None:
        with self.lock:
            self.busy.discard(connection)
            if reusable and not self.closed and connection.sock is not None:
                connection.idle_since = time.monotonic()
                self.idle.setdefault(connection.key, []).append(connection)
            else:
                connection.close()
            self.lock.notify()

    def close(self) -> None:
        """Close the idle connections; shut down those in use (a read on one ends at once, with an OSError its
        fetch reports), to be closed when their request lets go of them."""
        with self.lock:
            self.closed = True
            for connection in (c for waiting in self.idle.values() for c in waiting):
                connection.close()
            self.idle.clear()
            for connection in self.busy:
                connection.stopped = True
                with contextlib.suppress(OSError):  # already closed: nothing left to stop
                    connection.opened.shutdown(socket.SHUT_RDWR)
            self.lock.notify_all()
