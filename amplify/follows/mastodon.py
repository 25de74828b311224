"""Mastodon: naming an account (@user@instance), the token only the user's own instance gets, the lookup that starts
an import, the pages of `accounts/:id/following` by their `Link` header, and an account as a candidate."""

import re
from collections.abc import Mapping
from html import unescape
from typing import Any
from urllib.parse import quote, urlsplit

import nh3

from amplify.accounts import environment_token
from amplify.fetch import FetchError, JSONResponse
from amplify.follows.model import (
    MASTODON,
    TOKEN_VARIABLE,
    Candidate,
    FollowImportError,
    ImportPaused,
    plain_bio,
    stated_count,
    web_link,
)
from amplify.follows.pager import Pager, fetch_reason
from amplify.names import one_line
from amplify.networks import normalize_handle
from amplify.store import Store
from amplify.urls import is_http_url

MASTODON_PAGE_SIZE = 80  # the most Mastodon gives in one page of /following
_MASTODON_ADDRESS = re.compile(r"^@?([A-Za-z0-9_]+(?:[.-][A-Za-z0-9_]+)*)@([A-Za-z0-9.-]+)$")
_LINK = re.compile(r"<([^>]*)>([^<]*)")
_HREF = re.compile(r"""href\s*=\s*["']([^"']+)["']""", re.IGNORECASE)


def mastodon_address(text: str) -> tuple[str, str]:
    """("user", "instance") from "@user@instance"; FollowImportError when it is not that shape."""
    found = _MASTODON_ADDRESS.match(text.strip())
    if not found or "." not in found.group(2):
        raise FollowImportError(f"{text.strip()!r} is not a Mastodon address: give it as @user@instance, like "
                                "@ada@mastodon.social")
    return found.group(1), found.group(2).lower()


def own_token(base: str, own_instance: str | None) -> str | None:
    """AMPLIFY_MASTODON_TOKEN when `base` is the user's own instance (https://`own_instance`: the same scheme, host
    and port), else None: a token opens the account it belongs to, so it never goes to the server of someone whose
    list is imported, nor over plain http."""
    return environment_token(base, own_instance)


def hidden_message(key: str, with_token: bool) -> str:
    if with_token:
        return (f"{key} keeps the list of whom they follow hidden, and the token given is not theirs, so it stays "
                "hidden. Nothing was imported.")
    return (f"{key} keeps the list of whom they follow hidden. If it is your own account, set {TOKEN_VARIABLE} to "
            "an access token of it (Preferences > Development > New application, read only), and mastodon_instance "
            "in feeds.yml's settings to its server, and run the import again. Nothing was imported.")


def mastodon_start(store: Store, pager: "Pager", key: str, base: str) -> int:
    try:
        # The bare username: the instance asked is the account's own, where that names it exactly.
        account = pager.get(f"{base}/api/v1/accounts/lookup?acct={quote(key.split('@')[1])}").data
    except FetchError as error:
        raise FollowImportError(fetch_reason(error, key, "Authorization" in pager.headers) + pager.withheld) \
            from error
    except ImportPaused as paused:
        raise FollowImportError(str(paused)) from paused
    if not isinstance(account, dict) or not account.get("id"):
        raise FollowImportError(f"{base} did not describe the account {key}; is it a Mastodon server?")
    account_id = str(account["id"])
    expected = account.get("following_count")
    first = f"{base}/api/v1/accounts/{quote(account_id)}/following?limit={MASTODON_PAGE_SIZE}"
    return store.start_follow_import(MASTODON, key, base, account_id=account_id, expected=stated_count(expected),
                                     first_page=first)


def mastodon_page(answer: JSONResponse, key: str, base: str) -> tuple[list[Candidate], str | None]:
    if not isinstance(answer.data, list):
        raise FetchError(answer.url, "did not answer with a list of accounts")
    instance = key.rsplit("@", 1)[1]
    accounts = [candidate for account in answer.data if isinstance(account, dict)
                for candidate in [mastodon_candidate(account, instance)] if candidate is not None]
    next_page = next_link(answer.headers.get("link", ""))
    if next_page is not None and _origin(next_page) != _origin(base):
        raise FetchError(answer.url, f"points its next page at another server ({_origin(next_page)}); amplify "
                                     "stopped there")
    return accounts, next_page


def next_link(header: str) -> str | None:
    """The `rel="next"` address of an HTTP Link header, or None."""
    for address, parameters in _LINK.findall(header):
        relations = re.search(r"""rel\s*=\s*"?([^";,]*)"?""", parameters)
        if relations and "next" in relations.group(1).lower().split():
            return address.strip()
    return None


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    return parts.scheme.lower(), (parts.hostname or "").lower(), parts.port


def mastodon_candidate(account: Mapping[str, Any], instance: str) -> Candidate | None:
    """A Mastodon Account entity as a candidate; `instance` is the server of a local account (acct without @)."""
    username = str(account.get("username") or "")
    acct = str(account.get("acct") or username)
    domain = acct.split("@", 1)[1].lower() if "@" in acct else instance
    if not username:
        return None
    # A handle Mastodon would not write is kept for display, without control characters (it is printed as is).
    handle = normalize_handle(MASTODON, f"@{username}@{domain}") or one_line(f"@{username}@{domain}")
    profile = str(account.get("url") or "")
    if is_http_url(profile) and urlsplit(profile).path.rstrip("/") == f"/@{username}":
        feed = profile.rstrip("/") + ".rss"
    else:
        feed = f"https://{domain}/@{username}.rss"
        profile = f"https://{domain}/@{username}"
    website, verified = _mastodon_website(account.get("fields"))
    avatar = str(account.get("avatar") or "")
    return Candidate(
        network=MASTODON, handle=handle, name=one_line(str(account.get("display_name") or "")) or username,
        feed_url=feed, bio=plain_bio(account.get("note")), avatar_url=avatar if is_http_url(avatar) else None,
        profile_url=profile, website=website, website_verified=verified,
    )


def _mastodon_website(fields: Any) -> tuple[str | None, bool]:
    """The link of a profile field Mastodon verified (rel=me), else the first link in the fields."""
    links: list[tuple[str, bool]] = []
    for field in fields if isinstance(fields, list) else []:
        if not isinstance(field, dict):
            continue
        value = str(field.get("value") or "")
        found = _HREF.search(value)
        link = unescape(found.group(1)) if found else unescape(nh3.clean(value, tags=set())).strip()
        if web_link(link):
            links.append((link, bool(field.get("verified_at"))))
    verified = [link for link, checked in links if checked]
    if verified:
        return verified[0], True
    return (links[0][0], False) if links else (None, False)
