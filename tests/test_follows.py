"""Importing a follow list: Mastodon through the `mastodon-mock` server and a loopback server of our own (hidden
lists, `Link` paging, rate limits, resuming), and adding the chosen accounts to feeds.yml."""

import json
from pathlib import Path

import pytest
from follow_fixtures import FOLLOW_LIST, follow_list_file, mastodon_account, serve_mastodon
from mastodon_mock.config import SeedAccount, SeedConfig, SeedFollow
from mastodon_mock.testing.server import MockServer

from amplify.follow.load import load_follow_list
from amplify.follows import (
    BLUESKY,
    MASTODON,
    Candidate,
    FollowImportError,
    HiddenFollowList,
    ImportPaused,
    add_candidates,
    already_followed,
    bluesky_candidate,
    import_follows,
    mastodon_address,
    mastodon_candidate,
    next_link,
    plain_bio,
    wait_seconds,
)
from amplify.refresh import refresh
from amplify.secrets import set_secret
from amplify.types import Account

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(autouse=True)
def loopback_allowed(monkeypatch):
    monkeypatch.setenv("AMPLIFY_ALLOW_PRIVATE", "1")  # these servers are on 127.0.0.1
    monkeypatch.delenv("AMPLIFY_MASTODON_TOKEN", raising=False)


