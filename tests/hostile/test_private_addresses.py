"""No request reaches this computer or the user's own network unless they allow it (server-side request forgery).

A hostile feed, homepage or link can name an address inside the user's network, spelled as plainly or as oddly as
it likes, or redirect there from a public site. `inside` (127.0.0.1) and `inside6` ([::1]) count every connection
they accept; `site` is the hostile public site (see conftest.py). Every test here asserts that the servers inside
were never reached, through each way amplify fetches: refresh, feed discovery (`amplify add`, the Sources page),
OPML import and the checklist's link probe.
"""

import pytest
from click.testing import CliRunner
from pages import follow_list_beside, open_page

from amplify import fetch
from amplify.checklist import refresh_link_probe
from amplify.cli import cli
from amplify.discover import DiscoveryError, discover_feed
from amplify.fetch import FetchError, fetch_page, open_client, probe_link
from amplify.follow.load import parse_follow_list
from amplify.refresh import refresh
from amplify.types import FollowList, Settings, Source
from amplify.ui.components import escape_markdown

FEED = """<?xml version="1.0"?>
<rss version="2.0"><channel><title>Inside</title><link>http://inside.example/</link>
<item><title>A secret</title><link>http://inside.example/1</link><guid>1</guid></item>
</channel></rss>"""
HOMEPAGE = """<!doctype html><html><head><title>Hostile</title>
<link rel="alternate" type="application/rss+xml" href="{feed}"></head><body>hello</body></html>"""


def inside_spellings(port: int) -> list[str]:
    """127.0.0.1 on `port`, written every way a URL can write it."""
    return [f"http://{host}:{port}/feed.xml" for host in (
        "127.0.0.1", "localhost", "LocalHost", "2130706433", "0x7f.1", "0x7f000001", "127.1", "017700000001",
        "0", "0.0.0.0", "[::ffff:127.0.0.1]", "[::ffff:7f00:1]", "[0::ffff:127.0.0.1]", "someone@127.0.0.1",
    )]


def inside6_spellings(port: int) -> list[str]:
    return [f"http://[::1]:{port}/feed.xml", f"http://[0:0:0:0:0:0:0:1]:{port}/feed.xml"]


@pytest.fixture
def feeds_inside(inside, inside6):
    for server in (inside, inside6):
        server.route("/feed.xml", FEED, headers={"Content-Type": "application/rss+xml"})
        server.route("/post", "<html>a page</html>", headers={"Content-Type": "text/html"})
    return inside_spellings(inside.port) + inside6_spellings(inside6.port)


def reached(*servers) -> int:
    return sum(server.connections for server in servers)


def follow(*feeds: str) -> FollowList:
    """A follow list with the default settings: private addresses not allowed."""
    sources = tuple(Source(name=f"Source {number}", feeds=(feed,)) for number, feed in enumerate(feeds))
    return FollowList(sources, Settings())


def feed_rows(store) -> list[dict]:
    return store.rows("SELECT url, last_error, moved_to, last_status FROM feeds ORDER BY id")


# -- every spelling, asked directly ------------------------------------------------------------------------


def test_no_spelling_of_this_computer_is_fetched(feeds_inside, inside, inside6, connections):
    for url in feeds_inside:
        with pytest.raises(FetchError) as refused:
            fetch_page(url)
        assert refused.value.reason.startswith("refused: "), (url, refused.value.reason)
        assert "set allow_private_addresses: true in feeds.yml" in refused.value.reason
    assert reached(inside, inside6) == 0
    assert [attempt for attempt in connections if attempt[1] in (inside.port, inside6.port)] == []


def test_the_reason_names_the_host_and_the_address_it_resolved_to(feeds_inside, inside):
    with pytest.raises(FetchError) as refused:
        fetch_page(f"http://localhost:{inside.port}/feed.xml")
    assert refused.value.reason == ("refused: localhost (127.0.0.1) is this computer, not the public internet; "
                                    "set allow_private_addresses: true in feeds.yml to allow it")
    assert reached(inside) == 0


