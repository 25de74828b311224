"""urls: one rule for what amplify takes as a web address, with inner spaces let through for a feed's own links."""

import pytest

from amplify import compose, networks
from amplify.urls import http_parts, is_http_url, safe_http_url


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("https://ada.example/feed.xml", True),
        ("HTTP://ada.example", True),
        ("ftp://ada.example/file", False),
        ("https://", False),
        ("/relative/path", False),
        ("http://[::1", False),  # urlsplit cannot split it
        ("https://ada.example/a b", False),
        ("https://ada.example/\x1b[31m", False),
        ("", False),
        (None, False),
    ],
)
def test_is_http_url(text, expected):
    assert is_http_url(text) is expected


def test_inner_spaces_are_the_one_difference():
    assert not is_http_url("https://ada.example/my post")
    assert is_http_url("https://ada.example/my post", inner_spaces=True)
    assert not is_http_url("https://ada.example/line\nbreak", inner_spaces=True)
    assert safe_http_url("  https://ada.example/my post  ") == "https://ada.example/my post"
    assert safe_http_url("/my post", "https://ada.example/blog/") == "https://ada.example/my post"
    assert safe_http_url("//[::1", "https://ada.example/") is None


def test_http_parts_gives_the_parts_of_a_web_address_only():
    assert http_parts("https://ada.example:8443/feed").port == 8443
    assert http_parts("mailto:ada@example.org") is None


def test_the_composer_has_rules_for_every_network_in_the_list_and_no_other():
    assert tuple(compose.NETWORKS) == networks.IDS
    assert compose.NETWORKS["linkedin"].label == "LinkedIn"