class Waits(list):
    """Stands in for time.sleep: records each wait instead of sleeping."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


# -- through mastodon-mock --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mock_instance():
    people = [SeedAccount(username=f"maker{number}", display_name=f"Maker {number}",
                          note=f"<p>I make things &amp; sell them</p><p>shop {number}</p>") for number in range(45)]
    seed = SeedConfig(
        accounts=[SeedAccount(username="ada", display_name="Ada", access_token="ada_token"), *people],
        follows=[SeedFollow(follower="ada", following=person.username) for person in people],
    )
    with MockServer(seed=seed) as running:
        yield running


def test_a_following_list_is_paged_through_its_link_header(mock_instance, store):
    seen = []
    result = import_follows(store, MASTODON, "@ada@mock.local", server=mock_instance.base_url,
                            progress=lambda fetched, expected: seen.append((fetched, expected)))
    assert len(result.candidates) == 45
    assert {candidate.handle for candidate in result.candidates} == {f"@maker{n}@mock.local" for n in range(45)}
    assert seen[0] == (0, 45) and seen[-1] == (45, 45) and len(seen) >= 3  # the mock gives at most 40 a page
    maker = next(candidate for candidate in result.candidates if candidate.handle == "@maker7@mock.local")
    assert maker.name == "Maker 7"
    assert maker.bio == "I make things & sell them shop 7"  # plain text, paragraphs apart
    assert maker.feed_url == "https://mock.local/@maker7.rss"
    assert store.follow_import_by_id(result.import_id).state == "fetched"


def test_mastodon_mock_accounts_are_added_to_feeds_yml_without_labels(mock_instance, store, tmp_path):
    result = import_follows(store, MASTODON, "@ada@mock.local", server=mock_instance.base_url)
    path = follow_list_file(tmp_path)
    outcome = add_candidates(path, result.candidates[:3], find_site_feeds=False)
    assert len(outcome.added) == 3
    loaded = load_follow_list(path)
    assert [source.name for source in loaded.sources][2:] == [candidate.name for candidate in result.candidates[:3]]
    assert all(not source.identity_labels and source.identity_source is None for source in loaded.sources)
    assert path.read_text().startswith(FOLLOW_LIST)  # the user's comments and order first, unchanged


# -- a loopback Mastodon of our own --------------------------------------------------------------------------------


def test_link_paging_profile_fields_and_a_verified_website(server, store):
    accounts = [mastodon_account(server, f"p{n}", display_name=f"Person {n}") for n in range(5)]
    accounts[1]["fields"] = [
        {"name": "Pronouns", "value": "she/her", "verified_at": None},
        {"name": "Shop", "value": '<a href="https://shop.example/" rel="me nofollow">shop.example</a>',
         "verified_at": None},
        {"name": "Site", "value": '<a href="https://p1.example/" rel="me">p1.example</a>',
         "verified_at": "2026-11-01T00:00:00.000+00:00"},
    ]
    accounts[2]["fields"] = [{"name": "Blog", "value": "https://blog.p2.example", "verified_at": None}]
    accounts[3]["acct"] = "p3@elsewhere.example"
    serve_mastodon(server, "ada", accounts, page_size=2)
    result = import_follows(store, MASTODON, "@ada@social.example", server=server.url(""))
    assert [candidate.handle for candidate in result.candidates] == [
        "@p0@social.example", "@p1@social.example", "@p2@social.example", "@p3@elsewhere.example",
        "@p4@social.example"]
    assert len(server.hits("/api/v1/accounts/1/following?limit=80")) == 1
    assert len([seen for seen in server.requests if "max_id" in seen.path]) == 2  # three pages in all
    by_handle = {candidate.handle: candidate for candidate in result.candidates}
    assert (by_handle["@p1@social.example"].website, by_handle["@p1@social.example"].website_verified) == (
        "https://p1.example/", True)
    assert (by_handle["@p2@social.example"].website, by_handle["@p2@social.example"].website_verified) == (
        "https://blog.p2.example", False)
    assert by_handle["@p0@social.example"].website is None
    assert by_handle["@p0@social.example"].feed_url == server.url("/@p0.rss")
    assert all("Authorization" not in seen.headers for seen in server.requests)


def test_a_hidden_list_says_so_and_a_token_opens_it(server, store, monkeypatch):
    accounts = [mastodon_account(server, f"p{n}") for n in range(3)]
    serve_mastodon(server, "ada", accounts, page_size=10, token="own-token")
    with pytest.raises(HiddenFollowList) as hidden:
        import_follows(store, MASTODON, "@ada@social.example", server=server.url(""))
    assert "keeps the list of whom they follow hidden" in str(hidden.value)
    assert "AMPLIFY_MASTODON_TOKEN" in str(hidden.value)
    with pytest.raises(HiddenFollowList) as still_hidden:
        import_follows(store, MASTODON, "@ada@social.example", server=server.url(""), token="someone-else")
    assert "the token given is not theirs" in str(still_hidden.value)

    monkeypatch.setenv("AMPLIFY_MASTODON_TOKEN", "own-token")
    result = import_follows(store, MASTODON, "@ada@social.example", server=server.url(""), restart=True,
                            own_instance=server.url("").split("//", 1)[1])
    assert len(result.candidates) == 3
    assert server.requests[-1].headers["Authorization"] == "Bearer own-token"


def test_a_next_page_on_another_server_is_not_followed(server, store):
    serve_mastodon(server, "ada", [mastodon_account(server, "p0")], page_size=1)
    first = "/api/v1/accounts/1/following?limit=80"
    elsewhere = "https://elsewhere.example/api/v1/accounts/1/following?max_id=9"
    server.routes[first].headers["Link"] = f'<{elsewhere}>; rel="next"'
    with pytest.raises(ImportPaused) as paused:
        import_follows(store, MASTODON, "@ada@social.example", server=server.url(""))
    assert "points its next page at another server" in str(paused.value)


def test_429_is_waited_out_and_the_import_goes_on(server, store):
    serve_mastodon(server, "ada", [mastodon_account(server, f"p{n}") for n in range(4)], page_size=2)
    second = next(path for path in server.routes if "max_id" in path)
    page = server.routes[second]
    answers = iter([(429, {"Retry-After": "7"}), (429, {}), (200, {})])

    def limited(handler):
        status, headers = next(answers)
        body = page.body if status == 200 else b'{"error": "Too many requests"}'
        handler.send_response(status)
        for name, value in {**page.headers, **headers}.items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    server.route(second, handler=limited)
    waits = Waits()
    result = import_follows(store, MASTODON, "@ada@social.example", server=server.url(""), sleep=waits)
    assert len(result.candidates) == 4
    assert waits == [7.0, 10.0]  # as asked, then the doubled default


def test_an_exhausted_rate_limit_waits_for_its_reset(server, store):
    serve_mastodon(server, "ada", [mastodon_account(server, f"p{n}") for n in range(4)], page_size=2)
    first = "/api/v1/accounts/1/following?limit=80"
    server.routes[first].headers.update({"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "2000-01-01T00:00:00Z"})
    waits = Waits()
    assert len(import_follows(store, MASTODON, "@ada@social.example", server=server.url(""),
                              sleep=waits).candidates) == 4
    assert waits == [0.0]  # the reset is past: go on at once


def test_a_long_wait_pauses_the_import_and_a_second_run_resumes_it(server, store):
    serve_mastodon(server, "ada", [mastodon_account(server, f"p{n}") for n in range(6)], page_size=2)
    second = next(path for path in server.routes if "max_id" in path)
    kept = server.routes[second]
    server.route(second, b'{"error": "Too many requests"}', status=429, headers={"Retry-After": "3600"})
    with pytest.raises(ImportPaused) as paused:
        import_follows(store, MASTODON, "@ada@social.example", server=server.url(""), sleep=Waits())
    assert "asks amplify to wait until" in str(paused.value)
    assert "The 2 accounts fetched so far are kept" in str(paused.value)
    stored = store.follow_import(MASTODON, "@ada@social.example", server.url("").rstrip("/"))
    assert (stored.state, stored.fetched) == ("fetching", 2) and "wait until" in stored.note

    server.routes[second] = kept
    first_page_asked = len(server.hits("/api/v1/accounts/1/following?limit=80"))
    result = import_follows(store, MASTODON, "@ada@social.example", server=server.url(""))
    assert result.resumed
    assert [candidate.handle for candidate in result.candidates] == [f"@p{n}@social.example" for n in range(6)]
    assert len(server.hits("/api/v1/accounts/1/following?limit=80")) == first_page_asked  # not asked again
    assert len(server.hits("/api/v1/accounts/lookup?acct=ada")) == 1


def test_unknown_account_and_bad_addresses_are_plain_errors(server, store):
    with pytest.raises(FollowImportError, match="No account @nobody@social.example there"):
        import_follows(store, MASTODON, "@nobody@social.example", server=server.url(""))
    with pytest.raises(FollowImportError, match="give it as @user@instance"):
        import_follows(store, MASTODON, "ada", server=server.url(""))
    with pytest.raises(FollowImportError, match="not a Bluesky handle"):
        import_follows(store, BLUESKY, "not a handle!", server=server.url(""))


# -- small parts -------------------------------------------------------------------------------------------------


def test_link_header_and_wait_times():
    header = ('<https://a.example/x?max_id=5>; rel="next", <https://a.example/x?min_id=9>; rel="prev"')
    assert next_link(header) == "https://a.example/x?max_id=5"
    assert next_link('<https://a.example/x?min_id=9>; rel="prev"') is None
    assert next_link("") is None
    now = 1_800_000_000.0
    assert wait_seconds({"retry-after": "12"}, 5, now=now) == 12
    assert wait_seconds({"x-ratelimit-reset": "2027-01-15T08:00:30.000Z"}, 5, now=1_800_000_000) == 30
    assert wait_seconds({"ratelimit-reset": str(int(now) + 42)}, 5, now=now) == 42
    assert wait_seconds({"ratelimit-reset": "soon"}, 5, now=now) == 5
    assert wait_seconds({}, 5, now=now) == 5


def test_addresses_and_bios():
    assert mastodon_address("@Ada@Bakers.Example") == ("Ada", "bakers.example")
    assert mastodon_address("ada@bakers.example") == ("ada", "bakers.example")
    with pytest.raises(FollowImportError):
        mastodon_address("@ada")
    assert plain_bio('<p>Hi <a href="x">there</a><br>friend</p><script>alert(1)</script>') == "Hi there friend"
    assert len(plain_bio("<p>" + "word " * 500 + "</p>")) <= 500


def test_account_entities_become_candidates():
    masto = mastodon_candidate({"username": "bea", "acct": "bea@other.example", "display_name": "",
                                "url": "https://other.example/users/bea", "avatar": "javascript:alert(1)",
                                "note": "<p>Bea</p>"}, "social.example")
    assert (masto.handle, masto.name, masto.feed_url, masto.avatar_url) == (
        "@bea@other.example", "bea", "https://other.example/@bea.rss", None)
    sky = bluesky_candidate({"did": "did:plc:abc", "handle": "cy.example", "displayName": "Cy",
                             "description": "line one\nline two", "avatar": "https://cdn.example/a.jpg"})
    assert (sky.handle, sky.feed_url, sky.bio, sky.profile_url) == (
        "cy.example", "https://bsky.app/profile/did:plc:abc/rss", "line one line two",
        "https://bsky.app/profile/cy.example")
    assert bluesky_candidate({"did": "did:plc:xyz", "handle": "handle.invalid"}).handle == "handle.invalid"
    assert bluesky_candidate({"handle": "no-did.example"}) is None


# -- adding --------------------------------------------------------------------------------------------------------


def candidate(handle: str, name: str, **values) -> Candidate:
    user, host = handle.lstrip("@").split("@")
    return Candidate(network=MASTODON, handle=handle, name=name, feed_url=f"https://{host}/@{user}.rss",
                     profile_url=f"https://{host}/@{user}", **values)


def test_adding_keeps_comments_marks_the_followed_and_never_writes_labels(server, tmp_path):
    server.route("/", '<html><head><link rel="alternate" type="application/rss+xml" href="/feed.xml"></head></html>',
                 headers={"Content-Type": "text/html"})
    server.route("/feed.xml", '<?xml version="1.0"?><rss version="2.0"><channel><title>Shop</title></channel></rss>',
                 headers={"Content-Type": "application/rss+xml"})
    path = follow_list_file(tmp_path)
    before = path.read_text()
    chosen = [
        candidate("@ada@bakers.example", "Ada's Bakery"),  # followed already, by handle
        candidate("@rosa@poems.example", "Rosa Poems", bio="Black woman poet, she/her"),  # a name already taken
        candidate("@cy@shop.example", "Cy", website=server.url("/"), website_verified=True),
        candidate("@dee@nosite.example", "Dee", website=server.url("/missing")),
    ]
    assert already_followed(chosen, load_follow_list(path)) == {"@ada@bakers.example"}
    outcome = add_candidates(path, chosen)
    assert [candidate.handle for candidate in outcome.already] == ["@ada@bakers.example"]
    assert [source.name for source in outcome.added] == ["Rosa Poems (@rosa@poems.example)", "Cy", "Dee"]
    assert [problem[0].handle for problem in outcome.site_problems] == ["@dee@nosite.example"]
    text = path.read_text()
    assert text.startswith(before)  # the user's file, comments and order, comes first unchanged
    loaded = load_follow_list(path)
    cy = loaded.source("Cy")
    assert cy.feeds == ("https://shop.example/@cy.rss", server.url("/feed.xml"))
    assert cy.url == server.url("/")  # their own site, so its host counts as theirs in the checklist
    assert cy.handles == {"mastodon": "@cy@shop.example"} and cy.credit == "tag"
    assert loaded.source("Dee").feeds == ("https://nosite.example/@dee.rss",)
    assert all(not source.identity_labels for source in loaded.sources[2:])
    assert "identity" not in text[len(before):] and "Black" not in text


def test_a_hostile_display_name_stays_text(tmp_path):
    path = follow_list_file(tmp_path)
    name = '"]: !!python/object {x: 1} # not a comment'
    outcome = add_candidates(path, [candidate("@x@evil.example", name)], find_site_feeds=False)
    assert len(outcome.added) == 1
    assert load_follow_list(path).sources[-1].name == name


def test_imported_feeds_refresh_through_the_normal_path(server, store, tmp_path):
    """A real Mastodon account feed and a Bluesky profile feed written to bsky.app's format, followed by import."""
    did = "did:plc:w4xbfzo7kqfes5zb7r6qv3rw"
    server.route("/@nuclearpasta.rss", (FIXTURES / "feeds" / "mastodon-account.rss").read_bytes(),
                 headers={"Content-Type": "application/rss+xml; charset=utf-8"})
    server.route(f"/profile/{did}/rss", (FIXTURES / "networks" / "bluesky-profile.rss").read_bytes(),
                 headers={"Content-Type": "application/xml; charset=UTF-8"})
    chosen = [
        Candidate(network=MASTODON, handle="@nuclearpasta@mastodon.art", name="Nuclear Pasta",
                  feed_url=server.url("/@nuclearpasta.rss"), profile_url="https://mastodon.art/@nuclearpasta"),
        Candidate(network=BLUESKY, handle="adasbakery.example", name="Ada's Bakery Bluesky",
                  feed_url=server.url(f"/profile/{did}/rss"), profile_url="https://bsky.app/profile/adasbakery.example"),
    ]
    path = tmp_path / "feeds.yml"
    path.write_text("sources: []\n")  # only sources on this machine: a refresh asks every host listed
    add_candidates(path, chosen, find_site_feeds=False)
    report = refresh(store, load_follow_list(path))
    assert (report.feeds, report.failed, report.new_items) == (2, 0, 23)
    counts = {row["name"]: row["n"] for row in store.rows(
        "SELECT s.name, COUNT(i.id) AS n FROM sources s JOIN items i ON i.source_id = s.id GROUP BY s.name")}
    assert counts == {"Nuclear Pasta": 20, "Ada's Bakery Bluesky": 3}
    sky = store.rows("SELECT i.* FROM items i JOIN sources s ON s.id = i.source_id "
                     "WHERE s.name = 'Ada''s Bakery Bluesky' ORDER BY i.sort_at DESC")
    assert [item["sort_at"] for item in sky] == [
        "2026-11-19T16:04:00+00:00", "2026-11-17T09:30:00+00:00", "2026-11-14T07:12:00+00:00"]
    assert sky[0]["title_is_derived"] == 1 and sky[0]["title"].startswith("Rye & caraway is back")
    assert sky[0]["url"] == "https://bsky.app/profile/adasbakery.example/post/3lbx2k7quaj2s"
    assert store.scalar("SELECT COUNT(*) FROM items WHERE title_is_derived = 1") == 23


