"""What a refresh did, in figures a user and a script can read."""

import json
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class FeedProblem:
    """One feed that could not be refreshed, and why, in words a user can act on."""

    source: str
    feed: str
    error: str


@dataclass
class RefreshReport:
    """What one refresh did. `feeds` counts the feeds that were due (a feed backing off is not). A `stopped` run
    was asked to end early: its counts are what it stored by then, and the feeds it did not reach wait for the next."""

    feeds: int = 0
    stopped: bool = False
    fetched: int = 0
    not_modified: int = 0
    failed: int = 0
    new_items: int = 0
    seconds: float = 0.0
    errors: list[FeedProblem] = field(default_factory=list)
    # Bodies read by each parse path ("fastfeedparser", "feedparser", "json"; see amplify/parse/): a feed that
    # moves to feedparser, the slow safety net, shows up here and in the refresh events.
    parsers: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "seconds": round(self.seconds, 3)}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False)
