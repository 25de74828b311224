"""The records that cross layers: what the core hands the store and the store keeps. Import them from here.

Every record is a frozen dataclass. The store imports them from here and from no core module, so a page, the core
and the store can each be read, and changed, without the others.

One module a family, each naming its records in its own docstring:
- `follow`: the follow list as feeds.yml describes it (`Source`, `Settings`, `Problem`, `FollowList`);
- `feeds`: what one refresh learned about one feed (`FeedUpdate`, `Entry`) and whether a link resolves
  (`LinkProbe`);
- `records`: what the store returns, one record per kind of row (`SourceRecord`, `Draft`, `Share`, ...), never a
  dict of a row;
- `network`: what a share reached (`ReachSnapshot`, ...), the connected accounts (`Account`, `InstanceRules`) and
  posting (`OutboxRow`, `PostMaterial`).
"""

from amplify.types.feeds import (
    Entry,
    FeedUpdate,
    LinkProbe,
)
from amplify.types.follow import (
    CREDIT_PREFERENCES,
    KINDS,
    FollowList,
    Problem,
    Settings,
    Source,
)
from amplify.types.network import (
    OUTBOX_STATES,
    Account,
    InstanceRules,
    OutboxRow,
    PostMaterial,
    ReachCounts,
    ReachShare,
    ReachSnapshot,
    ShareReach,
)
from amplify.types.records import (
    Attestation,
    AuditShare,
    AuditSource,
    ChainBreak,
    CheckFlags,
    Draft,
    DraftPost,
    FailedFeed,
    FeedRecord,
    FilterOptions,
    FollowedAccount,
    FollowImport,
    LastRefresh,
    LinkProbeRecord,
    RefusedAttempt,
    ReviewCounts,
    ReviewItem,
    Share,
    SharedChecklist,
    ShareExport,
    ShareSubject,
    SourceActivity,
    SourceHealth,
    SourceRecord,
)

__all__ = [
    "Account",
    "Attestation",
    "AuditShare",
    "AuditSource",
    "CREDIT_PREFERENCES",
    "ChainBreak",
    "CheckFlags",
    "Draft",
    "DraftPost",
    "Entry",
    "FailedFeed",
    "FeedRecord",
    "FeedUpdate",
    "FilterOptions",
    "FollowImport",
    "FollowList",
    "FollowedAccount",
    "InstanceRules",
    "KINDS",
    "LastRefresh",
    "LinkProbe",
    "LinkProbeRecord",
    "OUTBOX_STATES",
    "OutboxRow",
    "PostMaterial",
    "Problem",
    "ReachCounts",
    "ReachShare",
    "ReachSnapshot",
    "RefusedAttempt",
    "ReviewCounts",
    "ReviewItem",
    "Settings",
    "Share",
    "ShareExport",
    "ShareReach",
    "ShareSubject",
    "SharedChecklist",
    "Source",
    "SourceActivity",
    "SourceHealth",
    "SourceRecord",
]
