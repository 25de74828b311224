"""The reach runner: `check_reach` reads the public counts of the due posts from Mastodon and Bluesky and appends
one snapshot each.

- Mastodon: each post's own instance (the author's server holds the counts). Several posts on one instance are
  asked for together with `GET /api/v1/statuses?id[]=` (Mastodon 4.3+), 20 a call; an instance without it (404 or
  400, or 422) is asked post by post with `GET /api/v1/statuses/:id`. A post a batch leaves out is asked for alone,
  so a deletion is a 404, never a guess. An instance that refuses logged-out reads (401) is asked again with the
  user's connected account, when there is one; else the post is reported as "this instance keeps its numbers
  private".
- Bluesky: the AppView's `app.bsky.feed.getPosts`, 25 posts a call. A link that names a handle is resolved to its
  DID once per run (`com.atproto.identity.resolveHandle`), and the post's at:// URI with the DID is kept with the
  snapshot, so later snapshots need no resolving (handles change); a post amplify posted itself has it from the
  outbox. A post getPosts does not return is deleted only when its own server (its PDS, from the connected account
  or the DID document) says so with `com.atproto.repo.getRecord`; otherwise it is a failed reading.
- A post that could not be read (a private instance, a handle no account has, a server answering without
  numbers) is recorded as a failed reading, so the planner waits a day before asking again and lets the series go
  after the 30-day milestone.
- Rate limits: `X-RateLimit-Remaining` at 0 waits until `X-RateLimit-Reset`; a 429 waits as its headers say and
  asks again. A wait longer than the run allows stops reading from that server; its posts stay due.

Every request goes through `amplify.fetch.fetch_json`.
"""

import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import suppress
from datetime import datetime
from typing import Any
from urllib.parse import unquote, urlencode, urlsplit

from amplify import accounts
from amplify.clock import from_iso
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
    send_api,
)
from amplify.follows import own_token, wait_seconds
from amplify.reach import (
    PRIVATE_NUMBERS,
    PUBLIC_APPVIEW,
    PUBLIC_PLC,
    BlueskyPost,
    Due,
    MastodonPost,
    ReachProblem,
    ReachRun,
    plan,
    post_address,
)
from amplify.store import Store
from amplify.types import ReachCounts

MASTODON_BATCH = 20
BLUESKY_BATCH = 25  # the most getPosts takes
MAX_RETRIES = 3
RETRY_SECONDS = 5.0  # a 429 that does not say how long to wait
GONE = (404, 410)
# A rate limit is waited out when the server asks for at most this long; past it the run stops reading from that
# server and the posts left stay due for the next run.
MAX_WAIT_SECONDS = 300.0
NO_BATCH = (400, 404, 422)
NOT_RETURNED = "Bluesky did not return the post"  # an instance before 4.3 answers the batch address with one of these


def check_reach(store: Store, *, now: datetime | None = None, appview: str = PUBLIC_APPVIEW,
                limits: FetchLimits = DEFAULT_LIMITS, sleep: Callable[[float], None] = time.sleep,
                max_wait: float = MAX_WAIT_SECONDS, own_instance: str | None = None,
                mastodon_headers: Callable[[str], dict[str, str] | None] | None = None,
                plc: str = PUBLIC_PLC) -> ReachRun:
    """Take every snapshot due now and append them to the store in one transaction.

    `appview` is the Bluesky AppView asked (the public one by default). `mastodon_headers(instance)` gives the
    headers of the user's connected account on that instance (for one that refuses logged-out reads), or None;
    by default `connected_mastodon_headers` for `own_instance` (feeds.yml's `mastodon_instance`). Requests go
    through `amplify.fetch` within `limits`. `plc` is the PLC directory a did:plc account's server is looked up
    in, to confirm a deletion."""
    moment = now or from_iso(store.now())
    due = plan(store.reach_shares(), moment)
    run = ReachRun(due=len(due))
    if not due:
        return run
    with open_client(limits, connections=4) as client:
        reader = Reader(client, limits, sleep=sleep, max_wait=max_wait)
        servers = BlueskyServers(reader, plc.rstrip("/"), connected_bluesky_server(store))
        counts = read_due(reader, due, run, appview=appview.rstrip("/"),
                          mastodon_headers=mastodon_headers
                          or (lambda instance: connected_mastodon_headers(store, instance, own_instance)),
                          bluesky_servers=servers)
        run.calls.update(reader.calls)
    run.taken = store.add_reach(counts)
    store.add_reach_failures((problem.share_id, problem.reason) for problem in run.problems)
    run.deleted = sum(1 for count in counts if count.deleted)
    return run


