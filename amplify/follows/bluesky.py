"""Bluesky: naming an account (a handle or a DID), the profile that starts an import, the AppView's
`app.bsky.graph.getFollows` pages by their cursor, and a profile as a candidate (its feed addressed by DID)."""

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from amplify.fetch import FetchError, HTTPStatusError, JSONResponse
from amplify.follows.model import BLUESKY, Candidate, FollowImportError, ImportPaused, plain_bio, stated_count, web_link
from amplify.follows.pager import Pager, fetch_reason
from amplify.names import one_line
from amplify.networks import normalize_handle
from amplify.store import Store
from amplify.urls import is_http_url

PUBLIC_APPVIEW = "https://public.api.bsky.app"
BLUESKY_WEB = "https://bsky.app"
BLUESKY_PAGE_SIZE = 100  # the most getFollows gives
_DID = re.compile(r"did:[a-z]+:[A-Za-z0-9._:%-]+")


def bluesky_actor(text: str) -> str:
    """A Bluesky handle (a leading @ dropped) or a DID; FollowImportError otherwise."""
    actor = text.strip().removeprefix("@")
    if actor.startswith("did:") and _DID.fullmatch(actor):
        return actor
    handle = normalize_handle("bluesky", actor)
    if handle is None:
        raise FollowImportError(f"{text.strip()!r} is not a Bluesky handle: give it like ada.bsky.social")
    return handle


def bluesky_start(store: Store, pager: "Pager", key: str, base: str) -> int:
    try:
        profile = pager.get(f"{base}/xrpc/app.bsky.actor.getProfile?actor={quote(key)}").data
    except HTTPStatusError as error:
        if error.status == 400:
            raise FollowImportError(f"No Bluesky account {key} was found at {base}.") from error
        raise FollowImportError(fetch_reason(error, key, False)) from error
    except FetchError as error:
        raise FollowImportError(fetch_reason(error, key, False)) from error
    except ImportPaused as paused:
        raise FollowImportError(str(paused)) from paused
    if not isinstance(profile, dict) or not str(profile.get("did", "")).startswith("did:"):
        raise FollowImportError(f"{base} did not describe the account {key}; is it a Bluesky AppView?")
    expected = profile.get("followsCount")
    # The list is asked for by DID (handles change); "" is the first page's cursor.
    return store.start_follow_import(BLUESKY, key, base, account_id=profile["did"], expected=stated_count(expected),
                                     first_page="")


def bluesky_follows_url(base: str, did: str, cursor: str) -> str:
    url = f"{base}/xrpc/app.bsky.graph.getFollows?actor={quote(did)}&limit={BLUESKY_PAGE_SIZE}"
    return f"{url}&cursor={quote(cursor)}" if cursor else url


def bluesky_page(answer: JSONResponse) -> tuple[list[Candidate], str | None]:
    data = answer.data if isinstance(answer.data, dict) else {}
    follows = data.get("follows")
    if not isinstance(follows, list):
        raise FetchError(answer.url, "did not answer with a list of follows")
    accounts = [candidate for profile in follows if isinstance(profile, dict)
                for candidate in [bluesky_candidate(profile)] if candidate is not None]
    cursor = data.get("cursor")
    return accounts, cursor if isinstance(cursor, str) and cursor else None


def bluesky_candidate(profile: Mapping[str, Any]) -> Candidate | None:
    """An app.bsky.actor.defs#profileView as a candidate; its feed is addressed by DID (handles change)."""
    did = str(profile.get("did") or "")
    if not _DID.fullmatch(did):
        return None
    handle = normalize_handle(BLUESKY, str(profile.get("handle") or "")) or did
    avatar = str(profile.get("avatar") or "")
    website = str(profile.get("website") or "")
    return Candidate(
        network=BLUESKY, handle=handle, name=one_line(str(profile.get("displayName") or "")) or handle,
        feed_url=f"{BLUESKY_WEB}/profile/{did}/rss", bio=plain_bio(str(profile.get("description") or "")),
        avatar_url=avatar if is_http_url(avatar) else None, profile_url=f"{BLUESKY_WEB}/profile/{handle}",
        website=website if web_link(website) else None,
    )
