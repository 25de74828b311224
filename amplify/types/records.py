"""What the store returns: one record per kind of row (`SourceRecord`, `FeedRecord`, `Draft`, `DraftPost`, `Share`,
`Attestation`, `LinkProbeRecord`, the audit's rows, ...), never a dict of a row."""

from dataclasses import dataclass, field
from typing import Any

from amplify.types.feeds import LinkProbe

# -- what the store returns
# One record per kind of row; `amplify.store` builds each in one place from its query. Decoded JSON columns read
# as tuples and dicts; times are UTC ISO text, as stored.


@dataclass(frozen=True)
class SourceRecord:
    """One source as the store keeps it (followed or not), with the URLs of its followed feeds."""

    id: int
    name: str
    url: str | None
    kind: str
    tags: tuple[str, ...]
    handles: dict[str, str]
    domains: tuple[str, ...]
    identity_labels: tuple[str, ...]
    identity_source: str | None
    credit: str
    notes: str | None
    followed: bool
    forgotten: bool  # forgotten at the user's request: identity, handles and notes dropped, name replaced
    created_at: str
    updated_at: str
    feeds: tuple[str, ...]


@dataclass(frozen=True)
class SourceHealth(SourceRecord):
    """A followed source with how its feeds are doing (for the Sources page and `amplify sources`)."""

    feed_count: int
    last_fetched_at: str | None
    last_success_at: str | None
    last_status: int | None  # of the most recently fetched feed
    last_error: str | None  # the newest error among its feeds; None when all are fine
    error_count: int  # summed over its feeds
    item_count: int
    last_shared_at: str | None  # its newest share that was not retracted


@dataclass(frozen=True)
class SourceActivity:
    """A followed source's activity, for the follow list at a glance."""

    last_post_at: str | None = None  # its newest item's sort time
    fetched: bool = False  # any feed of it was fetched at least once


@dataclass(frozen=True)
class FeedRecord:
    """One followed feed and what the last fetch of it learned: what a refresh plans from."""

    id: int
    url: str
    source_id: int
    source_name: str
    # What the fetches so far learned (nothing yet for a feed never fetched).
    title: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None
    last_status: int | None = None
    last_error: str | None = None
    error_count: int = 0  # failures in a row
    next_attempt_at: str | None = None  # backing off after errors: not fetched before this
    last_fetched_at: str | None = None
    last_success_at: str | None = None
    moved_to: str | None = None  # where a permanent redirect said the feed now lives
    followed: bool = True


@dataclass(frozen=True)
class FailedFeed:
    """One feed a refresh could not read, and why."""

    source: str
    feed: str
    error: str


@dataclass(frozen=True)
class LastRefresh:
    """The report of the last refresh, as `Store.record_refresh` kept it."""

    at: str  # when it ended
    feeds: int = 0
    stopped: bool = False  # asked to end early
    fetched: int = 0
    not_modified: int = 0
    failed: int = 0
    new_items: int = 0
    seconds: float = 0.0
    errors: tuple[FailedFeed, ...] = ()
    parsers: dict[str, int] = field(default_factory=dict)  # bodies read by each parse path


@dataclass(frozen=True)
class Draft:
    """A draft with its item and source: one per queued item, in the user's queue order."""

    id: int
    item_id: int
    position: int
    state: str  # open, shared or discarded
    alt_text: str | None
    created_at: str
    updated_at: str
    source_id: int
    item_url: str | None
    item_title: str
    item_author: str | None
    item_summary: str | None
    item_published_at: str | None
    item_image_url: str | None
    item_image_alt: str | None
    item_state: str
    source_name: str
    source_url: str | None
    source_kind: str
    source_handles: dict[str, str]
    source_credit: str
    source_domains: tuple[str, ...]
    source_tags: tuple[str, ...]


@dataclass(frozen=True)
class DraftPost:
    """A draft's text for one network."""

    network: str
    text: str
    version: int  # grows whenever the text changes; an attestation holds for one version
    template: str | None  # the template the text started from, if any
    updated_at: str


@dataclass(frozen=True)
class LinkProbeRecord(LinkProbe):
    """The latest probe of a link, as kept by the share gate."""

    checked_at: str


@dataclass(frozen=True)
class Attestation:
    """The user's confirmation of one check for one version of a post's text."""

    check_id: str
    text_version: int
    attested_at: str