def test_every_spelling_fails_in_refresh_with_the_reason_and_nothing_stored(feeds_inside, inside, inside6, store):
    report = refresh(store, follow(*feeds_inside))

    assert reached(inside, inside6) == 0
    assert report.failed == len(feeds_inside) and report.new_items == 0
    assert all(problem.error.startswith("refused: ") for problem in report.errors)
    assert store.scalar("SELECT COUNT(*) FROM items") == 0


# -- redirects from a public site --------------------------------------------------------------------------


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_no_redirect_leads_inside(site, feeds_inside, inside, inside6, status):
    with open_client() as client:
        for number, target in enumerate(feeds_inside):
            site.redirect(f"/moved/{number}", target, status=status)
            with pytest.raises(FetchError) as refused:
                fetch.fetch_feed(client, site.url(f"/moved/{number}"))
            assert refused.value.reason.startswith("refused: "), (target, refused.value.reason)
    assert reached(inside, inside6) == 0
    assert len(site.requests) == len(feeds_inside)  # the public site itself was asked


def test_a_redirect_several_hops_in_is_refused_too(site, feeds_inside, inside):
    site.redirect("/a", site.url("/b"), status=301)
    site.redirect("/b", site.url("/c"), status=302)
    site.redirect("/c", f"http://2130706433:{inside.port}/feed.xml", status=307)
    with pytest.raises(FetchError, match="refused: 2130706433 \\(127.0.0.1\\) is this computer"):
        fetch_page(site.url("/a"))
    assert reached(inside) == 0


def test_a_permanent_redirect_inside_is_never_remembered(site, feeds_inside, inside, inside6, store):
    targets = [f"http://localhost:{inside.port}/feed.xml", f"http://[::1]:{inside6.port}/feed.xml",
               f"http://0x7f.1:{inside.port}/feed.xml"]
    for number, target in enumerate(targets):
        site.redirect(f"/feed/{number}", target, status=301 if number % 2 == 0 else 308)

    refresh(store, follow(*(site.url(f"/feed/{number}") for number in range(len(targets)))))
    refresh(store, force=True)  # a second refresh asks the feed's own address again, never the inside one

    assert reached(inside, inside6) == 0
    rows = feed_rows(store)
    assert [row["moved_to"] for row in rows] == [None] * len(targets)
    assert all(row["last_error"].startswith("refused: ") for row in rows)
    assert len(site.requests) == 2 * len(targets)


def test_link_local_cloud_metadata_is_never_contacted(site, connections):
    site.redirect("/latest", "http://169.254.169.254/latest/meta-data/", status=302)
    site.redirect("/v6", "http://[fe80::a9fe:a9fe]/latest/meta-data/", status=302)
    site.redirect("/mapped", "http://[::ffff:169.254.169.254]/latest/meta-data/", status=302)
    for path in ("/latest", "/v6", "/mapped"):
        with pytest.raises(FetchError, match="is on your own network, not the public internet"):
            fetch_page(site.url(path))
    assert [attempt for attempt in connections if attempt[0] != "127.0.0.2"] == []


# -- names that resolve inside -----------------------------------------------------------------------------


def test_a_name_that_resolves_inside_is_refused(feeds_inside, inside, names):
    names["feeds.example"] = [["127.0.0.1"]]
    with pytest.raises(FetchError, match=r"refused: feeds.example \(127.0.0.1\) is this computer"):
        fetch_page(f"http://feeds.example:{inside.port}/feed.xml")
    assert reached(inside) == 0


def test_a_name_with_public_and_private_answers_connects_only_to_the_public_one(public_stand_in, names):
    site, inside = _same_port_pair()
    try:
        site.route("/feed.xml", FEED)
        inside.route("/feed.xml", FEED)
        names["mixed.example"] = [["127.0.0.1", "127.0.0.2"]]  # the private answer first
        page = fetch_page(f"http://mixed.example:{site.port}/feed.xml")
        assert page.status == 200
        assert (reached(inside), reached(site)) == (0, 1)
    finally:
        site.stop()
        inside.stop()