def test_a_next_link_that_comes_round_again_ends_the_list(server, store):
    serve_mastodon(server, "ada", [mastodon_account(server, f"p{n}") for n in range(4)], page_size=2)
    first = "/api/v1/accounts/1/following?limit=80"
    second = next(path for path in server.routes if "max_id" in path)
    server.routes[second].headers["Link"] = f'<{server.url(first)}>; rel="next"'  # back to the start
    result = import_follows(store, MASTODON, "@ada@social.example", server=server.url(""))
    assert [candidate.handle for candidate in result.candidates] == [f"@p{n}@social.example" for n in range(4)]
    assert len(server.hits(first)) == 2 and store.follow_import_by_id(result.import_id).state == "fetched"


def test_an_answer_nested_too_deep_is_a_plain_error(server, store):
    # Valid JSON, 100,000 arrays deep: Python's decoder gives up with a RecursionError, not a ValueError.
    server.route("/api/v1/accounts/lookup?acct=ada", "[" * 100_000 + "]" * 100_000,
                 headers={"Content-Type": "application/json"})
    with pytest.raises(FollowImportError, match="did not answer with JSON"):
        import_follows(store, MASTODON, "@ada@social.example", server=server.url(""))


def test_no_more_than_max_accounts_are_kept_however_the_pages_come(server, store, monkeypatch):
    monkeypatch.setattr("amplify.follows.importing.MAX_ACCOUNTS", 5)  # 50,000 in use; five here, the rule is the same
    serve_mastodon(server, "ada", [mastodon_account(server, f"p{n}") for n in range(12)], page_size=4)
    result = import_follows(store, MASTODON, "@ada@social.example", server=server.url(""))
    assert [candidate.handle for candidate in result.candidates] == [f"@p{n}@social.example" for n in range(5)]
    assert store.follow_import_by_id(result.import_id).state == "fetched"
    assert len([path for path in server.routes if "max_id" in path and server.hits(path)]) == 1  # no third page


