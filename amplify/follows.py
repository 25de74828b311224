"""Starting from whom you already follow: a Mastodon or Bluesky follow list, imported as candidate sources.

`import_follows` pages through the list (Mastodon: `accounts/lookup`, then `accounts/:id/following` by its `Link`
header; Bluesky: the AppView's `app.bsky.graph.getFollows` by its cursor), all through `amplify.fetch` with
refresh's limits, honouring the servers' rate-limit headers. Every page lands in the store with the address of
the next one, so an import stopped halfway (a rate limit, a lost connection, a closed laptop) goes on from there
when it is run again.

Each account becomes a `Candidate`: display name, handle, bio as plain text, avatar, its public feed (Mastodon
`https://INSTANCE/@USER.rss`, Bluesky `https://bsky.app/profile/DID/rss`) and the website in its profile (a link
Mastodon shows as verified first). `add_candidates` writes the ones the user chose to feeds.yml through the
round-trip writer: the handle under `handles:`, the website as their homepage (so its host counts as their own
site) with its feed, found by discovery, as a second feed, credit left at the follow list's default. Identity
labels are never written: a label is only what a source says of itself, and a bio is not a statement amplify
reads labels from.
"""

import os
import re
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from html import unescape
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import quote, urlsplit

import nh3

from amplify.errors import AmplifyError
from amplify.fetch import (
    DEFAULT_LIMITS,
    Client,
    FetchError,
    FetchLimits,
    HTTPStatusError,
    JSONResponse,
    fetch_json,
    open_client,
)
from amplify.follow.edit import add_sources
from amplify.follow.errors import SourceEditError
from amplify.follow.load import load_follow_list
from amplify.names import one_line
from amplify.networks import FOLLOW_LIST_IMPORTS, normalize_handle
from amplify.store import Store
from amplify.types import FollowedAccount, FollowImport, FollowList, Settings, Source
from amplify.urls import is_http_url

MASTODON, BLUESKY = FOLLOW_LIST_IMPORTS
PUBLIC_APPVIEW = "https://public.api.bsky.app"
BLUESKY_WEB = "https://bsky.app"
# A token of the user's own Mastodon account, for a follow list they keep hidden. Never stored by amplify, and sent
# only to their own instance (feeds.yml's `mastodon_instance`).
TOKEN_VARIABLE = "AMPLIFY_MASTODON_TOKEN"
MASTODON_PAGE_SIZE = 80  # the most Mastodon gives in one page of /following
BLUESKY_PAGE_SIZE = 100  # the most getFollows gives
BIO_LIMIT = 500
# A rate limit is waited out when the server asks for at most this long; past it the import stops and can be
# resumed later. A 429 is retried at most MAX_RETRIES times in a row.
MAX_WAIT_SECONDS = 300.0
MAX_RETRIES = 3
RETRY_SECONDS = 5.0  # a 429 that does not say how long to wait
SITE_WORKERS = 8
# No follow list is longer (Mastodon stops at 7,500 by default): a server that pages on past this is not believed.
MAX_ACCOUNTS = 50_000

_MASTODON_ADDRESS = re.compile(r"^@?([A-Za-z0-9_]+(?:[.-][A-Za-z0-9_]+)*)@([A-Za-z0-9.-]+)$")
_LINK = re.compile(r"<([^>]*)>([^<]*)")
_HREF = re.compile(r"""href\s*=\s*["']([^"']+)["']""", re.IGNORECASE)
_BREAKS = re.compile(r"<br\s*/?>|</p>", re.IGNORECASE)
_DID = re.compile(r"did:[a-z]+:[A-Za-z0-9._:%-]+")


class FollowImportError(AmplifyError):
    """The follow list could not be imported (or not all of it); the message says why and what to do."""


class HiddenFollowList(FollowImportError):
    """The account keeps the list of whom it follows hidden."""


class ImportPaused(FollowImportError):
    """The import stopped before the end (the server asked amplify to wait, or a page failed). What was fetched
    is kept: running the same import again goes on from there."""