def test_a_name_is_resolved_once_per_connection_so_it_cannot_rebind(public_stand_in, names):
    """DNS rebinding: the first answer is public, every later one private. The address checked is the address
    connected to; a second fetch, on a new connection, meets the private answer and is refused."""
    site, inside = _same_port_pair()
    try:
        site.route("/feed.xml", FEED)
        inside.route("/feed.xml", FEED)
        names["rebind.example"] = [["127.0.0.2"], ["127.0.0.1"]]
        url = f"http://rebind.example:{site.port}/feed.xml"
        assert fetch_page(url).status == 200
        with pytest.raises(FetchError, match=r"refused: rebind.example \(127.0.0.1\)"):
            fetch_page(url)
        assert (reached(inside), reached(site)) == (0, 1)
        assert names.asked.count("rebind.example") == 2  # once for each connection: no second look to rebind
    finally:
        site.stop()
        inside.stop()


def _same_port_pair():
    """The stand-in public site and a server inside, on the same port of two loopback addresses."""
    from loopback import LoopbackServer

    for _ in range(20):
        site = LoopbackServer("127.0.0.2")
        try:
            inside = LoopbackServer("127.0.0.1", site.port)
        except OSError:  # that port is taken on 127.0.0.1: try another
            site.stop()
            continue
        return site.start(), inside.start()
    raise RuntimeError("no free port on both 127.0.0.1 and 127.0.0.2")


# -- discovery: amplify add, the Sources page, OPML --------------------------------------------------------


def test_discovery_refuses_a_feed_link_that_points_inside(site, feeds_inside, inside):
    site.route("/", HOMEPAGE.format(feed=f"http://127.1:{inside.port}/feed.xml"),
               headers={"Content-Type": "text/html"})
    with pytest.raises(DiscoveryError, match=r"127.1 \(127.0.0.1\) is this computer"):
        discover_feed(site.url("/"))
    assert reached(inside) == 0


def test_amplify_add_refuses_an_address_inside(feeds_inside, inside, tmp_path):
    feeds = tmp_path / "feeds.yml"
    result = CliRunner().invoke(cli, ["add", f"http://localhost:{inside.port}/feed.xml", "--feeds", str(feeds)])

    assert result.exit_code != 0
    assert "refused: localhost (127.0.0.1) is this computer" in result.output
    assert "set allow_private_addresses: true" in result.output
    assert not feeds.exists()
    assert reached(inside) == 0


def test_amplify_add_follows_inside_once_feeds_yml_allows_it(feeds_inside, inside, tmp_path):
    feeds = tmp_path / "feeds.yml"
    feeds.write_text("sources: []\n")
    url = f"http://localhost:{inside.port}/feed.xml"
    refused = CliRunner().invoke(cli, ["add", url, "--feeds", str(feeds)])
    assert refused.exit_code != 0 and reached(inside) == 0

    feeds.write_text("settings:\n  allow_private_addresses: true\nsources: []\n")
    allowed = CliRunner().invoke(cli, ["add", url, "--feeds", str(feeds)])
    assert allowed.exit_code == 0, allowed.output
    assert reached(inside) == 1


def test_the_sources_page_refuses_to_follow_inside_and_shows_the_reason(site, feeds_inside, inside, store,
                                                                        tmp_path, monkeypatch):
    site.route("/", HOMEPAGE.format(feed=f"http://0x7f.1:{inside.port}/feed.xml"),
               headers={"Content-Type": "text/html"})
    feeds = follow_list_beside(store, tmp_path, monkeypatch,
                               f"sources:\n  - name: Inside\n    feed: http://localhost:{inside.port}/feed.xml\n")
    refresh(store, parse_follow_list(feeds.read_text()))

    app = open_page("sources")
    assert app.dataframe[0].value.to_dict("records")[0]["Problem"].startswith(
        "refused: localhost (127.0.0.1) is this computer")
    app.text_input(key="add_url").input(site.url("/"))
    app.button(key="add_submit").click()
    app.run()
    assert escape_markdown("0x7f.1 (127.0.0.1) is this computer") in app.error[0].value
    assert reached(inside) == 0


