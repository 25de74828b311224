"""Posting a draft to Mastodon or Bluesky, only through the share gate, never twice and never lost.

One post is three steps:
1. one transaction re-runs the gate and writes an outbox row with the key that makes a retry safe (Mastodon's
   `Idempotency-Key`, Bluesky's record key), the words and text version the gate passed, and its checklist
   snapshot, before anything is sent;
2. the network call (`Poster.publish`);
3. one transaction records the share with the post's address and marks the row `recorded`. The share is of the
   words and text version on the row, with the snapshot of the gate the attempt passed (`record_post`): a post
   that is out is recorded whatever the gate would say now (an edit since, a link gone, a probe grown old).

A process killed between them leaves a row that `settle` (run by `amplify post --resume`, `amplify post-due` and
the app's start) finishes: a `sent` row gets its share; a `pending` one asks the network whether the post exists
(`Poster.find`) and, when it does not, sends the row's words again with the same key while the network still
answers that key (`Poster.key_holds`) without asking the gate again: the outcome is unknown, so it is never closed
as failed for what the gate says now. Only when the key has lapsed and the look found nothing (so nothing went
out) is it a new attempt, through the gate with the link checked again. A refusal (the gate, or the network's
4xx) leaves no share and keeps the draft; the message says why in plain words.

`AMPLIFY_TEST_KILL_POINT` is for tests only: naming a step kills the process there, the way a crash or a power
cut would: `before-call` (the row written, nothing sent), `call-answered` (the network made the post, the row does
not know yet), `after-call` (the row says `sent`), `mid-record` (inside the transaction that records the share).
"""

import json
import os
import signal
import socket
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from amplify import slots
from amplify.checklist import (
    ShareContext,
    ShareError,
    ShareRefused,
    load_share_context,
    open_for_sharing,
    record_post,
    refresh_link_probe,
    snapshot,
)
from amplify.clock import from_iso, to_iso
from amplify.errors import AmplifyError
from amplify.fetch import DEFAULT_LIMITS, FetchLimits
from amplify.networks import NAMES
from amplify.publish import (
    OutcomeUnknown,
    Poster,
    PosterFor,
    PostFailed,
    PostingError,
    PostRequest,
    Published,
    RateLimited,
    new_key,
)
from amplify.store import Store
from amplify.store.outbox import OutboxMoved
from amplify.types import OutboxRow, Settings

POSTING_NETWORKS = ("mastodon", "bluesky")
KILL_POINT_ENV = "AMPLIFY_TEST_KILL_POINT"
# A card's description: Bluesky shows a few lines of it.
CARD_DESCRIPTION_LENGTH = 300
DEFAULT_SETTINGS = Settings()
# How long a process's claim on an outbox row holds while it works on it: longer than any one post takes (an
# image processed for a minute, a few slow calls), so a claim older than this is from a process that is gone.
CLAIM_LEASE = timedelta(minutes=15)


class PostRefused(ShareRefused):
    """The gate does not pass: nothing is posted. `failures` as for ShareRefused."""

    def __init__(self, failures: list) -> None:
        super().__init__(failures)
        reasons = "\n".join(f"- {result.check.label}: {result.detail}" for result in self.failures)
        self.args = (f"Not posted. Still to do:\n{reasons}",)


@dataclass(frozen=True)
class Outcome:
    """What became of one post: `recorded` (posted and in History), `failed` (not posted), `scheduled`, or still
    open (`pending`, `sent`: the next settle finishes it). `message` says it in plain words."""

    draft_id: int
    network: str
    state: str
    post_url: str | None
    message: str

    def as_json(self) -> dict[str, object]:
        return {"draft": self.draft_id, "network": self.network, "state": self.state, "post_url": self.post_url,
                "message": self.message}


def _kill_point(name: str) -> None:
    """Test-only: die here, unannounced, when AMPLIFY_TEST_KILL_POINT names this step."""
    if os.environ.get(KILL_POINT_ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)


def _label(network: str) -> str:
    return NAMES.get(network, network)


def _require_posting_network(network: str) -> None:
    if network not in POSTING_NETWORKS:
        raise PostingError(f"amplify posts to {' and '.join(_label(n) for n in POSTING_NETWORKS)} only; share to "
                           f"{_label(network)} from its compose page")


def _refresh_probe(store: Store, draft_id: int, network: str, now: datetime, limits: FetchLimits) -> None:
    """Probe the item's link again when its probe is older than a day (network I/O: before any transaction)."""
    url = load_share_context(store, draft_id, network).item_url
    if url:
        refresh_link_probe(store, url, now=now, limits=limits)