@dataclass(frozen=True)
class Candidate:
    """One followed account, as a possible source."""

    network: str
    handle: str
    name: str
    feed_url: str
    bio: str = ""
    avatar_url: str | None = None
    profile_url: str | None = None
    website: str | None = None
    website_verified: bool = False

    def row(self) -> dict[str, Any]:
        values = asdict(self)
        del values["network"]
        values["website_verified"] = int(self.website_verified)
        return values

    @classmethod
    def from_account(cls, network: str, account: FollowedAccount) -> "Candidate":
        return cls(network=network, handle=account.handle, name=account.name, feed_url=account.feed_url,
                   bio=account.bio or "", avatar_url=account.avatar_url, profile_url=account.profile_url,
                   website=account.website, website_verified=account.website_verified)


@dataclass(frozen=True)
class ImportResult:
    """A finished fetch: every account the list holds, in the network's order."""

    import_id: int
    network: str
    account: str
    server: str
    candidates: tuple[Candidate, ...]
    resumed: bool


Progress = Callable[[int, int | None], None]


# -- naming the list to import -----------------------------------------------------------------------------


def mastodon_address(text: str) -> tuple[str, str]:
    """("user", "instance") from "@user@instance"; FollowImportError when it is not that shape."""
    found = _MASTODON_ADDRESS.match(text.strip())
    if not found or "." not in found.group(2):
        raise FollowImportError(f"{text.strip()!r} is not a Mastodon address: give it as @user@instance, like "
                                "@ada@mastodon.social")
    return found.group(1), found.group(2).lower()


def bluesky_actor(text: str) -> str:
    """A Bluesky handle (a leading @ dropped) or a DID; FollowImportError otherwise."""
    actor = text.strip().removeprefix("@")
    if actor.startswith("did:") and _DID.fullmatch(actor):
        return actor
    handle = normalize_handle("bluesky", actor)
    if handle is None:
        raise FollowImportError(f"{text.strip()!r} is not a Bluesky handle: give it like ada.bsky.social")
    return handle


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


# -- fetching ------------------------------------------------------------------------------------------------


def import_follows(store: Store, network: str, account: str, *, server: str | None = None,
                   token: str | None = None, own_instance: str | None = None, progress: Progress | None = None,
                   sleep: Callable[[float], None] = time.sleep, limits: FetchLimits = DEFAULT_LIMITS,
                   max_wait: float = MAX_WAIT_SECONDS, restart: bool = False) -> ImportResult:
    """Fetch whom `account` follows on `network` (server: the instance, or the Bluesky AppView, unless given).

    An unfinished import of the same list goes on where it stopped (`restart` begins again). `token` (Mastodon
    only) is sent for a list its owner keeps hidden; without one, the AMPLIFY_MASTODON_TOKEN variable is, when the
    server asked is `own_instance` (host, or host:port; feeds.yml's `mastodon_instance`). Raises
    FollowImportError; ImportPaused when it stopped partway (run it again to go on)."""
    key, base = list_key(network, account, server)
    withheld = ""
    if network == MASTODON and token is None:
        token = own_token(base, own_instance)
        if token is None and os.environ.get(TOKEN_VARIABLE):
            withheld = (f" {TOKEN_VARIABLE} is set, but amplify sends it only to your own instance, "
                        f"{own_instance or '(not named)'}: mastodon_instance in feeds.yml's settings.")
    headers = {"Authorization": f"Bearer {token}"} if token and network == MASTODON else {}
    with open_client(limits, connections=1) as client:
        pager = _Pager(client, headers, limits, sleep, max_wait, withheld)
        existing = store.follow_import(network, key, base)
        resumed = existing is not None and existing.state == "fetching" and not restart
        if resumed:
            import_id = existing.id
        else:
            start = _mastodon_start if network == MASTODON else _bluesky_start
            import_id = start(store, pager, key, base)
        _fetch_pages(store, pager, import_id, network, key, bool(token), progress)
    candidates = tuple(Candidate.from_account(network, account_row)
                       for account_row in store.follow_import_accounts(import_id))
    return ImportResult(import_id, network, key, base, candidates, resumed)


