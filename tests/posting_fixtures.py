"""Drafts ready to post, and posters for mastodon-mock (import as `from posting_fixtures import ...`)."""

import httpx
from test_gate import GOOD_TEXT, ITEM_URL, attest_all, make_draft, probe_ok

from amplify.fetch import FetchLimits
from amplify.mastodon_post import MastodonPoster

LIMITS = FetchLimits(allow_private_addresses=True)
BLUESKY_TEXT = f"@ada.example: Three-day sourdough\n{ITEM_URL}\n\n#Bread"


def ready_draft(store, network: str = "mastodon", text: str | None = None, **draft) -> int:
    """A draft whose `network` post passes every check and has every attestation (the link's probe stored)."""
    draft_id = make_draft(store, networks=(network,), **draft)
    store.save_post_text(draft_id, network, text or (GOOD_TEXT if network == "mastodon" else BLUESKY_TEXT))
    probe_ok(store, draft.get("item_url", ITEM_URL))
    attest_all(store, draft_id, network)
    return draft_id


def mastodon_poster(base_url: str, token: str = "ada_token", **options) -> MastodonPoster:
    return MastodonPoster(base_url, lambda: {"Authorization": f"Bearer {token}"}, account="@ada@mock.local",
                          limits=LIMITS, **options)


def mastodon_statuses(base_url: str, token: str = "ada_token") -> list[dict]:
    """The account's statuses as the server has them, newest first."""
    headers = {"Authorization": f"Bearer {token}"}
    me = httpx.get(f"{base_url}/api/v1/accounts/verify_credentials", headers=headers).json()
    return httpx.get(f"{base_url}/api/v1/accounts/{me['id']}/statuses", headers=headers).json()
