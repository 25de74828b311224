"""clock.relative_time: when something happened, as a person says it (the pages and `amplify sources` use it);
clock.period_start: the first day of a period the filters offer."""

from datetime import date, timedelta

import pytest
from support import FIXED_NOW

from amplify.clock import PERIODS, period_start, relative_time, to_iso


@pytest.mark.parametrize(("ago", "said"), [
    (timedelta(seconds=30), "just now"),
    (timedelta(seconds=-120), "just now"),  # written a moment after `now` was read
    (timedelta(minutes=1), "1 minute ago"),
    (timedelta(minutes=59), "59 minutes ago"),
    (timedelta(hours=3), "3 hours ago"),
    (timedelta(hours=30), "yesterday"),
    (timedelta(days=6), "6 days ago"),
    (timedelta(days=8), f"on {(FIXED_NOW - timedelta(days=8)).day} {FIXED_NOW - timedelta(days=8):%b %Y}"),
    (timedelta(days=-2), f"on {(FIXED_NOW + timedelta(days=2)).day} {FIXED_NOW + timedelta(days=2):%b %Y}"),
])
def test_relative_time(ago, said):
    assert relative_time(FIXED_NOW - ago, FIXED_NOW) == said
    assert relative_time(to_iso(FIXED_NOW - ago), FIXED_NOW) == said


def test_an_unknown_time_says_so():
    assert relative_time(None, FIXED_NOW) == "date unknown"


@pytest.mark.parametrize(("period", "start"), [
    ("Any time", None),
    ("Today", date(2026, 11, 20)),
    ("Since yesterday", date(2026, 11, 19)),
    ("Last 7 days", date(2026, 11, 13)),
    ("Last 30 days", date(2026, 10, 21)),
    ("Last 90 days", date(2026, 8, 22)),
    ("This year", date(2026, 1, 1)),
])
def test_period_start(period, start):
    assert period in PERIODS
    assert period_start(period, FIXED_NOW.date()) == start


def test_this_year_on_new_years_day_is_today():
    assert period_start("This year", date(2027, 1, 1)) == date(2027, 1, 1)


def test_an_unknown_period_is_refused_plainly():
    with pytest.raises(ValueError, match="no such period 'Last week'; choose one of Any time, This year"):
        period_start("Last week", FIXED_NOW.date())
