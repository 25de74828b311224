"""Time in one place: every timestamp amplify stores is UTC ISO 8601 with seconds (`2026-11-22T01:04:13+00:00`),
so text order is time order. Functions that depend on "now" take it as an argument, which keeps tests exact."""

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]
# A time up to this far "ahead" of now still reads "just now": it was written after `now` was read, or by a clock
# a little ahead.
CLOCK_SKEW_SECONDS = 300


def utcnow() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def to_iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(microsecond=0).isoformat()


def from_iso(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def relative_time(moment: str | datetime | None, now: datetime) -> str:
    """"3 hours ago", "yesterday", "on 2 Nov 2026": how a person says when something happened."""
    if moment is None:
        return "date unknown"
    when = from_iso(moment) if isinstance(moment, str) else moment
    seconds = (now - when).total_seconds()
    if -CLOCK_SKEW_SECONDS < seconds < 60:  # a moment ago, or a moment "ahead" (written after `now` was read)
        return "just now"
    if seconds < 0:
        return f"on {when.day} {when:%b %Y}"
    for unit_seconds, unit, limit in ((60, "minute", 60), (3600, "hour", 24)):
        count = int(seconds // unit_seconds)
        if count < limit:
            return f"{count} {unit}{'' if count == 1 else 's'} ago"
    days = int(seconds // 86400)
    if days == 1:
        return "yesterday"
    if days < 7:
        return f"{days} days ago"
    return f"on {when.day} {when:%b %Y}"