def test_an_account_carries_no_control_characters_to_a_terminal():
    # ESC [ 2 J clears the terminal that prints the list; U+009B is the same introducer in one character.
    masto = mastodon_candidate({"username": "mal\x1b[2Jlory", "acct": "mal\x1b[2Jlory", "display_name": "M",
                                "fields": [{"name": "Site", "value": "https://m.example/\x9b2J"}]},
                               "social.example")
    assert "\x1b" not in masto.handle and masto.website is None
    assert bluesky_candidate({"did": "did:plc:abc\x1b[2J", "handle": "not a handle"}) is None
    assert bluesky_candidate({"did": "did:plc:abc", "handle": "cy.example",
                              "website": "https://cy.example/\x9b2J"}).website is None


def test_the_token_goes_only_to_the_users_own_instance(server, store, monkeypatch):
    # A token opens the account it belongs to: importing someone's list on another server must not hand it over.
    serve_mastodon(server, "mallory", [mastodon_account(server, "p0")], page_size=10, token="own-token")
    monkeypatch.setenv("AMPLIFY_MASTODON_TOKEN", "own-token")
    with pytest.raises(HiddenFollowList) as hidden:
        import_follows(store, MASTODON, "@mallory@evil.example", server=server.url(""),
                       own_instance="mastodon.social")
    assert all("Authorization" not in request.headers for request in server.requests)
    assert "only to your own instance, mastodon.social" in str(hidden.value)
    own = server.url("").split("//", 1)[1]  # 127.0.0.1:PORT: this server is the user's own instance
    result = import_follows(store, MASTODON, "@mallory@evil.example", server=server.url(""), own_instance=own,
                            restart=True)
    assert len(result.candidates) == 1
    assert server.requests[-1].headers["Authorization"] == "Bearer own-token"