def test_an_opml_import_of_feeds_inside_is_refused_at_refresh(feeds_inside, inside, inside6, tmp_path):
    outlines = "".join(f'<outline text="Inside {number}" xmlUrl="{url}"/>'
                       for number, url in enumerate(feeds_inside))
    opml = tmp_path / "follows.opml"
    opml.write_text(f'<?xml version="1.0"?><opml version="2.0"><head/><body>{outlines}</body></opml>')
    feeds, db = tmp_path / "feeds.yml", tmp_path / "amplify.db"
    runner = CliRunner()

    imported = runner.invoke(cli, ["import-opml", str(opml), "--feeds", str(feeds)])
    refreshed = runner.invoke(cli, ["refresh", "--feeds", str(feeds), "--db", str(db)])
    sources = runner.invoke(cli, ["sources", "--feeds", str(feeds), "--db", str(db)])

    assert imported.exit_code == 0, imported.output
    assert reached(inside, inside6) == 0
    assert f"{len(feeds_inside)} failed" in refreshed.output
    assert f"Inside 1: http://localhost:{inside.port}/feed.xml: refused: localhost (127.0.0.1) is this computer" \
        in refreshed.output
    assert "error (1 in a row): refused: localhost (127.0.0.1) is this computer, not the public internet; " \
           "set allow_private_addresses: true in feeds.yml to allow it" in sources.output


def test_feeds_yml_allows_this_computer_and_cron_refresh_remembers_it(feeds_inside, inside, tmp_path):
    feeds, db = tmp_path / "feeds.yml", tmp_path / "amplify.db"
    entry = f"sources:\n  - name: Inside\n    feed: http://localhost:{inside.port}/feed.xml\n"
    runner = CliRunner()
    feeds.write_text(entry)
    runner.invoke(cli, ["refresh", "--feeds", str(feeds), "--db", str(db)])
    assert reached(inside) == 0

    feeds.write_text("settings:\n  allow_private_addresses: true\n" + entry)
    first = runner.invoke(cli, ["refresh", "--force", "--feeds", str(feeds), "--db", str(db)])
    second = runner.invoke(cli, ["refresh", "--force", "--feeds", str(feeds), "--db", str(db)])  # file unchanged
    assert "1 new post" in first.output, first.output
    assert "0 failed" in second.output, second.output
    assert len(inside.hits("/feed.xml")) == 2


def test_the_app_refresh_follows_the_setting_of_the_follow_list_it_is_given(feeds_inside, inside, store):
    entry = f"sources:\n  - name: Inside\n    feed: http://localhost:{inside.port}/feed.xml\n"
    refused = refresh(store, parse_follow_list(entry))
    assert refused.failed == 1 and reached(inside) == 0

    allowed = refresh(store, parse_follow_list("settings:\n  allow_private_addresses: true\n" + entry), force=True)
    assert (allowed.failed, allowed.new_items) == (0, 1)
    assert reached(inside) == 1


def test_the_environment_opt_in_allows_this_computer(feeds_inside, inside, monkeypatch):
    with pytest.raises(FetchError):
        fetch_page(f"http://localhost:{inside.port}/feed.xml")
    monkeypatch.setenv("AMPLIFY_ALLOW_PRIVATE", "1")
    assert fetch_page(f"http://localhost:{inside.port}/feed.xml").status == 200
    assert reached(inside) == 1


# -- link probes -------------------------------------------------------------------------------------------


def test_the_link_probe_refuses_inside_directly_and_after_a_redirect(site, feeds_inside, inside, store):
    site.redirect("/post", f"http://[::ffff:127.0.0.1]:{inside.port}/post", status=302)

    direct = probe_link(f"http://localhost:{inside.port}/post")
    stored = refresh_link_probe(store, site.url("/post"))

    assert not direct.ok and direct.error.startswith("refused: localhost (127.0.0.1) is this computer")
    assert not stored.ok and stored.error.startswith("refused: ::ffff:127.0.0.1 is this computer")
    assert reached(inside) == 0