def connected_mastodon_headers(store: Store, instance: str, own_instance: str | None) -> dict[str, str] | None:
    """The Authorization header of the user's connected Mastodon account on `instance`, or None.

    The account connected with `amplify account add mastodon` when its server is `instance` (the same scheme, host
    and port, over https: `accounts.same_server`); else the token in AMPLIFY_MASTODON_TOKEN when `instance` is the
    user's own (`own_instance`, feeds.yml's `mastodon_instance`), as the follow-list import does. A token never
    goes to another instance, nor over plain http."""
    account = accounts.connected(store, "mastodon")
    if account is not None and accounts.same_server(instance, account.server):
        with suppress(accounts.AccountError):  # connected, but its token is gone: logged out, as without one
            return accounts.mastodon_headers(account, own_instance=own_instance)
    token = own_token(instance, own_instance)
    return {"Authorization": f"Bearer {token}"} if token else None


class RateLimited(AmplifyError):
    """A server asked for a longer wait than the run allows; the message says which and how long."""


class KeepsPrivate(AmplifyError):
    """The instance refuses logged-out reads and there is no connected account for it."""

    def __init__(self) -> None:
        super().__init__(PRIVATE_NUMBERS)


class Reader:
    """GETs JSON through `fetch_json`, honouring each server's rate limits; counts its calls by network."""

    def __init__(self, client: Client, limits: FetchLimits, *, sleep: Callable[[float], None],
                 max_wait: float) -> None:
        self.client = client
        self.limits = limits
        self.sleep = sleep
        self.max_wait = max_wait
        self.calls: Counter[str] = Counter()

    def get(self, network: str, url: str, headers: Mapping[str, str] | None = None, *,
            error_body: bool = False) -> JSONResponse:
        """GET `url`; with `error_body`, an error's HTTPStatusError carries the server's decoded error (`.data`) and
        no redirect is followed."""
        for attempt in range(MAX_RETRIES + 1):
            self.calls[network] += 1
            try:
                if error_body:
                    answer = send_api(self.client, "GET", url, headers=dict(headers or {}), limits=self.limits)
                else:
                    answer = fetch_json(self.client, url, headers=dict(headers or {}), limits=self.limits)
            except HTTPStatusError as error:
                if error.status != 429 or attempt == MAX_RETRIES:
                    raise
                self._wait(url, wait_seconds(error.headers, RETRY_SECONDS * 2 ** attempt))
                continue
            remaining = answer.headers.get("x-ratelimit-remaining", answer.headers.get("ratelimit-remaining", ""))
            if remaining.strip().isdigit() and int(remaining) <= 0:
                self._wait(url, wait_seconds(answer.headers, RETRY_SECONDS))
            return answer
        raise AssertionError("unreachable")  # the loop returns or raises

    def _wait(self, url: str, seconds: float) -> None:
        if seconds > self.max_wait:
            host = urlsplit(url).netloc
            raise RateLimited(f"{host} asks amplify to wait {seconds:.0f} s; the rest is read on the next run")
        self.sleep(seconds)


def read_due(reader: Reader, due: Sequence[Due], run: ReachRun, *, appview: str,
             mastodon_headers: Callable[[str], dict[str, str] | None],
             bluesky_servers: "BlueskyServers") -> list[ReachCounts]:
    """The counts of every due post that could be read; what could not goes to `run.problems` or `run.paused`."""
    mastodon: dict[str, list[tuple[int, MastodonPost]]] = defaultdict(list)
    bluesky: list[tuple[int, BlueskyPost, str | None]] = []
    for item in due:
        share = item.share
        address = post_address(share.network, share.post_url)
        if isinstance(address, MastodonPost):
            mastodon[address.base].append((share.share_id, address))
        elif isinstance(address, BlueskyPost):
            bluesky.append((share.share_id, address, share.post_ref))
        else:
            run.problems.append(ReachProblem(share.share_id, f"amplify cannot read counts from the link "
                                                              f"{share.post_url[:200]}"))
    counts: list[ReachCounts] = []
    for base, posts in mastodon.items():
        instance = _Instance(reader, base, mastodon_headers)
        _guarded(run, posts, counts, lambda posts=posts, instance=instance: instance.read(posts, counts, run))
    if bluesky:
        _guarded(run, bluesky, counts, lambda: _read_bluesky(reader, appview, bluesky, counts, run, bluesky_servers))
    return counts