@dataclass(frozen=True)
class ShareSubject:
    """What the share gate reads about one network's post: the draft, the post, its item and its source."""

    draft_id: int
    draft_state: str
    alt_text: str | None
    network: str
    text: str
    text_version: int
    item_id: int
    item_url: str | None
    item_title: str
    item_published_at: str | None
    item_image_url: str | None
    source_id: int
    source_name: str
    source_url: str | None
    source_handles: dict[str, str]
    source_domains: tuple[str, ...]
    source_credit: str
    feed_urls: tuple[str, ...]
    shared_networks: tuple[str, ...]  # networks this draft has an active (not retracted) share on


@dataclass(frozen=True)
class Share:
    """One row of the share log, with its item and source, as History shows it."""

    id: int
    draft_id: int
    item_id: int
    source_id: int
    network: str
    text: str  # redacted text once the user forgot the source with --redact-shares
    post_url: str | None
    shared_at: str
    checklist: str  # the checklist snapshot, JSON text
    item_title: str
    item_url: str | None
    source_name: str
    source_kind: str
    retracted_at: str | None  # None while the share stands
    retraction_reason: str | None
    redacted_at: str | None


@dataclass(frozen=True)
class ShareExport:
    """One share as `amplify export` writes it (field order is the export's column order)."""

    share_id: int
    shared_at: str
    network: str
    source: str
    source_kind: str
    item_title: str
    item_url: str | None
    post_url: str | None
    text: str
    retracted: int  # 1 when retracted, else 0
    redacted_at: str | None
    redacted: int  # 1 when redacted, else 0


@dataclass(frozen=True)
class FollowImport:
    """Where an import of one account's follow list from Mastodon or Bluesky has got to."""

    id: int
    network: str
    account: str
    server: str
    account_id: str | None
    expected: int | None  # how many follows the network said there are, when it said
    next_page: str | None  # a Mastodon page address or a Bluesky cursor; None once finished
    state: str  # fetching or fetched
    fetched: int  # accounts stored so far
    note: str | None  # why it stopped before its end
    started_at: str
    updated_at: str


@dataclass(frozen=True)
class FollowedAccount:
    """One account a follow-list import found."""

    handle: str
    name: str
    bio: str
    avatar_url: str | None
    feed_url: str
    profile_url: str | None
    website: str | None
    website_verified: bool  # the network verified the website link (Mastodon's verified profile field)


# -- what the voice audit reads (`amplify.audit` computes from these)


@dataclass(frozen=True)
class AuditSource:
    """One source as the audit sees it: what it says of itself now, its activity up to the window's end."""

    id: int
    name: str
    kind: str
    tags: tuple[str, ...]
    identity_labels: tuple[str, ...]
    identity_source: str | None
    followed: bool
    forgotten: bool
    last_shared_at: str | None
    items_in_window: int
    latest_item_at: str | None


@dataclass(frozen=True, slots=True)
class AuditShare:
    """One counted share (never retracted) in the window."""

    id: int
    source_id: int
    shared_at: str


@dataclass(frozen=True)
class CheckFlags:
    """How many counted shares in the window were recorded with this check not passed (`share_flags`)."""

    check_id: str
    label: str | None
    flagged: int


@dataclass(frozen=True)
class RefusedAttempt:
    """A share attempt the gate refused (a `share_refused` event), with the detail it logged."""

    event_id: int
    at: str
    detail: dict[str, Any]  # as the gate logged it: "failed" check ids, "missing_attestations"


@dataclass(frozen=True)
class SharedChecklist:
    """The checklist snapshot recorded with one share."""

    share_id: int
    shared_at: str
    snapshot: dict[str, Any]  # as amplify.checklist wrote it: "checks" (id, label, passed, ...), "probe", ...


# -- review and the share log's check


@dataclass(frozen=True)
class ReviewItem:
    """One item to review, with its source's name and kind (a row of Today)."""

    id: int
    source_id: int
    source_name: str
    source_kind: str
    url: str | None
    title: str
    author: str | None
    published_at: str | None
    sort_at: str
    summary: str
    image_url: str | None
    image_alt: str | None
    state: str


@dataclass(frozen=True)
class FilterOptions:
    """What the filters can offer: only values that some source actually has."""

    sources: tuple[tuple[int, str], ...] = ()
    kinds: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReviewCounts:
    """How many items are in each review state."""

    new: int = 0
    later: int = 0
    queued: int = 0
    by_state: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class ChainBreak:
    """The first share of the log that does not match its hash chain, and why."""

    share_id: int
    reason: str