@dataclass(frozen=True)
class Passed:
    """A post the gate passes now: its context, and the checklist snapshot (JSON) its outbox row keeps."""

    ctx: ShareContext
    checklist: str

    def columns(self) -> dict[str, Any]:
        """What an outbox row stores of the attempt the gate passed."""
        return {"text_version": self.ctx.text_version, "text": self.ctx.text, "checklist": self.checklist}


def _postable(store: Store, draft_id: int, network: str, now: datetime) -> Passed:
    """The post's context when the gate passes now; else ShareError or PostRefused saying why."""
    ctx = load_share_context(store, draft_id, network)
    status = open_for_sharing(ctx, network, now)
    if not status.can_share:
        raise PostRefused(status.failures)
    return Passed(ctx, json.dumps(snapshot(ctx, status, now), sort_keys=True, ensure_ascii=False))


def _open_attempt(store: Store, draft_id: int, network: str, account: str, now: datetime,
                  claimant: str | None = None) -> tuple[OutboxRow, ShareContext]:
    """Transaction 1: the gate again, then the outbox row (a scheduled one becomes this attempt), claimed by
    `claimant`."""
    with store.transaction():
        passed = _postable(store, draft_id, network, now)
        existing = store.open_outbox(draft_id, network)
        if existing is not None and existing.state != "scheduled":
            raise PostingError(f"this draft is already on its way to {_label(network)}; `amplify post --resume` "
                               "(or the next start) finishes it")
        if existing is not None:
            row = store.outbox_attempt(existing.id, **passed.columns(), account=account, from_state="scheduled",
                                       claimant=claimant)
        else:
            row = store.add_outbox(draft_id, network, **passed.columns(), key=new_key(network), state="pending",
                                   account=account, claimant=claimant)
    return row, passed.ctx


def post_request(store: Store, draft_id: int, ctx: ShareContext, settings: Settings) -> PostRequest:
    """The post to make from the draft as the gate read it, with the settings' language and visibility."""
    material = store.post_material(draft_id)
    description = " ".join(material.summary.split())
    if len(description) > CARD_DESCRIPTION_LENGTH:
        description = description[: CARD_DESCRIPTION_LENGTH - 1].rstrip() + "…"
    kept_image = ctx.image_url if ctx.image_url and (ctx.alt_text or "").strip() else None
    return PostRequest(
        text=ctx.text, link=ctx.item_url, card_title=material.title, card_description=description,
        image_url=kept_image or ctx.image_url, alt_text=(ctx.alt_text or "").strip() or None,
        language=settings.language, visibility=settings.post_visibility,
    )


def _call(store: Store, row: OutboxRow, poster: Poster, request: PostRequest, *, settling: bool = False) -> Published:
    """Step 2: the network call. A refusal closes the row as failed; an unknown outcome leaves it open. A rate
    limit puts a scheduled post back on the schedule, and leaves an attempt being settled open."""
    _kill_point("before-call")
    try:
        published = poster.publish(request, row.key)
        _kill_point("call-answered")
    except RateLimited as limited:
        if settling:
            store.outbox_note(row.id, str(limited))
        elif row.scheduled_for:
            store.outbox_reschedule(row.id, str(limited))
        else:
            store.outbox_failed(row.id, str(limited))
        raise
    except PostFailed as refused:
        store.outbox_failed(row.id, str(refused))
        raise
    except OutcomeUnknown as unknown:
        store.outbox_note(row.id, str(unknown))
        raise
    store.outbox_sent(row.id, post_id=published.post_id, post_url=published.url)
    _kill_point("after-call")
    return published


def _record(store: Store, row: OutboxRow, published: Published, now: datetime) -> Outcome:
    """Step 3: the share, through the gate, and the row recorded, in one transaction."""
    try:
        with store.transaction():
            share_id = record_post(store, row.draft_id, row.network, published.url, text_version=row.text_version,
                                   text=row.text, checklist=row.checklist,
                                   gate_passed_at=row.attempted_at or row.created_at, now=now)
            _kill_point("mid-record")
            store.outbox_recorded(row.id, share_id)
    except AmplifyError as error:
        note = f"Posted ({published.url}), but the share is not recorded yet: {error}"
        store.outbox_note(row.id, note)
        raise PostingError(note) from error
    return Outcome(row.draft_id, row.network, "recorded", published.url,
                   f"Posted to {_label(row.network)}: {published.url}")


