"""What the account tests share: a mastodon-mock server with Ada's account, and Bluesky app passwords made as
Bluesky's settings page makes them."""

import httpx
from mastodon_mock.config import SeedAccount, SeedConfig
from mastodon_mock.testing.server import MockServer

ADA_TOKEN = "ada-secret-token-0001"


def ada_on_mastodon() -> MockServer:
    """A Mastodon server (mastodon-mock) on 127.0.0.1 where Ada has an account and the token ADA_TOKEN; use it with
    `with`."""
    return MockServer(seed=SeedConfig(accounts=[SeedAccount(username="ada", display_name="Ada Bakes",
                                                            access_token=ADA_TOKEN)]))


def app_password(bluesky, person) -> str:
    """An app password for `person` on the test network's PDS."""
    answer = httpx.post(f"{bluesky.pds}/xrpc/com.atproto.server.createAppPassword", json={"name": "amplify"},
                        headers={"Authorization": f"Bearer {person.access_jwt}"}, timeout=30)
    answer.raise_for_status()
    return answer.json()["password"]
