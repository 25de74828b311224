"""The audit's windows of time: the last N days, a calendar month, all time; and the audit's error."""

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from amplify.clock import to_iso
from amplify.errors import AmplifyError

LAST_DAYS_CHOICES = (7, 30, 90)


class AuditError(AmplifyError, ValueError):
    """A window or goal the audit cannot use; the message says how to write it."""


# -- windows -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """A half-open stretch of time `[start, end)`; `start` None means from the first share ("all time")."""

    label: str
    start: datetime | None
    end: datetime

    @property
    def during(self) -> str:
        """The window as words that follow a sentence: "over the last 30 days", "in November 2026"."""
        if self.start is None:
            return "since your first share"
        return f"over the {self.label}" if self.label.startswith("last ") else f"in {self.label}"

    @property
    def start_iso(self) -> str | None:
        return to_iso(self.start) if self.start else None

    @property
    def end_iso(self) -> str:
        return to_iso(self.end)


# Stored times have whole seconds: a window that ends "now" includes what happened in this very second.
_THROUGH_NOW = timedelta(seconds=1)


def last_days(days: int, now: datetime) -> Window:
    return Window(f"last {days} days", now - timedelta(days=days), now + _THROUGH_NOW)


# The months a report can cover: the month after the last must still be a date (Python's end at year 9999).
FIRST_YEAR, LAST_YEAR = 1900, 9998


def calendar_month(month: str) -> Window:
    """`YYYY-MM` as a window from the first of that month (UTC) to the first of the next."""
    match = re.fullmatch(r"(\d{4})-(\d{2})", month.strip())
    if not match or not 1 <= int(match[2]) <= 12:
        raise AuditError(f"{month!r} is not a month: write it as YYYY-MM, for example 2026-11")
    year, number = int(match[1]), int(match[2])
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise AuditError(f"{month!r} is outside the months amplify reports on: January {FIRST_YEAR} to December "
                         f"{LAST_YEAR}")
    start = datetime(year, number, 1, tzinfo=UTC)
    end = datetime(year + number // 12, number % 12 + 1, 1, tzinfo=UTC)
    return Window(start.strftime("%B %Y"), start, end)


def all_time(now: datetime) -> Window:
    return Window("all time", None, now + _THROUGH_NOW)


def parse_window(choice: str, now: datetime) -> Window:
    """`7`, `30`, `90` (last N days), `all`, or a month `YYYY-MM`."""
    text = choice.strip().lower()
    if text == "all":
        return all_time(now)
    if text.isdigit() and int(text) in LAST_DAYS_CHOICES:
        return last_days(int(text), now)
    if re.fullmatch(r"\d{4}-\d{2}", text):
        return calendar_month(text)
    raise AuditError(f"{choice!r} is not a window: use 7, 30, 90, all, or a month as YYYY-MM")
