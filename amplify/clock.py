"""Time in one place: every timestamp amplify stores is UTC ISO 8601 with seconds (`2026-11-22T01:04:13+00:00`),
so text order is time order. Functions that depend on "now" take it as an argument, which keeps tests exact."""

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

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


# Periods a filter offers in place of a calendar, each by how many days before today it starts (0: today).
# "This year" starts on 1 January; "Any time" has no start.
ANY_TIME = "Any time"
THIS_YEAR = "This year"
DAYS_BACK = {"Today": 0, "Since yesterday": 1, "Last 7 days": 7, "Last 30 days": 30, "Last 90 days": 90}
PERIODS = (ANY_TIME, THIS_YEAR, *DAYS_BACK)


def period_start(period: str, today: date) -> date | None:
    """The first day (UTC) a period named in `PERIODS` covers, up to and including today; None for any time."""
    if period == ANY_TIME:
        return None
    if period == THIS_YEAR:
        return today.replace(month=1, day=1)
    if period not in DAYS_BACK:
        raise ValueError(f"no such period {period!r}; choose one of {', '.join(PERIODS)}")
    return today - timedelta(days=DAYS_BACK[period])
