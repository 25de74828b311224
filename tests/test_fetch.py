"""amplify.fetch against a real HTTP server on 127.0.0.1: pages, link probes, conditional fetches, limits."""

import gzip
import threading
import tracemalloc
import zlib

import pytest

from amplify.fetch import (
    BodyTooLarge,
    FetchError,
    FetchLimits,
    FetchTimeout,
    HTTPStatusError,
    NotWebURL,
    TooManyRedirects,
    fetch_feed,
    fetch_page,
    open_client,
    probe_link,
)

FAST = FetchLimits(connect_timeout=1.0, total_timeout=0.6, max_bytes=1024 * 1024)


@pytest.fixture
def release():
    """Set at teardown so handlers that stall on purpose end and the server can stop."""
    event = threading.Event()
    yield event
    event.set()


def test_fetch_page_returns_body_and_content_type(server):
    server.route("/about", "<html>hello</html>", headers={"Content-Type": "text/html; charset=utf-8"})
    page = fetch_page(server.url("/about"))
    assert page.status == 200
    assert page.body == b"<html>hello</html>"
    assert page.content_type == "text/html; charset=utf-8"
    assert page.url == server.url("/about")
    assert "amplify/" in server.hits("/about")[0].headers["User-Agent"]


def test_fetch_page_404_is_an_error_with_the_status(server):
    with pytest.raises(HTTPStatusError) as caught:
        fetch_page(server.url("/missing"))
    assert caught.value.status == 404
    assert "404" in caught.value.reason
    assert server.url("/missing") in str(caught.value)


def test_fetch_page_follows_a_redirect_chain_to_the_final_url(server):
    server.redirect("/a", "/b")
    server.redirect("/b", server.url("/c"), status=301)
    server.route("/c", "done", headers={"Content-Type": "text/plain"})
    page = fetch_page(server.url("/a"))
    assert page.url == server.url("/c")
    assert page.body == b"done"


def test_probe_link_ok_after_redirects(server):
    for hop in range(5):
        server.redirect(f"/hop{hop}", f"/hop{hop + 1}")
    server.route("/hop5", "landed")
    probe = probe_link(server.url("/hop0"))
    assert probe.ok
    assert probe.status == 200
    assert probe.redirects == 5
    assert probe.final_url == server.url("/hop5")
    assert probe.error is None


def test_probe_link_refuses_a_sixth_redirect(server):
    for hop in range(6):
        server.redirect(f"/hop{hop}", f"/hop{hop + 1}")
    server.route("/hop6", "too far")
    probe = probe_link(server.url("/hop0"))
    assert not probe.ok
    assert "more than 5 redirects" in probe.error
    assert server.hits("/hop6") == []
    with pytest.raises(TooManyRedirects):
        fetch_page(server.url("/hop0"))


def test_probe_link_reports_404(server):
    probe = probe_link(server.url("/gone"))
    assert not probe.ok
    assert probe.status == 404
    assert "404" in probe.error


def test_redirect_loop_is_reported(server):
    server.redirect("/ping", "/pong")
    server.redirect("/pong", "/ping")
    probe = probe_link(server.url("/ping"))
    assert not probe.ok
    assert "loop" in probe.error
    with pytest.raises(TooManyRedirects, match="loop"):
        fetch_page(server.url("/ping"))


@pytest.mark.parametrize("target", ["ftp://127.0.0.1/file", "javascript:alert(1)", "file:///etc/passwd"])
def test_redirect_to_a_non_web_scheme_is_refused(server, target):
    server.redirect("/jump", target)
    probe = probe_link(server.url("/jump"))
    assert not probe.ok
    assert "non-web address" in probe.error
    assert probe.final_url == server.url("/jump")
    with pytest.raises(NotWebURL):
        fetch_page(server.url("/jump"))


@pytest.mark.parametrize("url", ["javascript:alert(1)", "file:///etc/passwd", "ftp://example.org/", "not a url"],
                         ids=["javascript", "file", "ftp", "text"])
def test_non_web_urls_are_never_requested(url):
    assert probe_link(url).ok is False
    with pytest.raises(NotWebURL):
        fetch_page(url)


def test_a_server_that_never_answers_times_out(server, release):
    server.route("/stall", handler=lambda handler: release.wait(5))
    with pytest.raises(FetchTimeout):
        fetch_page(server.url("/stall"), limits=FAST)
    probe = probe_link(server.url("/stall"), limits=FAST)
    assert not probe.ok
    assert "within" in probe.error