def test_a_following_count_that_is_no_count_is_not_believed(server, store):
    serve_mastodon(server, "ada", [mastodon_account(server, "p0")], page_size=10)
    for count in (-3, True, "12"):  # a negative count would draw the page's progress bar below zero
        server.route("/api/v1/accounts/lookup?acct=ada", json.dumps({"id": "1", "following_count": count}),
                     headers={"Content-Type": "application/json"})
        seen = Waits()  # records each call's expected count
        result = import_follows(store, MASTODON, "@ada@social.example", server=server.url(""), restart=True,
                                progress=lambda fetched, expected, seen=seen: seen(expected))
        assert seen == [None, None] and store.follow_import_by_id(result.import_id).expected is None


def test_a_token_given_for_an_import_never_goes_over_plain_http_to_the_internet(store):
    with pytest.raises(FollowImportError, match="only over https"):
        import_follows(store, "mastodon", "@ada@bakers.example", server="http://bakers.example", token="a-token")


def connect_on(store, server_url: str, token: str) -> None:
    store.save_account(Account(network=MASTODON, server=server_url, handle="@ada@social.example", did=None,
                               account_id="1", display_name="Ada", connected_at=store.now()))
    set_secret("mastodon.token", token)


def test_the_connected_accounts_token_opens_its_own_hidden_list_on_the_own_instance_only(server, store):
    accounts = [mastodon_account(server, f"p{n}") for n in range(3)]
    serve_mastodon(server, "ada", accounts, page_size=10, token="own-token")
    own = server.url("").split("//", 1)[1].rstrip("/")
    connect_on(store, server.url("").rstrip("/"), "own-token")
    with pytest.raises(HiddenFollowList):  # not the own instance: the token stays home
        import_follows(store, MASTODON, "@ada@social.example", server=server.url(""), own_instance="else.example")
    assert all("Authorization" not in seen.headers for seen in server.requests)
    result = import_follows(store, MASTODON, "@ada@social.example", server=server.url(""), restart=True,
                            own_instance=own)
    assert len(result.candidates) == 3
    assert {seen.headers.get("Authorization") for seen in server.requests} == {None, "Bearer own-token"}
