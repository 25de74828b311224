"""The connection layer (amplify/fetch/connections.py, client.py) against real servers on 127.0.0.1: the deadline on
every read, headers included; the connect timeout; http.client's header caps; bodies chunked, close-delimited or cut
short; keep-alive reuse and when a connection is not reused; the one retry a GET gets and a POST never does; the cap
on open connections; and what a request carries (Host, percent-encoding, no proxy, no line breaks in headers)."""

import contextlib
import socket
import threading
from collections.abc import Callable

import pytest

from amplify.fetch import (
    Client,
    FetchError,
    FetchLimits,
    FetchTimeout,
    HTTPStatusError,
    fetch_feed,
    fetch_page,
    open_client,
    send_json,
)
from amplify.fetch import connections as connections_module

FAST = FetchLimits(connect_timeout=0.3, total_timeout=0.6)


class RawServer:
    """A TCP server on 127.0.0.1 whose every accepted connection is handed to `serve(sock)` in its own thread: for
    answers no well-behaved HTTP server would give."""

    def __init__(self, serve: Callable[[socket.socket], None]) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.serve = serve
        self.accepted = 0
        self.threads: list[threading.Thread] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                sock, _ = self.listener.accept()
            except OSError:
                return
            self.accepted += 1
            thread = threading.Thread(target=self._run, args=(sock,), daemon=True)
            self.threads.append(thread)
            thread.start()

    def _run(self, sock: socket.socket) -> None:
        with sock, contextlib.suppress(OSError):  # the client went away, as some tests make it
            self.serve(sock)

    def url(self, path: str = "/feed.xml") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def close(self) -> None:
        self.listener.close()


@pytest.fixture
def raw():
    made: list[RawServer] = []

    def start(serve: Callable[[socket.socket], None]) -> RawServer:
        made.append(RawServer(serve))
        return made[-1]

    yield start
    for server in made:
        server.close()


@pytest.fixture
def release():
    event = threading.Event()
    yield event
    event.set()