# -- ports and lengths -------------------------------------------------------------------------------------


def test_amplify_add_says_a_port_above_65535_is_invalid(connections, tmp_path):
    result = CliRunner().invoke(cli, ["add", "http://localhost:99999/", "--feeds", str(tmp_path / "feeds.yml")])

    assert result.exit_code != 0
    assert "the port 99999 is not valid (ports go from 1 to 65535)" in result.output
    assert connections == []


def test_a_port_that_would_wrap_around_is_refused_even_when_private_addresses_are_allowed(
        site, feeds_inside, inside, monkeypatch):
    wrapped = inside.port + 65536  # unchecked, this connects to inside.port
    site.redirect("/wrap", f"http://127.0.0.1:{wrapped}/feed.xml", status=301)
    monkeypatch.setenv("AMPLIFY_ALLOW_PRIVATE", "1")
    with pytest.raises(FetchError, match=f"the port {wrapped} is not valid"):
        fetch_page(f"http://127.0.0.1:{wrapped}/feed.xml")
    with pytest.raises(FetchError, match=f"redirects to an address with an invalid port \\({wrapped};"):
        fetch_page(site.url("/wrap"))
    assert reached(inside) == 0


def test_a_url_over_2048_characters_is_refused_without_printing_it_all(site, feeds_inside, inside, monkeypatch):
    monkeypatch.setenv("AMPLIFY_ALLOW_PRIVATE", "1")  # refused for its length, wherever it points
    long_url = f"http://127.0.0.1:{inside.port}/feed.xml?" + "x" * 3000
    inside.route(long_url.removeprefix(f"http://127.0.0.1:{inside.port}"), FEED)
    site.redirect("/long", long_url, status=302)

    with pytest.raises(FetchError) as direct:
        fetch_page(long_url)
    with pytest.raises(FetchError) as redirected:
        fetch_page(site.url("/long"))

    assert direct.value.reason == "is longer than 2,048 characters, which amplify does not fetch"
    assert redirected.value.reason == ("redirects to an address longer than 2,048 characters, which amplify "
                                       "does not follow")
    assert len(str(direct.value)) < 400 and "(3,0" in str(direct.value)
    assert reached(inside) == 0


# -- the rule itself ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("address", [
    "127.0.0.1", "127.255.255.254", "0.0.0.0", "::1", "::", "::ffff:127.0.0.1", "::127.0.0.1",
    "10.0.0.1", "172.16.5.4", "192.168.1.1", "100.64.0.1", "169.254.169.254", "fe80::1", "fe80::1%1",
    "fc00::1", "fd12:3456::1", "fec0::1", "224.0.0.1", "239.255.255.250", "ff02::1", "ff0e::1",
    "240.0.0.1", "255.255.255.255", "192.0.2.1", "198.18.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254",
    "2002:7f00:1::", "2002:c0a8:101::1", "64:ff9b::7f00:1", "64:ff9b::a9fe:a9fe", "2001:db8::1",
    # A translator for the local-use NAT64 prefix (RFC 8215) or an IPv4-translated address (RFC 2765) is the
    # user's own; Python 3.11's ipaddress calls both global.
    "64:ff9b:1::7f00:1", "64:ff9b:1:a9fe::a9fe:a9fe", "::ffff:0:7f00:1", "::ffff:0:a00:1",
])
def test_addresses_that_are_not_public_are_refused(address):
    assert fetch.address_refusal(address) is not None


@pytest.mark.parametrize("address", ["93.184.215.14", "1.1.1.1", "2606:4700:4700::1111", "2a00:1450:4001::200e",
                                     "::ffff:93.184.215.14", "64:ff9b::5db8:d70e", "2002:5db8:d70e::1"])
def test_public_addresses_are_allowed(address):
    assert fetch.address_refusal(address) is None