def _fetch_pages(store: Store, pager: "_Pager", import_id: int, network: str, key: str, with_token: bool,
                 progress: Progress | None) -> None:
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
                accounts, next_page = _mastodon_page(answer, key, row.server)
            else:
                answer = pager.get(_bluesky_follows_url(row.server, row.account_id, page))
                accounts, next_page = _bluesky_page(answer)
        except FetchError as error:
            _stopped(store, import_id, _fetch_reason(error, key, with_token) + pager.withheld, row)
        except ImportPaused as paused:
            _stopped(store, import_id, str(paused), row)
        if network == MASTODON and not accounts and not row.fetched and expected:
            store.note_follow_import(import_id, "hidden")
            raise HiddenFollowList(_hidden_message(key, with_token) + pager.withheld)
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


def own_token(base: str, own_instance: str | None) -> str | None:
    """AMPLIFY_MASTODON_TOKEN when `base` is the user's own instance, else None: a token opens the account it
    belongs to, so it never goes to the server of someone whose list is imported."""
    token = os.environ.get(TOKEN_VARIABLE) or None
    if token is None or not own_instance:
        return None
    own, asked = urlsplit(f"//{own_instance.strip().lower()}"), urlsplit(base)
    return token if (asked.hostname, asked.port) == (own.hostname, own.port) else None


def _fetch_reason(error: FetchError, key: str, with_token: bool) -> str:
    if isinstance(error, HTTPStatusError) and error.status in (401, 403):
        if with_token:
            return f"The server refused the token for {key} ({error.reason})."
        return (f"The server of {key} shows follow lists only to signed-in apps. Set {TOKEN_VARIABLE} to an access "
                "token of your account there (Preferences > Development), and mastodon_instance in feeds.yml's "
                "settings to that server, and run the import again.")
    if isinstance(error, HTTPStatusError) and error.status == 404:
        return f"No account {key} there ({error.reason})."
    return f"Could not fetch the follow list: {error}."


def _hidden_message(key: str, with_token: bool) -> str:
    if with_token:
        return (f"{key} keeps the list of whom they follow hidden, and the token given is not theirs, so it stays "
                "hidden. Nothing was imported.")
    return (f"{key} keeps the list of whom they follow hidden. If it is your own account, set {TOKEN_VARIABLE} to "
            "an access token of it (Preferences > Development > New application, read only), and mastodon_instance "
            "in feeds.yml's settings to its server, and run the import again. Nothing was imported.")


def _mastodon_start(store: Store, pager: "_Pager", key: str, base: str) -> int:
    try:
        # The bare username: the instance asked is the account's own, where that names it exactly.
        account = pager.get(f"{base}/api/v1/accounts/lookup?acct={quote(key.split('@')[1])}").data
    except FetchError as error:
        raise FollowImportError(_fetch_reason(error, key, "Authorization" in pager.headers) + pager.withheld) \
            from error
    except ImportPaused as paused:
        raise FollowImportError(str(paused)) from paused
    if not isinstance(account, dict) or not account.get("id"):
        raise FollowImportError(f"{base} did not describe the account {key}; is it a Mastodon server?")
    account_id = str(account["id"])
    expected = account.get("following_count")
    first = f"{base}/api/v1/accounts/{quote(account_id)}/following?limit={MASTODON_PAGE_SIZE}"
    return store.start_follow_import(MASTODON, key, base, account_id=account_id, expected=_count(expected),
                                     first_page=first)


def _bluesky_start(store: Store, pager: "_Pager", key: str, base: str) -> int:
    try:
        profile = pager.get(f"{base}/xrpc/app.bsky.actor.getProfile?actor={quote(key)}").data
    except HTTPStatusError as error:
        if error.status == 400:
            raise FollowImportError(f"No Bluesky account {key} was found at {base}.") from error
        raise FollowImportError(_fetch_reason(error, key, False)) from error
    except FetchError as error:
        raise FollowImportError(_fetch_reason(error, key, False)) from error
    except ImportPaused as paused:
        raise FollowImportError(str(paused)) from paused
    if not isinstance(profile, dict) or not str(profile.get("did", "")).startswith("did:"):
        raise FollowImportError(f"{base} did not describe the account {key}; is it a Bluesky AppView?")
    expected = profile.get("followsCount")
    # The list is asked for by DID (handles change); "" is the first page's cursor.
    return store.start_follow_import(BLUESKY, key, base, account_id=profile["did"], expected=_count(expected),
                                     first_page="")