def read_request(sock: socket.socket) -> bytes:
    """The request's head, up to the blank line (the tests' requests have no body)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            return data
        data += chunk
    return data


# -- the deadline, on every read -------------------------------------------------------------------------------


def test_headers_dripped_a_byte_at_a_time_cannot_outlive_the_deadline(raw, release):
    def drip(sock):
        read_request(sock)
        head = b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 150 + b"\r\nContent-Length: 2\r\n\r\nok"
        for byte in head:  # 150 bytes 0.02 s apart: far past the deadline, had each read its own timeout
            sock.sendall(bytes([byte]))
            if release.wait(0.02):
                return

    server = raw(drip)
    with pytest.raises(FetchTimeout, match="no answer within 0.6 s"):
        fetch_page(server.url(), limits=FAST)


def test_a_status_line_that_never_ends_times_out(raw, release):
    def stall(sock):
        read_request(sock)
        sock.sendall(b"HTTP/1.1 200")
        release.wait(5)

    with pytest.raises(FetchTimeout, match="no answer"):
        fetch_page(raw(stall).url(), limits=FAST)


@pytest.fixture
def unanswered_port():
    """A port on 127.0.0.1 whose listener's backlog is full and nobody accepts: a connection to it waits, as to a
    host that drops packets."""
    listener = socket.create_server(("127.0.0.1", 0), backlog=0)
    port = listener.getsockname()[1]
    held = []
    try:
        for _ in range(100):
            sock = socket.socket()
            sock.settimeout(0.2)
            held.append(sock)
            try:
                sock.connect(("127.0.0.1", port))
            except TimeoutError:
                break
        else:
            pytest.fail("this system accepted 100 connections nobody accepted: no way to make a connect wait here")
        yield port
    finally:
        for sock in held:
            sock.close()
        listener.close()


def test_a_connection_that_is_never_accepted_hits_the_connect_timeout(unanswered_port):
    with pytest.raises(FetchTimeout, match="could not connect within 0.3 s"):
        fetch_page(f"http://127.0.0.1:{unanswered_port}/feed.xml", limits=FAST)


def test_addresses_that_never_answer_are_tried_only_until_the_deadline(unanswered_port, monkeypatch):
    timeouts: list[float | None] = []

    class Recording(socket.socket):
        def settimeout(self, value):
            timeouts.append(value)
            super().settimeout(value)

    real = socket.getaddrinfo

    def five_addresses(host, *args, **kwargs):  # as a DNS answer with five addresses, none of which answers
        return real("127.0.0.1", *args, **kwargs) * 5 if host == "feed.example" else real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", five_addresses)
    monkeypatch.setattr(socket, "socket", Recording)
    with pytest.raises(FetchTimeout, match="could not connect within 0.6 s"):
        fetch_page(f"http://feed.example:{unanswered_port}/feed.xml", limits=FAST)
    assert 1 < len(timeouts) < 5 and sum(timeouts) <= FAST.total_timeout


# -- what http.client refuses, and bodies -------------------------------------------------------------------------


@pytest.mark.parametrize(("head", "refusal"), [
    (b"".join(b"X-%d: y\r\n" % n for n in range(101)), "got more than 100 headers"),
    (b"X-Long: " + b"a" * 70_000 + b"\r\n", "got more than 65536 bytes"),
], ids=["101 headers", "a 70 kB header line"])
def test_http_clients_caps_on_headers_hold(raw, head, refusal):
    def answer(sock):
        read_request(sock)
        sock.sendall(b"HTTP/1.1 200 OK\r\n" + head + b"Content-Length: 0\r\n\r\n")

    with pytest.raises(FetchError, match=refusal):
        fetch_page(raw(answer).url())


def test_a_body_cut_short_of_its_length_is_an_error_not_a_feed(raw):
    def short(sock):
        read_request(sock)
        sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n<rss>")

    with pytest.raises(FetchError, match="the connection broke while reading"):
        fetch_page(raw(short).url())


def test_chunked_and_http_10_bodies_are_read_whole(raw):
    def chunked(sock):
        read_request(sock)
        sock.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n<rss>\r\n6\r\n</rss>\r\n0\r\n\r\n")
        assert read_request(sock)  # the same connection is asked again
        sock.sendall(b"HTTP/1.1 304 Not Modified\r\n\r\n")

    def old(sock):
        read_request(sock)
        sock.sendall(b"HTTP/1.0 200 OK\r\n\r\n<rss>old</rss>")  # no length: the body ends when the connection does

    chunked_server, old_server = raw(chunked), raw(old)
    with open_client() as client:
        assert fetch_feed(client, chunked_server.url()).body == b"<rss></rss>"
        assert fetch_feed(client, chunked_server.url(), etag='"v1"').status == 304
        assert fetch_feed(client, old_server.url()).body == b"<rss>old</rss>"
        assert fetch_feed(client, old_server.url()).body == b"<rss>old</rss>"
    assert (chunked_server.accepted, old_server.accepted) == (1, 2)


def test_a_folded_header_is_read_as_one_line(raw):
    def folded(sock):
        read_request(sock)
        sock.sendall(b'HTTP/1.1 200 OK\r\nETag: "a\r\n b"\r\nContent-Length: 6\r\n\r\n<rss/>')

    with open_client() as client:
        assert fetch_feed(client, raw(folded).url()).headers["etag"] == '"a b"'


# -- keep-alive ----------------------------------------------------------------------------------------------------


def test_a_connection_the_server_will_close_is_not_reused(server):
    server.route("/feed.xml", "<rss/>", headers={"Connection": "close"})
    with open_client() as client:
        fetch_feed(client, server.url("/feed.xml"))
        fetch_feed(client, server.url("/feed.xml"))
    assert server.connections == 2


def test_an_error_body_too_big_to_drain_does_not_leave_its_connection_for_reuse(server):
    server.route("/big-error", b"e" * 200_000, status=500)
    server.route("/ok", "<rss/>")
    with open_client() as client:
        with pytest.raises(HTTPStatusError):
            fetch_feed(client, server.url("/big-error"))
        assert [idle for waiting in client.pool.idle.values() for idle in waiting] == []  # not read to its end
        fetch_feed(client, server.url("/ok"))
    assert server.connections == 2


def test_an_idle_connection_past_its_expiry_is_not_reused(server, monkeypatch):
    server.route("/feed.xml", "<rss/>")
    monkeypatch.setattr(connections_module, "KEEPALIVE_EXPIRY", -1.0)  # every idle connection counts as too old
    with open_client() as client:
        fetch_feed(client, server.url("/feed.xml"))
        fetch_feed(client, server.url("/feed.xml"))
    assert server.connections == 2


def test_a_connection_the_server_closed_while_idle_is_not_used_again(raw, monkeypatch):
    closed = threading.Event()

    def once(sock):  # answers as if it would keep the connection, then closes it
        read_request(sock)
        sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\n<rss/>")
        sock.shutdown(socket.SHUT_WR)
        closed.set()
        read_request(sock)

    asked = []
    real_ask = connections_module.Connection.ask
    monkeypatch.setattr(connections_module.Connection, "ask",
                        lambda self, *args: asked.append(self) or real_ask(self, *args))
    server = raw(once)
    with open_client() as client:
        fetch_feed(client, server.url())
        assert closed.wait(5)
        idle = asked[0]
        assert idle.sock is not None and not idle.usable(now=idle.idle_since)  # its end is readable
        fetch_feed(client, server.url())
    assert len(asked) == 2 and asked[1] is not idle  # the closed one was never sent on
    assert server.accepted == 2


def closes_kept_alive_connections(handler, body: bytes = b"<rss/>") -> None:
    """A route that answers the first request on a connection and closes the connection, unanswered, on the next:
    what a server does when it drops an idle connection just as a request is sent on it."""
    handler.served = getattr(handler, "served", 0) + 1
    if handler.served > 1:
        handler.close_connection = True
        return
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def test_a_get_dropped_on_a_reused_connection_is_sent_again_on_a_new_one(server):
    server.route("/feed.xml", handler=closes_kept_alive_connections)
    with open_client() as client:
        first = fetch_feed(client, server.url("/feed.xml"))
        second = fetch_feed(client, server.url("/feed.xml"))
    assert first.body == second.body == b"<rss/>"
    assert len(server.hits("/feed.xml")) == 3 and server.connections == 2


def test_a_post_dropped_on_a_reused_connection_is_never_sent_twice(server):
    server.route("/api", handler=lambda handler: closes_kept_alive_connections(handler, b"{}"))
    with open_client() as client:
        assert send_json(client, server.url("/api"), json_body={"status": "one"}).data == {}
        with pytest.raises(FetchError, match="the connection failed"):
            send_json(client, server.url("/api"), json_body={"status": "two"})
    assert [hit.body for hit in server.hits("/api")] == [b'{"status": "one"}', b'{"status": "two"}']
    assert server.connections == 1


def test_many_threads_share_one_client_within_its_cap_on_connections(server):
    server.route("/feed.xml", "<rss/>", headers={"ETag": '"v1"'})
    failures: list[BaseException] = []
    statuses: list[int] = []

    def fetch_some(client):
        try:
            for _ in range(10):
                statuses.append(fetch_feed(client, server.url("/feed.xml"), etag='"v1"').status)
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            failures.append(error)

    with open_client(connections=2) as client:
        threads = [threading.Thread(target=fetch_some, args=(client,)) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert failures == [] and statuses == [304] * 60
    assert server.connections <= 2


def test_a_request_waits_for_a_free_connection_only_until_its_deadline(server, release):
    server.route("/stall", handler=lambda handler: release.wait(5))
    server.route("/feed.xml", "<rss/>")
    patient = FetchLimits(total_timeout=1.5)  # holds the one connection past the deadline of the request after it
    with open_client(FAST, connections=1) as client:
        holder = threading.Thread(target=lambda: pytest.raises(FetchError, fetch_feed, client,
                                                               server.url("/stall"), limits=patient))
        holder.start()
        while not server.hits("/stall"):
            threading.Event().wait(0.01)
        with pytest.raises(FetchTimeout):
            fetch_feed(client, server.url("/feed.xml"), limits=FAST)
        holder.join()
    assert server.hits("/feed.xml") == []


def test_close_closes_every_connection(raw):
    ended = threading.Event()

    def keep(sock):
        read_request(sock)
        sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\n<rss/>")
        if read_request(sock) == b"":  # the client closed its end
            ended.set()

    server = raw(keep)
    client = open_client()
    fetch_feed(client, server.url())
    assert not ended.is_set()
    client.close()
    assert ended.wait(5)


def test_close_ends_a_request_in_flight_with_an_error_not_a_hang(server, release):
    server.route("/stall", handler=lambda handler: release.wait(5))
    error = _closed_while_fetching(server.url("/stall"), lambda client: server.hits("/stall"))
    assert "the connection failed" in str(error)


def _closed_while_fetching(url: str, ready: Callable[[Client], object]) -> FetchError:
    """Fetch `url` on a thread with a patient client, close the client once `ready(client)`, and return the error
    the fetch ended with; fails if the fetch is still running 10 s after the close."""
    patient = FetchLimits(total_timeout=30)
    client = open_client(patient)
    outcome: list[FetchError] = []
    fetching = threading.Thread(target=lambda: outcome.append(
        pytest.raises(FetchError, fetch_feed, client, url, limits=patient).value))
    fetching.start()
    while not ready(client):
        threading.Event().wait(0.01)
    client.close()
    fetching.join(10)
    assert not fetching.is_alive()
    return outcome[0]


# -- what a request carries ----------------------------------------------------------------------------------------


def test_the_path_is_percent_encoded_and_the_host_header_has_the_port(server):
    server.route("/caf%C3%A9%20bar/a%2Fb?q=%C3%BC%20v&r=%7Bx%7D", "<rss/>")
    page = fetch_page(server.url("/café bar/a%2Fb?q=ü v&r={x}#fragment"))
    assert page.status == 200
    hit = server.hits("/caf%C3%A9%20bar/a%2Fb?q=%C3%BC%20v&r=%7Bx%7D")[0]
    assert hit.headers["Host"] == f"127.0.0.1:{server.port}"


def test_an_ipv6_literal_is_asked_with_its_brackets_in_the_host_header():
    from loopback import LoopbackServer

    server = LoopbackServer("::1").start()
    try:
        server.route("/feed.xml", "<rss/>")
        assert fetch_page(f"http://[::1]:{server.port}/feed.xml").body == b"<rss/>"
        assert server.hits("/feed.xml")[0].headers["Host"] == f"[::1]:{server.port}"
    finally:
        server.stop()


def test_an_international_host_name_is_looked_up_and_sent_as_its_a_label(server, monkeypatch):
    real = socket.getaddrinfo
    asked = []

    def getaddrinfo(host, port, *args, **kwargs):
        asked.append(host)
        return real("127.0.0.1", port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    server.route("/feed.xml", "<rss/>")
    fetch_page(f"http://Straße.example:{server.port}/feed.xml")
    # IDNA 2008, as browsers: not strasse.example, which IDNA 2003 (the stdlib codec) would make of it
    assert asked == ["xn--strae-oqa.example"]
    assert server.hits("/feed.xml")[0].headers["Host"] == f"xn--strae-oqa.example:{server.port}"


def test_a_line_break_in_a_header_value_is_refused_and_nothing_is_sent(server):
    server.route("/feed.xml", "<rss/>")
    with open_client() as client, pytest.raises(FetchError, match="line break"):
        fetch_feed(client, server.url("/feed.xml"), etag='"v1"\r\nX-Injected: yes')
    assert server.requests == []


def test_no_proxy_is_taken_from_the_environment(server, monkeypatch):
    from loopback import LoopbackServer

    proxy = LoopbackServer().start()
    try:
        for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
            monkeypatch.setenv(name, proxy.url("/"))
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        server.route("/feed.xml", "<rss/>")
        assert fetch_page(server.url("/feed.xml")).body == b"<rss/>"
        assert proxy.connections == 0
    finally:
        proxy.stop()


# -- answers http.client lets through ------------------------------------------------------------------------------


def answers(*heads: bytes) -> Callable[[socket.socket], None]:
    """A server that answers the requests on a connection with `heads`, one each, in turn."""

    def serve(sock):
        for head in heads:
            if not read_request(sock):
                return
            sock.sendall(head)
        read_request(sock)

    return serve


def test_interim_answers_are_skipped_and_each_request_gets_its_own_answer(raw):
    server = raw(answers(
        b"HTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n\r\n"
        b"HTTP/1.1 100 Continue\r\n\r\n"
        b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nfirst!",
        b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nsecond"))
    with open_client() as client:
        assert fetch_feed(client, server.url()).body == b"first!"
        assert fetch_feed(client, server.url()).body == b"second"
    assert server.accepted == 1


@pytest.mark.parametrize(("head", "refusal"), [
    (b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nno",
     "switched to another protocol"),
    (b"HTTP/1.1 103 Early Hints\r\n\r\n" * 11 + b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nno",
     "more than 10 interim answers"),
], ids=["101", "11 interim answers"])
def test_a_switch_of_protocols_or_endless_interim_answers_are_errors_and_end_the_connection(raw, head, refusal):
    ok = b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\n<rss/>"
    server = raw(lambda sock: answers(head if server.accepted == 1 else ok, ok)(sock))
    with open_client() as client:
        with pytest.raises(FetchError, match=f"the connection failed .*{refusal}"):
            fetch_feed(client, server.url())
        assert fetch_feed(client, server.url()).body == b"<rss/>"
    assert server.accepted == 2


def within_10_s(work: Callable[[], object]) -> object:
    """What `work` returns, run on a thread given at most 10 s: a bound on a hang, far past any honest answer."""
    outcome: list[object] = []
    thread = threading.Thread(target=lambda: outcome.append(work()), daemon=True)
    thread.start()
    thread.join(10)
    assert outcome, "still waiting after 10 s"
    return outcome[0]


@pytest.mark.parametrize("status", [b"304 Not Modified", b"204 No Content"])
def test_an_answer_with_no_body_reads_none_even_when_it_says_chunked(raw, status):
    server = raw(answers(b"HTTP/1.1 " + status + b"\r\nTransfer-Encoding: chunked\r\n\r\n",
                         b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\n<rss/>"))
    patient = FetchLimits(total_timeout=30)
    with open_client(patient) as client:
        first = within_10_s(lambda: fetch_feed(client, server.url(), limits=patient, etag='"v1"'))
        assert first.status == int(status[:3])
        assert fetch_feed(client, server.url(), limits=patient).body == b"<rss/>"
    assert server.accepted == 1


@pytest.mark.parametrize("head", [b"HTTP/1.1 200 OK\r\nContent-Le", b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n",
                                  b"HTTP/1.1 200", b"HTTP/1.1 103 Early Hints\r\n\r\nHTTP/1.1 200 OK\r\n"],
                         ids=["in a header", "after a header", "in the status line", "after an interim answer"])
def test_a_connection_closed_in_the_middle_of_the_headers_is_an_error_not_an_answer(raw, head):
    def cut(sock):
        read_request(sock)
        sock.sendall(head)

    with pytest.raises(FetchError, match="the connection failed .*in the middle of the answer's headers"):
        fetch_page(raw(cut).url())


@pytest.mark.parametrize("head", [b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 100\r\n\r\n",
                                  b"HTTP/1.0 200 OK\r\nContent-Length: 100\r\n\r\n", b"HTTP/1.1 200 OK\r\n\r\n"],
                         ids=["Connection: close", "HTTP/1.0", "read to the close"])
def test_close_ends_the_read_of_a_body_on_a_connection_that_will_close(raw, release, head):
    def stall(sock):
        read_request(sock)
        sock.sendall(head + b"<rss>")
        release.wait(30)

    # http.client lets go of the socket of an answer that says the connection will close, once its headers are read
    error = _closed_while_fetching(raw(stall).url(), lambda client: client.pool.busy and all(
        connection.sock is None for connection in client.pool.busy))
    assert "the connection broke while reading" in str(error)


def test_every_connection_the_pool_opens_counts_against_its_cap_at_every_moment(server):
    server.route("/feed.xml", "<rss/>")
    made: list[connections_module.Connection] = []
    uncounted: list[int] = []
    with open_client(connections=1) as client:
        pool = client.pool

        class Watched(threading.Condition):
            def __exit__(self, *exc):  # as the lock is let go, each open connection is busy, idle or opening
                counted = len(pool.busy) + pool.opening + sum(map(len, pool.idle.values()))
                uncounted.append(sum(connection.sock is not None for connection in made) - counted)
                return super().__exit__(*exc)

        connect = pool.connect
        pool.connect = lambda *args: made.append(connect(*args)) or made[-1]
        pool.lock = Watched()
        fetch_feed(client, server.url("/feed.xml"))
        fetch_feed(client, server.url("/feed.xml"))
    assert len(made) == 1 and uncounted and max(uncounted) <= 0
