"""Posting slots: "Tue 09:00" (each Tuesday at 09:00) or "09:00" (every day), in the user's time zone.

Pure arithmetic, no I/O: the next slot after a moment, as a UTC time. Across a daylight-saving change a slot means
the wall-clock time that day: a time the clocks skip (02:30 on the night they go forward) is taken as if the clocks
had not changed yet, which lands just after the jump (03:30); a time that happens twice (01:30 on the night they go
back) is the first of the two.
"""

import re
from collections.abc import Iterable
from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_SLOT = re.compile(r"^(?:(?P<day>[A-Za-z]{3})[a-z]*\s+)?(?P<hour>\d{1,2}):(?P<minute>\d{2})$")


def parse_slot(text: str) -> tuple[int | None, time]:
    """The weekday (0 = Monday; None for every day) and the time of a slot; ValueError saying how to write it."""
    found = _SLOT.match(str(text).strip())
    if found is not None:
        day = found["day"]
        weekday = None if day is None else next((i for i, name in enumerate(DAYS) if name.lower() == day.lower()),
                                                -1)
        hour, minute = int(found["hour"]), int(found["minute"])
        if weekday != -1 and hour < 24 and minute < 60:
            return weekday, time(hour, minute)
    raise ValueError(f"{text!r} is not a posting time; write a day and a 24-hour time, like \"Tue 09:00\", or "
                     "just \"09:00\" for every day")


def zone(name: str) -> "ZoneInfo":
    """The time zone named (like Europe/Berlin); ValueError when there is none of that name."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError  # here: reading a follow list with no time zone needs none

    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(f"{name!r} is not a time zone name; use one like Europe/Berlin or America/New_York") \
            from error


def next_slot(slot_texts: Iterable[str], zone_name: str, now: datetime) -> datetime | None:
    """The first slot strictly after `now` (aware), as a UTC time; None when there are no slots."""
    parsed = [parse_slot(text) for text in slot_texts]
    if not parsed:
        return None
    where = zone(zone_name)
    today = now.astimezone(where).date()
    candidates = []
    for offset in range(8):
        day = today + timedelta(days=offset)
        for weekday, at in parsed:
            if weekday is None or weekday == day.weekday():
                # Through UTC and back, a skipped wall-clock time becomes the real moment it stands for.
                moment = datetime.combine(day, at, tzinfo=where).astimezone(UTC)
                if moment > now:
                    candidates.append(moment)
    return min(candidates)
