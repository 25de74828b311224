"""The records that cross layers: what the core hands the store and the store keeps.

Every record is a frozen dataclass. The store imports them from here and from no core module, so a page, the core
and the store can each be read, and changed, without the others.

- The follow list as feeds.yml describes it: `Source`, `Settings`, `Problem`, `FollowList` (read and written by
  `amplify.follow`, synced into the store by `amplify.follow.sync`).
- What one refresh learned about one feed: `FeedUpdate`, with the `Entry`s parsed from its body.
- Whether a link resolves: `LinkProbe` (made by `amplify.fetch`, kept by the share gate).
"""

from collections.abc import Sequence
from dataclasses import dataclass, field

from amplify.names import name_key

# What a source is, and how it likes to be credited: feeds.yml's `kind:` and `credit:`, the CLI and the pages.
KINDS = ("creator", "business", "organization")
CREDIT_PREFERENCES = ("tag", "name", "ask")


# -- the follow list


@dataclass(frozen=True)
class Source:
    """One followed creator, business or organization, as feeds.yml describes it."""

    name: str
    feeds: tuple[str, ...]
    url: str | None = None
    kind: str = "creator"
    handles: dict[str, str] = field(default_factory=dict)
    tags: tuple[str, ...] = ()
    identity_labels: tuple[str, ...] = ()
    identity_source: str | None = None
    credit: str = "tag"
    domains: tuple[str, ...] = ()
    line: int | None = None
    notes: str | None = None


@dataclass(frozen=True)
class Settings:
    """The optional `settings:` block."""

    networks: tuple[str, ...] = ("mastodon", "bluesky")
    mastodon_instance: str = "mastodon.social"
    goals: dict[str, object] = field(default_factory=dict)
    # Fetch from this computer and your own network too (amplify.fetch refuses them otherwise).
    allow_private_addresses: bool = False
    # Posting: who sees a Mastodon post, the language posts are marked with (ISO 639-1; None: unmarked), the time
    # zone the schedule's slots are in, and the slots per network ({"mastodon": ("Tue 09:00",)}).
    post_visibility: str = "public"
    language: str | None = None
    timezone: str = "UTC"
    schedule: dict[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with feeds.yml, precise enough to fix: the entry it names is skipped, nothing else."""

    message: str
    line: int | None = None
    field: str | None = None
    file: str = "feeds.yml"

    def __str__(self) -> str:
        where = f"{self.file} line {self.line}" if self.line else self.file
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class FollowList:
    sources: tuple[Source, ...]
    settings: Settings
    problems: tuple[Problem, ...] = ()
    # Names the text this was read from (None when built in code): a store that synced that text skips the sync.
    digest: str | None = None

    def source(self, name: str) -> Source | None:
        wanted = name_key(name)
        return next((source for source in self.sources if name_key(source.name) == wanted), None)


# -- refreshing a feed


@dataclass(frozen=True)
class Entry:
    """One post, normalized and safe to store."""

    key: str
    url: str | None
    title: str
    title_is_derived: bool
    author: str | None
    published_at: str | None
    updated_at: str | None
    summary: str
    content_html: str
    image_url: str | None
    image_alt: str | None
    # The fast path's digest of the markup the entry came from (and what it was read against): a refresh hands the
    # digests it has stored back to the parser, which skips entries a feed sends again unchanged. None otherwise.
    markup_digest: str | None = None


@dataclass(frozen=True)
class FeedUpdate:
    """What one refresh learned about one feed. `entries` is None when nothing was parsed (304, an unchanged
    body, or a failure); `error` is None on success."""

    feed_id: int
    source_id: int
    status: int | None
    error: str | None = None
    error_count: int = 0
    next_attempt_at: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None
    title: str | None = None
    moved_to: str | None = None
    entries: Sequence[Entry] | None = None


# -- checking a link


@dataclass(frozen=True)
class LinkProbe:
    """Whether a link resolves: `ok` means a 2xx answer after at most the allowed redirects."""

    url: str
    ok: bool
    status: int | None
    final_url: str | None
    redirects: int
    error: str | None


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
    and `rules_checked_at` are the Mastodon server's rules and when they were last read (None on Bluesky)."""

    network: str
    server: str
    handle: str
    did: str | None
    account_id: str | None
    display_name: str
    connected_at: str
    rules: InstanceRules | None = None
    rules_checked_at: str | None = None


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


@dataclass(frozen=True)
class PostMaterial:
    """What a post's link card shows: the item's title and summary."""

    title: str
    summary: str
