"""Reading a URL into where a request goes (amplify/fetch/target.py): host, port, Host header, request target."""

import pytest

from amplify.fetch.target import BadPort, BadTarget, parse_target


@pytest.mark.parametrize(("url", "host", "port", "authority", "path"), [
    ("http://Feeds.Example/feed.xml", "feeds.example", 80, "feeds.example", "/feed.xml"),
    ("https://feeds.example:443/", "feeds.example", 443, "feeds.example", "/"),
    ("http://feeds.example:8080", "feeds.example", 8080, "feeds.example:8080", "/"),
    ("https://feeds.example:80/", "feeds.example", 80, "feeds.example:80", "/"),
    ("http://ada:secret@feeds.example/a#part", "feeds.example", 80, "feeds.example", "/a"),
    ("http://[2001:DB8::1]:8080/x", "2001:db8::1", 8080, "[2001:db8::1]:8080", "/x"),
    ("http://café.example/", "xn--caf-dma.example", 80, "xn--caf-dma.example", "/"),
    ("http://straße.example/", "xn--strae-oqa.example", 80, "xn--strae-oqa.example", "/"),
    ("http://0x7f.1:81/", "0x7f.1", 81, "0x7f.1:81", "/"),
    ("http://a.example/caf\u00e9 au lait?q=\u00fc v&r=100%", "a.example", 80, "a.example",
     "/caf%C3%A9%20au%20lait?q=%C3%BC%20v&r=100%"),
    ("http://a.example/already%20encoded/%E2%9C%93?a=%2F", "a.example", 80, "a.example",
     "/already%20encoded/%E2%9C%93?a=%2F"),
    ("http://a.example/<tag>\"quoted\"|{x}", "a.example", 80, "a.example", "/%3Ctag%3E%22quoted%22|%7Bx%7D"),
])
def test_urls_are_read_into_where_the_request_goes(url, host, port, authority, path):
    target = parse_target(url)
    assert (target.host, target.port, target.authority, target.path) == (host, port, authority, path)


@pytest.mark.parametrize("url", ["http://a.example:0/", "http://a.example:65536/", "http://a.example:83617/",
                                 "http://a.example:http/"])
def test_ports_outside_1_to_65535_are_refused(url):
    with pytest.raises(BadPort, match="ports go from 1 to 65535"):
        parse_target(url)


@pytest.mark.parametrize("url", ["http:///path", "http://exa mple.example/", "http://a\x00b.example/",
                                 "http://[::1/", "http://[not-v6]/", "ftp://a.example/", "http://xn--a\u00df.example/"])
def test_urls_naming_no_usable_host_are_refused(url):
    with pytest.raises(ValueError):
        parse_target(url)


def test_an_international_name_idna_refuses_says_why():
    with pytest.raises(BadTarget, match="not a valid international name"):
        parse_target("http://\u0661\u0031.example/")  # Arabic-Indic and European digits mixed: not allowed by IDNA 2008