def _guarded(run: ReachRun, posts: Sequence[tuple[Any, ...]], counts: list[ReachCounts],
             read: Callable[[], None]) -> None:
    """Run one server's reading; a long rate limit pauses it, trouble reaching it is reported for the posts it
    left unread."""
    try:
        read()
    except RateLimited as paused:
        run.paused.append(str(paused))
    except FetchError as error:
        done = {count.share_id for count in counts} | {problem.share_id for problem in run.problems}
        run.problems += [ReachProblem(share_id, f"could not read the counts: {error}")
                         for share_id, *_ in posts if share_id not in done]


# -- Mastodon ----------------------------------------------------------------------------------------------------


def _mastodon_counts(share_id: int, status: Mapping[str, Any]) -> ReachCounts:
    return ReachCounts(share_id=share_id, reposts=_count(status.get("reblogs_count")),
                       likes=_count(status.get("favourites_count")), replies=_count(status.get("replies_count")),
                       quotes=_count(status.get("quotes_count")))


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


class _Instance:
    """One Mastodon instance's due posts: batched where it can, logged out unless it refuses."""

    def __init__(self, reader: Reader, base: str, token_headers: Callable[[str], dict[str, str] | None]) -> None:
        self.reader = reader
        self.base = base
        self.token_headers = token_headers
        self.headers: dict[str, str] = {}

    def get(self, url: str) -> JSONResponse:
        try:
            return self.reader.get("mastodon", url, self.headers)
        except HTTPStatusError as error:
            if error.status != 401 or self.headers:
                raise
            token = self.token_headers(self.base)
            if not token:
                raise KeepsPrivate() from error
            self.headers = token
            return self.reader.get("mastodon", url, self.headers)

    def read(self, posts: list[tuple[int, MastodonPost]], counts: list[ReachCounts], run: ReachRun) -> None:
        try:
            alone = self._read_batches(posts, counts) if len(posts) > 1 else posts
            for share_id, post in alone:
                counts.append(self._read_one(share_id, post))
        except KeepsPrivate:
            done = {count.share_id for count in counts}
            run.problems += [ReachProblem(share_id, PRIVATE_NUMBERS) for share_id, _ in posts if share_id not in done]

    def _read_batches(self, posts: list[tuple[int, MastodonPost]],
                      counts: list[ReachCounts]) -> list[tuple[int, MastodonPost]]:
        """Read `posts` in batches; returns those left to ask for one by one (all of them without batches)."""
        alone = []
        for chunk in _chunks(posts, MASTODON_BATCH):
            query = urlencode([("id[]", post.status_id) for _, post in chunk])
            try:
                answer = self.get(f"{self.base}/api/v1/statuses?{query}")
            except HTTPStatusError as error:
                if error.status not in NO_BATCH:
                    raise
                done = {count.share_id for count in counts} | {share_id for share_id, _ in alone}
                return alone + [item for item in posts if item[0] not in done]
            found = {str(status.get("id")): status for status in answer.data if isinstance(status, dict)} \
                if isinstance(answer.data, list) else {}
            for share_id, post in chunk:
                if post.status_id in found:
                    counts.append(_mastodon_counts(share_id, found[post.status_id]))
                else:
                    alone.append((share_id, post))
        return alone

    def _read_one(self, share_id: int, post: MastodonPost) -> ReachCounts:
        try:
            answer = self.get(f"{self.base}/api/v1/statuses/{post.status_id}")
        except HTTPStatusError as error:
            if error.status in GONE:
                return ReachCounts(share_id=share_id, deleted=True)
            raise
        status = answer.data if isinstance(answer.data, dict) else {}
        return _mastodon_counts(share_id, status)


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


# -- Bluesky -----------------------------------------------------------------------------------------------------


