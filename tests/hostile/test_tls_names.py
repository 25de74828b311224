"""https on a checked address: the connection goes to the address that was resolved and checked, and TLS still
verifies the certificate against the host NAME in the URL (not against the address connected to). A certificate
authority made for the test (trustme) stands in for the public ones, through SSL_CERT_FILE as on a user's machine."""

import ssl

import pytest
import trustme
from loopback import LoopbackServer

from amplify.fetch import FetchError, fetch_feed, fetch_page, open_client

STAND_IN = "127.0.0.2"  # the address conftest's `public_stand_in` lets pass as public


@pytest.fixture
def authority(tmp_path, monkeypatch):
    ca = trustme.CA()
    path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    monkeypatch.setenv("SSL_CERT_FILE", str(path))
    return ca


@pytest.fixture
def secure_site(authority, public_stand_in):
    """An https site on the stand-in public address, whose certificate names feeds.example only."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("feeds.example").configure_cert(context)
    running = LoopbackServer(STAND_IN)
    running._httpd.socket = context.wrap_socket(running._httpd.socket, server_side=True,
                                                do_handshake_on_connect=False)
    running._httpd.handle_error = lambda *_: None  # a handshake the client broke off is what the test expects
    running.start()
    running.route("/feed.xml", "<rss/>")
    yield running
    running.stop()


def test_the_certificate_is_checked_against_the_host_name_on_the_checked_address(secure_site, names, connections):
    names["feeds.example"] = [[STAND_IN]]
    page = fetch_page(f"https://feeds.example:{secure_site.port}/feed.xml")
    assert page.body == b"<rss/>"
    assert names.asked == ["feeds.example"]
    assert connections == [(STAND_IN, secure_site.port)]
    assert secure_site.hits("/feed.xml")[0].headers["Host"] == f"feeds.example:{secure_site.port}"


@pytest.mark.parametrize("host", ["other.example", STAND_IN])
def test_a_certificate_for_another_name_is_refused(secure_site, names, host):
    names["other.example"] = [[STAND_IN]]
    with pytest.raises(FetchError, match="could not connect .*certificate verify failed"):
        fetch_page(f"https://{host}:{secure_site.port}/feed.xml")
    assert secure_site.requests == []


def test_an_authority_the_user_does_not_trust_is_refused(secure_site, names, monkeypatch, tmp_path):
    other = tmp_path / "other.pem"
    trustme.CA().cert_pem.write_to_path(str(other))
    monkeypatch.setenv("SSL_CERT_FILE", str(other))
    names["feeds.example"] = [[STAND_IN]]
    with open_client() as client, pytest.raises(FetchError, match="certificate verify failed"):
        fetch_feed(client, f"https://feeds.example:{secure_site.port}/feed.xml")
    assert secure_site.requests == []
