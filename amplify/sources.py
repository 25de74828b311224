"""The follow list: `feeds.yml`, its schema, loading with per-entry validation, and round-trip writing.

The file is the truth for *whom* the user follows; the database is the truth for *what happened*. A bad entry is
reported by line and field and skipped; the other sources still load.
"""

from dataclasses import dataclass, field

KINDS = ("creator", "business", "organization")
CREDIT_PREFERENCES = ("tag", "name", "ask")
NETWORKS = ("mastodon", "bluesky", "x", "linkedin", "threads")


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


@dataclass(frozen=True)
class Settings:
    """The optional `settings:` block."""

    networks: tuple[str, ...] = ("mastodon", "bluesky")
    mastodon_instance: str = "mastodon.social"
    goals: dict[str, object] = field(default_factory=dict)


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