def _read_bluesky(reader: Reader, appview: str, posts: list[tuple[int, BlueskyPost, str | None]],
                  counts: list[ReachCounts], run: ReachRun, servers: "BlueskyServers") -> None:
    dids: dict[str, str | None] = {}
    uris: list[tuple[int, str]] = []
    for share_id, post, kept in posts:
        if kept:
            uris.append((share_id, kept))
            continue
        if post.actor not in dids:
            dids[post.actor] = _resolve(reader, appview, post.actor)
        did = dids[post.actor]
        if did is None:
            run.problems.append(ReachProblem(share_id, f"Bluesky knows no account {post.actor}"))
        else:
            uris.append((share_id, post.uri(did)))
    for chunk in _chunks(uris, BLUESKY_BATCH):
        query = urlencode([("uris", uri) for _, uri in chunk])
        answer = reader.get("bluesky", f"{appview}/xrpc/app.bsky.feed.getPosts?{query}")
        data = answer.data if isinstance(answer.data, dict) else {}
        found = {post.get("uri"): post for post in data.get("posts") or [] if isinstance(post, dict)}
        for share_id, uri in chunk:
            post = found.get(uri)
            if post is None:
                unconfirmed = servers.still_there(uri)
                if unconfirmed is None:
                    counts.append(ReachCounts(share_id=share_id, deleted=True, post_ref=uri))
                else:
                    run.problems.append(ReachProblem(share_id, unconfirmed))
            else:
                counts.append(ReachCounts(share_id=share_id, reposts=_count(post.get("repostCount")),
                                          likes=_count(post.get("likeCount")), replies=_count(post.get("replyCount")),
                                          quotes=_count(post.get("quoteCount")), post_ref=uri))


def _resolve(reader: Reader, appview: str, actor: str) -> str | None:
    """The DID of `actor` (a DID is its own); None when no account has that handle."""
    if actor.startswith("did:"):
        return actor
    try:
        answer = reader.get("bluesky", f"{appview}/xrpc/com.atproto.identity.resolveHandle?"
                                       f"{urlencode({'handle': actor})}")
    except HTTPStatusError as error:
        if error.status in (400, 404):
            return None
        raise
    did = answer.data.get("did") if isinstance(answer.data, dict) else None
    return did if isinstance(did, str) and did.startswith("did:") else None


def connected_bluesky_server(store: Store) -> dict[str, str]:
    """The connected Bluesky account's server (its PDS) by its DID, when there is one."""
    account = accounts.connected(store, "bluesky")
    return {account.did: account.server.rstrip("/")} if account is not None and account.did else {}


class BlueskyServers:
    """Confirms a deletion on the post's own server (its PDS) before a post the AppView leaves out is marked
    deleted: the AppView may be behind, or the account deactivated for a while. The server of a DID is the
    connected account's when it is that DID, else the one its DID document names (from the PLC directory for a
    did:plc, from the host's /.well-known/did.json for a did:web); looked up once a run."""

    def __init__(self, reader: Reader, plc: str, known: Mapping[str, str]) -> None:
        self.reader = reader
        self.plc = plc
        self.found: dict[str, str | None] = dict(known)

    def still_there(self, uri: str) -> str | None:
        """None when the post's server confirms it is gone; else why it is not marked deleted, in plain words."""
        did, _collection, rkey = uri.removeprefix("at://").split("/")
        try:
            server = self._server(did)
            if server is None:
                return f"{NOT_RETURNED}, and amplify could not find its server to check it was deleted"
            query = urlencode({"repo": did, "collection": "app.bsky.feed.post", "rkey": rkey})
            self.reader.get("bluesky", f"{server}/xrpc/com.atproto.repo.getRecord?{query}", error_body=True)
        except HTTPStatusError as error:
            said = error.data.get("error") if isinstance(error.data, dict) else None
            if error.status in (400, 404) and said == "RecordNotFound":
                return None
            return f"{NOT_RETURNED}, and its server could not confirm it was deleted ({error})"
        except FetchError as error:
            return f"{NOT_RETURNED}, and its server could not be asked whether it was deleted ({error})"
        return f"{NOT_RETURNED}, but its server still has it (the account may be deactivated for now)"

    def _server(self, did: str) -> str | None:
        if did not in self.found:
            self.found[did] = self._look_up(did)
        return self.found[did]

    def _look_up(self, did: str) -> str | None:
        if did.startswith("did:plc:"):
            address = f"{self.plc}/{did}"
        elif did.startswith("did:web:"):
            address = f"https://{unquote(did.removeprefix('did:web:'))}/.well-known/did.json"
        else:
            return None
        try:
            document = self.reader.get("bluesky", address).data
        except HTTPStatusError as error:
            if error.status in (404, 410):
                return None
            raise
        services = document.get("service") if isinstance(document, dict) else None
        for service in services if isinstance(services, list) else []:
            if isinstance(service, dict) and str(service.get("id", "")).endswith("#atproto_pds"):
                endpoint = service.get("serviceEndpoint")
                return endpoint.rstrip("/") if isinstance(endpoint, str) else None
        return None