def post_now(store: Store, draft_id: int, network: str, poster: Poster, *, settings: Settings = DEFAULT_SETTINGS,
             limits: FetchLimits = DEFAULT_LIMITS, now: datetime | None = None) -> Outcome:
    """Post the draft's `network` text as `poster`'s account and record the share. Raises PostRefused (the gate),
    ShareError, PostFailed (the network refused it) or OutcomeUnknown (settled later); nothing is recorded then."""
    _require_posting_network(network)
    moment = now or store.clock()
    _refresh_probe(store, draft_id, network, moment, limits)
    claimant = _claimant()
    row, ctx = _open_attempt(store, draft_id, network, poster.account, moment, claimant)
    try:
        published = _call(store, row, poster, post_request(store, draft_id, ctx, settings))
        return _record(store, row, published, moment)
    finally:
        store.release_outbox(row.id, claimant)


def _not_posted(refusal: ShareError) -> str:
    return str(refusal) if isinstance(refusal, PostRefused) else f"Not posted: {refusal}"


def _settle_one(store: Store, row: OutboxRow, poster_for: PosterFor, settings: Settings, now: datetime,
                limits: FetchLimits) -> Outcome:
    if row.state == "sent" and row.post_id and row.post_url:
        return _record(store, row, Published(row.post_id, row.post_url), now)
    poster = poster_for(row.network)
    if row.account and poster.account != row.account:
        note = (f"This post was started as {row.account} on {_label(row.network)}, but {poster.account} is connected "
                f"now. Nothing is sent as {poster.account}: connect {row.account} again to finish it.")
        store.outbox_note(row.id, note)
        return Outcome(row.draft_id, row.network, row.state, None, note)
    found = poster.find(row, now)
    if found is None:
        # The link is checked again before anything is decided, as post_now does.
        _refresh_probe(store, row.draft_id, row.network, now, limits)
        if poster.key_holds(row, now):
            # The outcome is unknown, and the network answers this key with the post if it did go out: the words
            # the gate passed when the row was written are sent again, whatever the gate would say now.
            ctx = load_share_context(store, row.draft_id, row.network)
        else:
            # The key no longer holds and the look found nothing: nothing went out, so this is a new attempt,
            # through the gate as it is now, with the words as they are now.
            try:
                passed = _postable(store, row.draft_id, row.network, now)
            except ShareError as refusal:
                store.outbox_failed(row.id, str(refusal))
                return Outcome(row.draft_id, row.network, "failed", None, _not_posted(refusal))
            ctx = passed.ctx
            row = store.outbox_attempt(row.id, **passed.columns(), account=row.account, from_state="pending",
                                       claimant=row.claimed_by)
        request = post_request(store, row.draft_id, replace(ctx, text=row.text), settings)
        found = _call(store, row, poster, request, settling=True)
    else:
        store.outbox_sent(row.id, post_id=found.post_id, post_url=found.url)
    return _record(store, row, found, now)


def settle(store: Store, poster_for: PosterFor, *, settings: Settings = DEFAULT_SETTINGS,
           limits: FetchLimits = DEFAULT_LIMITS, now: datetime | None = None) -> list[Outcome]:
    """Finish every attempt a crash or an unclear answer left open: each ends posted once and recorded once. An
    attempt whose outcome is unknown is never closed as failed: it is sent again with its key and its words."""
    outcomes = []
    claimant = _claimant()
    for row in store.outbox_rows("pending", "sent"):
        moment = now or store.clock()
        if not _claim(store, row, claimant, moment):
            outcomes.append(Outcome(row.draft_id, row.network, row.state, row.post_url,
                                    f"Another amplify is posting this to {_label(row.network)} right now; it finishes "
                                    "it."))
            continue
        try:
            claimed = store.outbox_row(row.id) or row
            outcomes.append(_settle_one(store, claimed, poster_for, settings, moment, limits))
        except AmplifyError as error:
            current = store.outbox_row(row.id) or row
            outcomes.append(Outcome(row.draft_id, row.network, current.state, current.post_url, str(error)))
        finally:
            store.release_outbox(row.id, claimant)
    return outcomes