def test_a_slow_drip_body_cannot_outlive_the_deadline(server, release):
    def drip(handler):
        handler.send_response(200)
        handler.send_header("Content-Length", "100000")
        handler.end_headers()
        try:
            while not release.wait(0.02):
                handler.wfile.write(b"x")
                handler.wfile.flush()
        except OSError:
            pass  # the client gave up, as it should

    server.route("/drip", handler=drip)
    with pytest.raises(FetchTimeout, match="did not finish"):
        fetch_page(server.url("/drip"), limits=FAST)


def test_a_declared_oversized_body_is_refused(server):
    server.route("/big", b"a" * (1024 * 1024 + 1))
    with pytest.raises(BodyTooLarge, match="1 MiB"):
        fetch_page(server.url("/big"), limits=FAST)


def test_an_undeclared_oversized_body_is_refused(server):
    def endless(handler):
        handler.send_response(200)
        handler.send_header("Connection", "close")
        handler.end_headers()
        try:
            for _ in range(200):
                handler.wfile.write(b"b" * 16384)
        except OSError:
            pass

    server.route("/endless", handler=endless)
    with pytest.raises(BodyTooLarge):
        fetch_page(server.url("/endless"), limits=FetchLimits(max_bytes=1024 * 1024))


def test_gzip_body_is_decompressed(server):
    body = b"<rss>" + b"word " * 5000 + b"</rss>"
    server.route("/feed", body, gzip=True)
    page = fetch_page(server.url("/feed"))
    assert page.body == body
    assert server.hits("/feed")[0].headers["Accept-Encoding"] == "gzip, deflate"


def test_raw_deflate_body_is_decompressed(server):
    body = b"<feed>" + b"deflate " * 1000 + b"</feed>"
    compressor = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    raw = compressor.compress(body) + compressor.flush()
    server.route("/deflate", raw, headers={"Content-Encoding": "deflate"})
    assert fetch_page(server.url("/deflate")).body == body


def test_gzip_bomb_is_refused_without_inflating_it_in_memory(server):
    bomb = gzip.compress(b"\0" * (64 * 1024 * 1024), compresslevel=9)
    server.route("/bomb", bomb, headers={"Content-Encoding": "gzip"})
    tracemalloc.start()
    try:
        with pytest.raises(BodyTooLarge):
            fetch_page(server.url("/bomb"), limits=FetchLimits(max_bytes=1024 * 1024))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 * 1024 * 1024


def test_damaged_gzip_is_a_clear_error(server):
    server.route("/broken", b"\x1f\x8b\x08\x00garbage" * 10, headers={"Content-Encoding": "gzip"})
    with pytest.raises(FetchError, match="damaged compressed body"):
        fetch_page(server.url("/broken"))


def test_unknown_compression_is_a_clear_error(server):
    server.route("/br", b"\x00\x01", headers={"Content-Encoding": "br"})
    with pytest.raises(FetchError, match=r"compression amplify cannot read \(br\)"):
        fetch_page(server.url("/br"))


def test_conditional_get_gets_304_and_keeps_the_connection(server):
    validators = {"ETag": '"v1"', "Last-Modified": "Sat, 21 Nov 2026 10:00:00 GMT"}
    server.route("/feed.xml", "<rss/>", headers=validators)
    with open_client() as client:
        first = fetch_feed(client, server.url("/feed.xml"))
        second = fetch_feed(client, server.url("/feed.xml"), etag=first.headers["etag"],
                            last_modified=first.headers["last-modified"])
        third = fetch_feed(client, server.url("/feed.xml"), etag='"v1"')
    assert (first.status, first.body) == (200, b"<rss/>")
    assert (second.status, second.body) == (304, b"")
    assert third.status == 304
    hits = server.hits("/feed.xml")
    assert hits[1].headers["If-None-Match"] == '"v1"'
    assert hits[1].headers["If-Modified-Since"] == "Sat, 21 Nov 2026 10:00:00 GMT"
    assert len({hit.client_port for hit in hits}) == 1


def test_error_bodies_are_read_so_the_connection_is_reused(server):
    server.route("/ok", "fine")
    with open_client() as client:
        with pytest.raises(HTTPStatusError):
            fetch_feed(client, server.url("/nope"))
        fetch_feed(client, server.url("/ok"))
    assert server.hits("/nope")[0].client_port == server.hits("/ok")[0].client_port


def test_permanent_redirect_is_reported_as_moved(server):
    server.redirect("/old.xml", "/new.xml", status=301)
    server.route("/new.xml", "<rss/>")
    with open_client() as client:
        response = fetch_feed(client, server.url("/old.xml"))
    assert response.moved_to == server.url("/new.xml")
    assert response.final_url == server.url("/new.xml")
    assert response.redirects == 1


