"""clock.relative_time: when something happened, as a person says it (the pages and `amplify sources` use it)."""

from datetime import timedelta

import pytest
from support import FIXED_NOW

from amplify.clock import relative_time, to_iso


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
