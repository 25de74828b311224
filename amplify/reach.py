"""Reach: what each share reached, read from the networks' public counts.

A share whose post link is on Mastodon or Bluesky gets a snapshot of its public counts (reposts or boosts, likes or
favourites, replies, quotes) at about 1 hour, 1 day, 7 days and 30 days after it was shared, then no more. A post
found deleted ends its series. X, LinkedIn and Threads have no logged-out API: the user types the numbers they see
(`Store.add_typed_reach`).

- `plan(shares, now)`: the pure planner. Which shares are due a snapshot now, and for which milestone. A share is
  due when a milestone has passed since it was shared and no snapshot read from the network was taken at or after
  that milestone; several missed milestones make one snapshot (the latest). A reading that failed (a private
  instance, a handle no account has, a server answering without numbers) is tried again a day later at the
  soonest; two days after the 30-day milestone the series ends whether or not it was read (a share never tried by
  then gets one try). Nothing after the 30-day one, nothing after a deletion, nothing for a link reach cannot read.
- `post_address(network, url)`: where a post link says the counts are (the Mastodon instance and status id, or the
  Bluesky actor and record key).
- `amplify.reach_run.check_reach(store, ...)`: the runner. Reads the due posts (batched where the network allows
  it, within its rate limits) and appends one snapshot each.

Only the counts of the user's own posts are read; never who liked or boosted. docs/audit.md says what is fetched,
from where, and when.
"""

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from amplify.clock import from_iso
from amplify.types import ReachShare
from amplify.urls import http_parts

# When a share's snapshots are taken, after it was shared.
MILESTONES = (timedelta(hours=1), timedelta(days=1), timedelta(days=7), timedelta(days=30))
MILESTONE_NAMES = {MILESTONES[0]: "1 hour", MILESTONES[1]: "1 day", MILESTONES[2]: "7 days", MILESTONES[3]: "30 days"}
# After a reading failed, the share is not asked for again before this; after the 30-day milestone, failed readings
# are tried again for this long, then never again (a share never read past it gets one try).
RETRY_AFTER = timedelta(days=1)
FINAL_GRACE = timedelta(days=2)
PUBLIC_APPVIEW = "https://public.api.bsky.app"
# Another AppView to read Bluesky counts from (`amplify reach --appview`, the "Check reach" button).
APPVIEW_VARIABLE = "AMPLIFY_APPVIEW"
PRIVATE_NUMBERS = "this instance keeps its numbers private"
# Where a did:plc account's DID document (and so its server) is found; another with `amplify reach --plc`.
PUBLIC_PLC = "https://plc.directory"
PLC_VARIABLE = "AMPLIFY_PLC"

_MASTODON_PATH = re.compile(r"^/(?:@[A-Za-z0-9_.-]+|users/[A-Za-z0-9_.-]+/statuses)/(\d{1,30})/?$")
_BLUESKY_PATH = re.compile(r"^/profile/([A-Za-z0-9:._%-]{3,253})/post/([A-Za-z0-9._~:-]{1,512})/?$")


# -- the planner -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Due:
    """A share due a snapshot now, for the latest milestone that has passed."""

    share: ReachShare
    milestone: timedelta

    @property
    def milestone_name(self) -> str:
        return MILESTONE_NAMES[self.milestone]


def due_milestone(share: ReachShare, now: datetime) -> timedelta | None:
    """The milestone `share` is due a snapshot for at `now`, or None when none is due (also for a link reach
    cannot read: its numbers can be typed by hand)."""
    if share.deleted or post_address(share.network, share.post_url) is None:
        return None
    shared = from_iso(share.shared_at)
    passed = [milestone for milestone in MILESTONES if shared + milestone <= now]
    if not passed:
        return None
    milestone = passed[-1]
    checked = from_iso(share.last_checked_at) if share.last_checked_at is not None else None
    failed = from_iso(share.last_failed_at) if share.last_failed_at is not None else None
    if checked is not None and checked >= shared + milestone:
        return None
    final = shared + MILESTONES[-1]
    tried_since_final = any(moment is not None and moment >= final for moment in (checked, failed))
    if now > final + FINAL_GRACE and tried_since_final:
        return None  # the series is over, read or not
    if failed is not None and now < failed + RETRY_AFTER:
        return None  # a reading failed lately: wait before asking again
    return milestone


def plan(shares: Iterable[ReachShare], now: datetime) -> list[Due]:
    """The shares due a snapshot at `now`, in the order given. Pure: no clock, no store, no network."""
    found = []
    for share in shares:
        milestone = due_milestone(share, now)
        if milestone is not None:
            found.append(Due(share, milestone))
    return found


# -- post links ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MastodonPost:
    """A status on its own instance: `base` is the instance's address (scheme and host), `status_id` its id there."""

    base: str
    status_id: str


@dataclass(frozen=True)
class BlueskyPost:
    """A Bluesky post: `actor` is the handle or DID the link names, `rkey` the record key."""

    actor: str
    rkey: str

    def uri(self, did: str) -> str:
        return f"at://{did}/app.bsky.feed.post/{self.rkey}"


def post_address(network: str, url: str) -> MastodonPost | BlueskyPost | None:
    """Where `url`, a post link on `network`, says the post is; None when reach cannot read it.

    Mastodon: `https://INSTANCE/@user/123` (or `/users/user/statuses/123`), the instance being the author's own (its
    ids are local to it). Bluesky: `https://bsky.app/profile/HANDLE_OR_DID/post/RKEY`, or the post's at:// URI."""
    url = url.strip()
    if network == "bluesky" and url.startswith("at://"):
        parts = url.removeprefix("at://").split("/")
        if len(parts) == 3 and parts[1] == "app.bsky.feed.post" and parts[0] and parts[2]:
            return BlueskyPost(parts[0], parts[2])
        return None
    parts = http_parts(url)
    if parts is None or not parts.hostname:
        return None
    path = urlsplit(url).path
    if network == "mastodon":
        found = _MASTODON_PATH.match(path)
        return MastodonPost(f"{parts.scheme}://{parts.netloc}", found.group(1)) if found else None
    if network == "bluesky":
        found = _BLUESKY_PATH.match(path)
        return BlueskyPost(found.group(1).lower(), found.group(2)) if found else None
    return None


# -- what a run did ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReachProblem:
    """A due post that was not read this time, and why in plain words; it stays due."""

    share_id: int
    reason: str


@dataclass
class ReachRun:
    """What one run did: how many shares were due, snapshots taken (and how many found their post deleted), what
    could not be read, the calls made per network, and why a network's reading stopped early (a long rate limit)."""

    due: int = 0
    taken: int = 0
    deleted: int = 0
    problems: list[ReachProblem] = field(default_factory=list)
    calls: Counter[str] = field(default_factory=Counter)
    paused: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        return {
            "due": self.due, "taken": self.taken, "deleted": self.deleted,
            "problems": [{"share_id": problem.share_id, "reason": problem.reason} for problem in self.problems],
            "calls": dict(self.calls), "paused": self.paused,
        }
