"""Fetching a follow list page by page into the store, so an import stopped halfway goes on from there."""

import time
from collections.abc import Callable
from typing import NoReturn

from amplify import accounts as connected_accounts
from amplify.accounts import MASTODON_TOKEN, same_server
from amplify.fetch import DEFAULT_LIMITS, FetchError, FetchLimits, open_client
from amplify.follows.bluesky import PUBLIC_APPVIEW, bluesky_actor, bluesky_follows_url, bluesky_page, bluesky_start
from amplify.follows.mastodon import hidden_message, mastodon_address, mastodon_page, mastodon_start, own_token
from amplify.follows.model import (
    BLUESKY,
    MASTODON,
    TOKEN_VARIABLE,
    Candidate,
    FollowImportError,
    HiddenFollowList,
    ImportPaused,
    ImportResult,
    Progress,
)
from amplify.follows.pager import MAX_WAIT_SECONDS, Pager, fetch_reason
from amplify.networks import FOLLOW_LIST_IMPORTS
from amplify.secrets import environment_secret
from amplify.store import Store
from amplify.types import FollowImport
from amplify.urls import is_http_url

# No follow list is longer (Mastodon stops at 7,500 by default): a server that pages on past this is not believed.
MAX_ACCOUNTS = 50_000


def list_key(network: str, account: str, server: str | None = None) -> tuple[str, str]:
    """The account in its one written form, and the API server asked (no trailing slash)."""
    if network == MASTODON:
        user, instance = mastodon_address(account)
        key, default = f"@{user}@{instance}", f"https://{instance}"
    elif network == BLUESKY:
        key, default = bluesky_actor(account), PUBLIC_APPVIEW
    else:
        raise FollowImportError(f"amplify imports follow lists from {' and '.join(FOLLOW_LIST_IMPORTS)}, not {network}")
    base = (server or default).strip().rstrip("/")
    if not is_http_url(base):
        raise FollowImportError(f"{base!r} is not a server address: give it as https://host")
    return key, base


def import_follows(store: Store, network: str, account: str, *, server: str | None = None,
                   token: str | None = None, own_instance: str | None = None, progress: Progress | None = None,
                   sleep: Callable[[float], None] = time.sleep, limits: FetchLimits = DEFAULT_LIMITS,
                   max_wait: float = MAX_WAIT_SECONDS, restart: bool = False) -> ImportResult:
    """Fetch whom `account` follows on `network` (server: the instance, or the Bluesky AppView, unless given).

    An unfinished import of the same list goes on where it stopped (`restart` begins again). `token` (Mastodon
    only) is sent for a list its owner keeps hidden; without one, the AMPLIFY_MASTODON_TOKEN variable is, when the
    server asked is `own_instance` (host, or host:port; feeds.yml's `mastodon_instance`). Without either, a list
    found hidden there is asked for again with the token of the account connected on that server (its own list
    is open to it). Raises FollowImportError; ImportPaused when it stopped partway (run it again to go on)."""
    key, base = list_key(network, account, server)
    withheld = ""
    if network == MASTODON and token is None:
        token = own_token(base, own_instance)
        if token is None and environment_secret(MASTODON_TOKEN):
            withheld = (f" {TOKEN_VARIABLE} is set, but amplify sends it only to your own instance, "
                        f"{own_instance or '(not named)'}: mastodon_instance in feeds.yml's settings.")
    if token and network == MASTODON and not same_server(base, base):
        raise FollowImportError(f"amplify sends a token only over https, and {base} is not: give it as https://")
    headers = {"Authorization": f"Bearer {token}"} if token and network == MASTODON else {}
    hidden_opener = _connected_headers(store, base, own_instance) if network == MASTODON and not token else {}
    with open_client(limits, connections=1) as client:
        pager = Pager(client, headers, limits, sleep, max_wait, withheld)
        existing = store.follow_import(network, key, base)
        resumed = existing is not None and existing.state == "fetching" and not restart
        if resumed:
            import_id = existing.id
        else:
            start = mastodon_start if network == MASTODON else bluesky_start
            import_id = start(store, pager, key, base)
        _fetch_pages(store, pager, import_id, network, key, bool(token), progress, hidden_opener)
    candidates = tuple(Candidate.from_account(network, account_row)
                       for account_row in store.follow_import_accounts(import_id))
    return ImportResult(import_id, network, key, base, candidates, resumed)


def _connected_headers(store: Store, base: str, own_instance: str | None) -> dict[str, str]:
    """The Authorization header of the Mastodon account connected on `base` when `base` is the user's own
    instance (`own_instance`); else none."""
    account = connected_accounts.connected(store, MASTODON)
    if account is None or not own_instance or not connected_accounts.is_own_instance(base, own_instance) \
            or not same_server(base, account.server):
        return {}
    try:
        return connected_accounts.mastodon_headers(account, own_instance=own_instance)
    except connected_accounts.AccountError:
        return {}


def _fetch_pages(store: Store, pager: "Pager", import_id: int, network: str, key: str, with_token: bool,
                 progress: Progress | None, hidden_opener: dict[str, str]) -> None:
    row = store.follow_import_by_id(import_id)
    expected = row.expected if row else None
    if progress:
        progress(row.fetched if row else 0, expected)
    # An import another tab started afresh meanwhile has a new id: this one then stops here.
    while row is not None and row.next_page is not None:
        page = row.next_page
        try:
            if network == MASTODON:
                answer = pager.get(page)
                accounts, next_page = mastodon_page(answer, key, row.server)
            else:
                answer = pager.get(bluesky_follows_url(row.server, row.account_id, page))
                accounts, next_page = bluesky_page(answer)
        except FetchError as error:
            _stopped(store, import_id, fetch_reason(error, key, with_token) + pager.withheld, row)
        except ImportPaused as paused:
            _stopped(store, import_id, str(paused), row)
        if network == MASTODON and not accounts and not row.fetched and expected:
            if hidden_opener and not with_token:  # ask again as the connected account
                pager.headers, with_token = hidden_opener, True
                continue
            store.note_follow_import(import_id, "hidden")
            raise HiddenFollowList(hidden_message(key, with_token) + pager.withheld)
        before = row.fetched
        accounts = accounts[:max(MAX_ACCOUNTS - before, 0)]  # one long page cannot take the list past the most
        # The end: no next page, an empty page, or a page pointing at itself.
        last = next_page is None or not accounts or next_page == page or before + len(accounts) >= MAX_ACCOUNTS
        fetched = store.save_follow_page(import_id, [candidate.row() for candidate in accounts],
                                         None if last else next_page)
        if fetched == before and not last:
            fetched = store.save_follow_page(import_id, [], None)  # a page of no one new: the list came round
        if progress:
            progress(fetched, expected)
        row = store.follow_import_by_id(import_id)


def _stopped(store: Store, import_id: int, reason: str, row: FollowImport) -> NoReturn:
    store.note_follow_import(import_id, reason)
    fetched = row.fetched
    kept = f" The {fetched} accounts fetched so far are kept; run the import again to go on." if fetched else \
        " Run the import again to try once more."
    raise ImportPaused(reason + kept)