def _count(value: Any) -> int | None:
    """A count a server states, when it is one (a whole number, not negative, not true or false)."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _bluesky_follows_url(base: str, did: str, cursor: str) -> str:
    url = f"{base}/xrpc/app.bsky.graph.getFollows?actor={quote(did)}&limit={BLUESKY_PAGE_SIZE}"
    return f"{url}&cursor={quote(cursor)}" if cursor else url


def _mastodon_page(answer: JSONResponse, key: str, base: str) -> tuple[list[Candidate], str | None]:
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


def _bluesky_page(answer: JSONResponse) -> tuple[list[Candidate], str | None]:
    data = answer.data if isinstance(answer.data, dict) else {}
    follows = data.get("follows")
    if not isinstance(follows, list):
        raise FetchError(answer.url, "did not answer with a list of follows")
    accounts = [candidate for profile in follows if isinstance(profile, dict)
                for candidate in [bluesky_candidate(profile)] if candidate is not None]
    cursor = data.get("cursor")
    return accounts, cursor if isinstance(cursor, str) and cursor else None


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


# -- one account -----------------------------------------------------------------------------------------------


def plain_bio(html: str | None) -> str:
    """A bio as one paragraph of plain text: tags and control characters gone, at most BIO_LIMIT characters."""
    text = unescape(nh3.clean(_BREAKS.sub(" ", html or ""), tags=set()))
    return one_line(text, BIO_LIMIT)


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
        if _web_link(link):
            links.append((link, bool(field.get("verified_at"))))
    verified = [link for link, checked in links if checked]
    if verified:
        return verified[0], True
    return (links[0][0], False) if links else (None, False)


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
        website=website if _web_link(website) else None,
    )


def _web_link(text: str) -> bool:
    """An http(s) link with no control character at all (C1 ones too: a terminal may act on them)."""
    return is_http_url(text) and one_line(text, len(text)) == text


# -- rate limits -------------------------------------------------------------------------------------------------


class _Pager:
    """GETs one page after another, waiting when the server's rate-limit headers say so."""

    def __init__(self, client: Client, headers: dict[str, str], limits: FetchLimits,
                 sleep: Callable[[float], None], max_wait: float, withheld: str = "") -> None:
        self.client = client
        self.withheld = withheld  # why the user's token was not sent, for the messages
        self.headers = headers
        self.limits = limits
        self.sleep = sleep
        self.max_wait = max_wait

    def get(self, url: str) -> JSONResponse:
        for attempt in range(MAX_RETRIES + 1):
            try:
                answer = fetch_json(self.client, url, headers=self.headers, limits=self.limits)
            except HTTPStatusError as error:
                if error.status != 429:
                    raise
                if attempt == MAX_RETRIES:
                    raise ImportPaused(f"The server kept asking amplify to slow down ({MAX_RETRIES + 1} times in a "
                                       "row).") from error
                self._wait(wait_seconds(error.headers, RETRY_SECONDS * 2 ** attempt))
                continue
            remaining = _header_number(answer.headers, "x-ratelimit-remaining", "ratelimit-remaining")
            if remaining is not None and remaining <= 0:
                self._wait(wait_seconds(answer.headers, RETRY_SECONDS))
            return answer
        raise AssertionError("unreachable")  # the loop returns or raises

    def _wait(self, seconds: float) -> None:
        if seconds > self.max_wait:
            until = datetime.fromtimestamp(time.time() + seconds, UTC).strftime("%H:%M UTC")
            raise ImportPaused(f"The server asks amplify to wait until {until} before the next page.")
        self.sleep(seconds)


def wait_seconds(headers: Mapping[str, str], default: float, *, now: float | None = None) -> float:
    """How long a server's headers ask a client to wait: `Retry-After` (seconds or a date), else the rate-limit
    reset (Mastodon's `X-RateLimit-Reset`, an ISO time; Bluesky's `RateLimit-Reset`, Unix seconds)."""
    now = time.time() if now is None else now
    retry_after = headers.get("retry-after", "").strip()
    if retry_after:
        if retry_after.isdigit():
            return float(retry_after)
        try:
            return max(0.0, parsedate_to_datetime(retry_after).timestamp() - now)
        except (TypeError, ValueError):
            pass
    reset = (headers.get("x-ratelimit-reset") or headers.get("ratelimit-reset") or "").strip()
    if reset:
        try:
            moment = float(reset)
        except ValueError:
            try:
                moment = datetime.fromisoformat(reset.replace("Z", "+00:00")).timestamp()
            except ValueError:
                return default
        return max(0.0, moment - now)
    return default


