"""The networks' side: what a share reached (`ReachSnapshot`, `ReachShare`, `ReachCounts`, `ShareReach`), the
connected accounts (`Account`, with its server's `InstanceRules`), and posting (`OutboxRow`, `PostMaterial`)."""

from dataclasses import dataclass

# -- reach: what a share reached


@dataclass(frozen=True, slots=True)
class ReachSnapshot:
    """One reading of a share's public counts (`reach` table). `source` is "api" (read from the network) or
    "typed" (typed by hand from what the network shows). A deleted post has no counts and ends the series."""

    id: int
    share_id: int
    taken_at: str
    reposts: int | None
    likes: int | None
    replies: int | None
    quotes: int | None
    source: str
    deleted: bool
    post_ref: str | None = None

    @property
    def interactions(self) -> int:
        """Reposts, likes, replies and quotes together (0 for a deleted post)."""
        return sum(count or 0 for count in (self.reposts, self.likes, self.replies, self.quotes))


@dataclass(frozen=True, slots=True)
class ReachShare:
    """A share whose post reach can read, with what its snapshots so far say: when the last one read from the
    network was taken, whether the post was found deleted, the post's address as the API knows it, and when a
    reading last failed."""

    share_id: int
    network: str
    post_url: str
    shared_at: str
    last_checked_at: str | None = None
    deleted: bool = False
    post_ref: str | None = None
    last_failed_at: str | None = None  # the last reading that failed (`reach_failures`), if any


@dataclass(frozen=True, slots=True)
class ReachCounts:
    """Counts read for one post, to append as a snapshot. `deleted` with no counts when the post is gone."""

    share_id: int
    reposts: int | None = None
    likes: int | None = None
    replies: int | None = None
    quotes: int | None = None
    deleted: bool = False
    post_ref: str | None = None


@dataclass(frozen=True, slots=True)
class ShareReach:
    """A counted share in a window with its latest numbers, for the audit's "Reach by voice"."""

    share_id: int
    source_id: int
    network: str
    interactions: int
    deleted: bool


# -- connected accounts


@dataclass(frozen=True)
class InstanceRules:
    """A Mastodon server's own rules for a post, from its `GET /api/v2/instance` (Mastodon's defaults where it
    says nothing)."""

    max_characters: int = 500
    characters_reserved_per_url: int = 23
    max_media_attachments: int = 4
    description_limit: int = 1500  # the longest alt text (Mastodon 4.4+; 1500 on older servers)


@dataclass(frozen=True)
class Account:
    """An account the user connected, without its secrets (those stay in `amplify.secrets`).

    `server` is the base URL amplify talks to (a Mastodon instance, a Bluesky PDS); `handle` is `@user@host` on
    Mastodon, `name.bsky.social` on Bluesky; `did` is Bluesky's permanent id, `account_id` Mastodon's. `rules`
    and `rules_checked_at` are the Mastodon server's rules and when they were last read (None on Bluesky).
    `secret_from` is where its token or app password is: `kept` (amplify.secrets keeps it) or `environment`
    (connected from AMPLIFY_MASTODON_TOKEN or AMPLIFY_BLUESKY_APP_PASSWORD, read from there at each use)."""

    network: str
    server: str
    handle: str
    did: str | None
    account_id: str | None
    display_name: str
    connected_at: str
    rules: InstanceRules | None = None
    rules_checked_at: str | None = None
    secret_from: str = "kept"


# -- posting


OUTBOX_STATES = ("scheduled", "pending", "sent", "recorded", "failed")


@dataclass(frozen=True)
class OutboxRow:
    """One attempt to post a draft to a network (amplify.posting): its key is chosen and stored before the call, so
    a retry after a crash finds the post instead of making a second one."""

    id: int
    draft_id: int
    network: str
    text_version: int
    text: str
    key: str
    state: str
    account: str | None
    scheduled_for: str | None
    post_id: str | None
    post_url: str | None
    share_id: int | None
    error: str | None
    created_at: str
    attempted_at: str | None
    updated_at: str
    # The checklist snapshot (JSON) of the gate this attempt passed, recorded with its share.
    checklist: str
    # Who is working on the row right now (host:process) and since when; None when no one is.
    claimed_by: str | None
    claimed_at: str | None


@dataclass(frozen=True)
class PostMaterial:
    """What a post's link card shows: the item's title and summary."""

    title: str
    summary: str
