"""Reach on an instance that keeps its numbers from logged-out readers: the account connected with
`amplify account add mastodon` opens them, on its own server only."""

from urllib.parse import urlsplit

from reach_servers import Instance
from support import Waits
from test_reach_run import latest, shared

from amplify.follows import own_token
from amplify.reach import PRIVATE_NUMBERS
from amplify.reach_run import check_reach
from amplify.secrets import set_secret
from amplify.types import Account

TOKEN = Instance.token  # the one token the stand-in instance lets through


def connect(store, server_url: str) -> None:
    """A Mastodon account on `server_url`, connected as `amplify account add mastodon` leaves it."""
    store.save_account(Account(network="mastodon", server=server_url, handle="@me@there", did=None, account_id="1",
                            display_name="Me", connected_at=store.now()))
    set_secret("mastodon.token", TOKEN)


def test_the_connected_account_opens_its_own_instance(server, store):
    instance = Instance(private=True)
    instance.add(server, "101", likes=9)
    instance.mount(server)
    share_id = shared(store, "mastodon", server.url("/@ada/101"))
    connect(store, server.url("").rstrip("/"))
    run = check_reach(store, sleep=Waits())
    assert run.taken == 1 and latest(store, share_id).likes == 9
    assert server.requests[-1].headers.get("Authorization") == f"Bearer {TOKEN}"


def test_the_connected_account_is_never_sent_to_another_instance(server, store):
    instance = Instance(private=True)
    instance.add(server, "101", likes=9)
    instance.mount(server)
    shared(store, "mastodon", server.url("/@ada/101"))
    connect(store, "https://elsewhere.example")
    run = check_reach(store, sleep=Waits(), own_instance=urlsplit(server.url("")).netloc)
    assert run.taken == 0 and run.problems[0].reason == PRIVATE_NUMBERS
    assert all("Authorization" not in seen.headers for seen in server.requests)


def test_the_token_never_goes_over_plain_http_to_the_accounts_host_and_port(server, store):
    # A share link pasted as http://myinstance/@me/123: the same host and port as the account's https server, but
    # whoever answers 401 on plain http must not get the token.
    instance = Instance(private=True)
    instance.add(server, "101", likes=9)
    instance.mount(server)
    shared(store, "mastodon", server.url("/@ada/101"))
    connect(store, server.url("").rstrip("/").replace("http://", "https://"))
    run = check_reach(store, sleep=Waits())
    assert run.taken == 0 and run.problems[0].reason == PRIVATE_NUMBERS
    assert server.requests and all("Authorization" not in seen.headers for seen in server.requests)


def test_the_environment_token_goes_to_the_own_instance_over_https_only(monkeypatch):
    monkeypatch.setenv("AMPLIFY_MASTODON_TOKEN", "own-token")
    assert own_token("https://bakers.social", "bakers.social") == "own-token"
    assert own_token("http://bakers.social", "bakers.social") is None
    assert own_token("https://bakers.social:8443", "bakers.social") is None
    assert own_token("https://elsewhere.example", "bakers.social") is None