def test_temporary_redirect_first_is_not_a_move(server):
    server.redirect("/tmp.xml", "/perm.xml", status=302)
    server.redirect("/perm.xml", "/final.xml", status=308)
    server.route("/final.xml", "<rss/>")
    with open_client() as client:
        response = fetch_feed(client, server.url("/tmp.xml"))
    assert response.moved_to is None
    assert response.final_url == server.url("/final.xml")


def test_a_refused_connection_is_a_clear_error():
    probe = probe_link("http://127.0.0.1:9/")
    assert not probe.ok
    assert "could not connect" in probe.error


def test_cookies_one_site_sets_are_never_sent_anywhere(server):
    server.route("/a.xml", "<rss/>", headers={"Set-Cookie": "session=secret; Path=/"})
    server.route("/b.xml", "<rss/>")
    with open_client() as client:
        fetch_feed(client, server.url("/a.xml"))
        fetch_feed(client, server.url("/b.xml"))
        fetch_feed(client, server.url("/a.xml"))
    assert all("Cookie" not in hit.headers for hit in server.requests)
    assert server.requests[0].headers["User-Agent"].startswith("amplify/")


def test_tls_is_set_up_on_the_first_https_address_only(server, monkeypatch):
    from amplify.fetch import client as client_module

    made = []
    real = client_module.verifying_context
    monkeypatch.setattr(client_module, "verifying_context", lambda: made.append(1) or real())
    server.route("/a.xml", "<rss/>")
    secure = server.url("/a.xml").replace("http://", "https://")
    with open_client() as client:
        fetch_feed(client, server.url("/a.xml"))
        assert made == []
        for _ in range(2):
            with pytest.raises(FetchError, match="could not connect"):  # the loopback server speaks plain HTTP
                fetch_feed(client, secure)
    assert made == [1]


def test_repeated_headers_are_joined_and_names_are_lower_case(server):
    def answer(handler):
        handler.send_response(200)
        handler.send_header("ETag", '"v1"')
        handler.send_header("Link", "<https://hub.example/>; rel=hub")
        handler.send_header("Link", "<https://ada.example/feed>; rel=self")
        handler.send_header("Content-Length", "6")
        handler.end_headers()
        handler.wfile.write(b"<rss/>")

    server.route("/a.xml", handler=answer)
    with open_client() as client:
        response = fetch_feed(client, server.url("/a.xml"))
    assert response.headers["etag"] == '"v1"' and "ETag" not in response.headers
    assert response.headers["link"] == "<https://hub.example/>; rel=hub, <https://ada.example/feed>; rel=self"


def test_a_location_in_raw_utf8_is_followed_as_sent(server):
    def moved(handler):
        handler.wfile.write(b"HTTP/1.1 301 Moved Permanently\r\n"
                            b"Location: /caf\xc3\xa9.xml\r\nContent-Length: 0\r\n\r\n")

    server.route("/old.xml", handler=moved)
    server.route("/caf%C3%A9.xml", "<rss/>")
    with open_client() as client:
        response = fetch_feed(client, server.url("/old.xml"))
    assert response.status == 200
    assert response.moved_to == server.url("/café.xml")
    assert server.hits("/caf%C3%A9.xml")


@pytest.mark.parametrize("other", [b"", b"X-Note: caf\xe9\r\n"])  # beside a header that is not UTF-8, too
def test_a_validator_that_is_not_ascii_goes_back_byte_for_byte(server, other):
    def answer(handler):
        handler.wfile.write(b'HTTP/1.1 200 OK\r\nETag: "caf\xc3\xa9"\r\n' + other + b"Content-Length: 6\r\n\r\n<rss/>")

    server.route("/a.xml", handler=answer)
    with open_client() as client:
        etag = fetch_feed(client, server.url("/a.xml")).headers["etag"]
        fetch_feed(client, server.url("/a.xml"), etag=etag)
    assert server.hits("/a.xml")[1].headers["If-None-Match"].encode("latin-1") == b'"caf\xc3\xa9"'


@pytest.mark.parametrize("url", ["http://" + "a" * 70 + ".example/", "http://[::1/"])
def test_an_address_that_cannot_be_used_is_a_clear_error_not_a_crash(url):
    probe = probe_link(url)
    assert not probe.ok and probe.error
    with pytest.raises(FetchError):
        fetch_page(url)


def test_an_unreadable_redirect_is_a_clear_error(server):
    server.redirect("/odd.xml", "http://[::1")
    with pytest.raises(NotWebURL, match="cannot be read"):
        fetch_page(server.url("/odd.xml"))
