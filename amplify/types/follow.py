"""The follow list as feeds.yml describes it: `Source`, `Settings`, `Problem`, `FollowList` (read and written by
`amplify.follow`, synced into the store by `amplify.follow.sync`)."""

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