def _header_number(headers: Mapping[str, str], *names: str) -> int | None:
    for name in names:
        value = headers.get(name, "").strip()
        if value.lstrip("-").isdigit():
            return int(value)
    return None


# -- choosing and adding -------------------------------------------------------------------------------------------


def already_followed(candidates: Iterable[Candidate], follow_list: FollowList) -> set[str]:
    """The handles of the candidates the follow list has already: by handle on that network, or by feed."""
    handles = {(network, handle.casefold()) for source in follow_list.sources
               for network, handle in source.handles.items()}
    feeds = {feed for source in follow_list.sources for feed in source.feeds}
    return {candidate.handle for candidate in candidates
            if (candidate.network, candidate.handle.casefold()) in handles or candidate.feed_url in feeds}


@dataclass(frozen=True)
class AddResult:
    """What `add_candidates` did: sources added, ones refused (with why), ones skipped as already followed, and
    websites whose feed could not be found (each with the reason)."""

    added: list[Source]
    refused: list[tuple[Source, SourceEditError]]
    already: list[Candidate]
    site_problems: list[tuple[Candidate, str]]


def source_for(candidate: Candidate, name: str, site_feed: str | None = None) -> Source:
    """The feeds.yml entry for a candidate: never any identity label."""
    feeds = tuple(dict.fromkeys(feed for feed in (candidate.feed_url, site_feed) if feed))
    handle = normalize_handle(candidate.network, candidate.handle)
    return Source(name=name, feeds=feeds, url=candidate.website or candidate.profile_url,
                  handles={candidate.network: handle} if handle else {})


def add_candidates(feeds_path: str | os.PathLike[str], candidates: Iterable[Candidate], *,
                   find_site_feeds: bool = True, limits: FetchLimits = DEFAULT_LIMITS,
                   progress: Callable[[int, int], None] | None = None) -> AddResult:
    """Follow the chosen candidates: one write to feeds.yml, the user's comments and order kept. Accounts already
    followed are skipped; a name already taken gets the handle beside it."""
    path = Path(feeds_path)
    follow_list = load_follow_list(path) if path.exists() else FollowList((), Settings())
    chosen = list(dict.fromkeys(candidates))
    followed = already_followed(chosen, follow_list)
    fresh = [candidate for candidate in chosen if candidate.handle not in followed]
    site_feeds, site_problems = _site_feeds(fresh, limits, progress) if find_site_feeds else ({}, [])
    taken = {source.name.casefold() for source in follow_list.sources}
    sources = []
    for candidate in fresh:
        name = candidate.name
        if name.casefold() in taken:
            name = f"{candidate.name} ({candidate.handle})"
        taken.add(name.casefold())
        sources.append(source_for(candidate, name, site_feeds.get(candidate.handle)))
    added, refused = add_sources(path, sources) if sources else ([], [])
    return AddResult(added, refused, [candidate for candidate in chosen if candidate.handle in followed],
                     site_problems)


def _site_feeds(candidates: list[Candidate], limits: FetchLimits, progress: Callable[[int, int], None] | None
                ) -> tuple[dict[str, str], list[tuple[Candidate, str]]]:
    """The feed of each candidate's website, found by discovery, a few sites at a time."""
    from amplify.discover import DiscoveryError, discover_feed

    with_site = [candidate for candidate in candidates if candidate.website]
    found: dict[str, str] = {}
    problems: list[tuple[Candidate, str]] = []

    def discover(candidate: Candidate) -> tuple[Candidate, str | None, str | None]:
        try:
            return candidate, discover_feed(candidate.website or "", limits=limits).feed_url, None
        except DiscoveryError as error:
            return candidate, None, str(error)

    with ThreadPoolExecutor(max_workers=SITE_WORKERS) as pool:
        for done, (candidate, feed, problem) in enumerate(pool.map(discover, with_site), start=1):
            if feed:
                found[candidate.handle] = feed
            elif problem:
                problems.append((candidate, problem))
            if progress:
                progress(done, len(with_site))
    return found, problems