def _claimant() -> str:
    """This process, as a claim on an outbox row names it."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _claim(store: Store, row: OutboxRow, claimant: str, now: datetime) -> bool:
    """Claim the row when no one holds it: never claimed, released, held longer than CLAIM_LEASE, or held by a
    process of this machine that is gone (killed mid-post). False when another process is working on it."""
    held = row.claimed_by is not None and row.claimed_at is not None
    if held and now - from_iso(row.claimed_at or "") <= CLAIM_LEASE and not _gone(row.claimed_by or ""):
        return False
    return store.claim_outbox(row, claimant)


def _gone(claimant: str) -> bool:
    """Whether the process a claim names has ended (only a process of this machine can be asked)."""
    host, _, pid = claimant.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


# -- the schedule -------------------------------------------------------------------------------------------------


def schedule_post(store: Store, draft_id: int, network: str, *, settings: Settings,
                  now: datetime | None = None) -> OutboxRow:
    """Put a ready draft's post at the network's next slot (`settings.schedule`, in `settings.timezone`). The gate
    must pass now, and passes again when the slot comes (`post_due`)."""
    _require_posting_network(network)
    moment = now or store.clock()
    when = slots.next_slot(settings.schedule.get(network, ()), settings.timezone, moment)
    if when is None:
        raise PostingError(f"no posting times for {_label(network)} yet: add them under `settings: schedule:` in "
                           f"feeds.yml, like `{network}: [\"Tue 09:00\"]`")
    with store.transaction():
        passed = _postable(store, draft_id, network, moment)
        if store.open_outbox(draft_id, network) is not None:
            raise PostingError(f"this draft is already scheduled or on its way to {_label(network)}")
        return store.add_outbox(draft_id, network, **passed.columns(), key=new_key(network), state="scheduled",
                                account=None, scheduled_for=to_iso(when))


def post_due(store: Store, poster_for: PosterFor, *, settings: Settings = DEFAULT_SETTINGS,
             limits: FetchLimits = DEFAULT_LIMITS, now: datetime | None = None) -> list[Outcome]:
    """Settle what is open, then post every scheduled post whose time has come, re-running the gate for each (a
    link probe older than a day is probed again). A post that no longer passes is not posted, and says why."""
    moment = now or store.clock()
    outcomes = settle(store, poster_for, settings=settings, limits=limits, now=moment)
    limited: dict[str, str] = {}
    for row in store.outbox_rows("scheduled", due_by=to_iso(moment)):
        if row.network in limited:
            outcomes.append(Outcome(row.draft_id, row.network, "scheduled", None, limited[row.network]))
            continue
        try:
            outcomes.append(post_now(store, row.draft_id, row.network, poster_for(row.network), settings=settings,
                                     limits=limits, now=moment))
        except ShareError as refusal:
            try:
                store.outbox_failed(row.id, str(refusal), from_state="scheduled")
            except OutboxMoved as moved:
                # Posted (or taken off the schedule) by another amplify since the rows were read: left as it is.
                current = store.outbox_row(row.id)
                outcomes.append(Outcome(row.draft_id, row.network, current.state if current else "failed",
                                        current.post_url if current else None, str(moved)))
                continue
            outcomes.append(Outcome(row.draft_id, row.network, "failed", None, _not_posted(refusal)))
        except RateLimited as limit:
            # Nothing more goes to this network this run: each post kept on the schedule, tried again next run.
            limited[row.network] = (f"{_label(row.network)} is limiting how fast this account posts, so this post "
                                    f"stays scheduled: the next `amplify post-due` after {limit.until or 'a while'} "
                                    "posts it.")
            outcomes.append(Outcome(row.draft_id, row.network, "scheduled", None, limited[row.network]))
        except AmplifyError as error:
            current = store.outbox_row(row.id)
            outcomes.append(Outcome(row.draft_id, row.network, current.state if current else "failed", None,
                                    str(error)))
    return outcomes


# -- the connected accounts ---------------------------------------------------------------------------------------


def connected_poster(store: Store, network: str, *, settings: Settings = DEFAULT_SETTINGS,
                     limits: FetchLimits = DEFAULT_LIMITS) -> Poster:
    """A poster for the account connected on `network`; PostingError saying how to connect one when there is none."""
    from amplify import accounts
    from amplify.bluesky_post import BlueskyPoster
    from amplify.mastodon_post import MastodonPoster

    _require_posting_network(network)
    account = accounts.connected(store, network)
    if account is None:
        raise PostingError(f"no {_label(network)} account is connected: connect one with `amplify account add "
                           f"{network}` or on the Settings page")
    if network == "mastodon":
        return MastodonPoster(account.server, lambda: accounts.mastodon_headers(account), account=account.handle,
                              limits=limits, zone=settings.timezone)
    return BlueskyPoster(account.server, lambda: accounts.bluesky_session(account, limits=limits).headers,
                         did=account.did or "", handle=account.handle, limits=limits, zone=settings.timezone)


def posters(store: Store, *, settings: Settings = DEFAULT_SETTINGS,
            limits: FetchLimits = DEFAULT_LIMITS) -> PosterFor:
    """`connected_poster` for each network asked, made once."""
    made: dict[str, Poster] = {}

    def poster_for(network: str) -> Poster:
        if network not in made:
            made[network] = connected_poster(store, network, settings=settings, limits=limits)
        return made[network]

    return poster_for
