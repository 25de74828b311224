"""Posting slots: the next slot after a moment, in the user's time zone, across daylight-saving changes; and the
settings that hold them in feeds.yml."""

from datetime import UTC, datetime

import pytest

from amplify.follow.validate import follow_list_from_document
from amplify.slots import next_slot, parse_slot


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def test_the_next_slot_is_the_first_one_after_now_in_the_users_zone():
    # Friday 20 November 2026, 09:30 UTC = 10:30 in Berlin.
    now = utc(2026, 11, 20, 9, 30)
    assert next_slot(["Tue 09:00", "Thu 17:30"], "Europe/Berlin", now) == utc(2026, 11, 24, 8, 0)
    assert next_slot(["10:00"], "Europe/Berlin", now) == utc(2026, 11, 21, 9, 0)  # 10:00 today has passed
    assert next_slot(["11:00"], "Europe/Berlin", now) == utc(2026, 11, 20, 10, 0)
    assert next_slot(["Fri 10:30"], "Europe/Berlin", now) == utc(2026, 11, 27, 9, 30)  # now itself is not "next"
    assert next_slot([], "UTC", now) is None


def test_a_time_the_clocks_skip_is_taken_just_after_the_jump():
    # Europe/Berlin goes from 02:00 to 03:00 on Sunday 29 March 2026: 02:30 that night does not exist.
    assert next_slot(["Sun 02:30"], "Europe/Berlin", utc(2026, 3, 28, 12, 0)) == utc(2026, 3, 29, 1, 30)


def test_a_time_that_happens_twice_is_the_first_of_the_two():
    # Europe/Berlin goes from 03:00 back to 02:00 on Sunday 25 October 2026: 02:30 happens twice.
    assert next_slot(["Sun 02:30"], "Europe/Berlin", utc(2026, 10, 24, 12, 0)) == utc(2026, 10, 25, 0, 30)


def test_a_slot_keeps_its_wall_clock_time_on_either_side_of_a_change():
    # New York leaves daylight saving on 1 November 2026: 09:00 is 13:00 UTC before and 14:00 UTC after.
    assert next_slot(["Sat 09:00"], "America/New_York", utc(2026, 10, 30, 0, 0)) == utc(2026, 10, 31, 13, 0)
    assert next_slot(["Mon 09:00"], "America/New_York", utc(2026, 10, 30, 0, 0)) == utc(2026, 11, 2, 14, 0)


@pytest.mark.parametrize("text", ["Tue", "25:00", "Tus 09:00", "9", "Tue 09:60", ""])
def test_a_slot_that_is_not_a_time_says_how_to_write_one(text):
    with pytest.raises(ValueError, match="like \"Tue 09:00\""):
        parse_slot(text)


def test_posting_settings_are_read_and_a_bad_one_is_reported_with_the_default_kept():
    good = follow_list_from_document({"settings": {
        "post_visibility": "unlisted", "language": "DE", "timezone": "Europe/Berlin",
        "schedule": {"mastodon": ["Tue 09:00", "Thu 17:30"], "bluesky": "09:00"},
    }})
    assert good.problems == ()
    settings = good.settings
    assert (settings.post_visibility, settings.language, settings.timezone) == ("unlisted", "de", "Europe/Berlin")
    assert settings.schedule == {"mastodon": ("Tue 09:00", "Thu 17:30"), "bluesky": ("09:00",)}
    bad = follow_list_from_document({"settings": {
        "post_visibility": "everyone", "language": "english", "timezone": "Mars/Olympus",
        "schedule": {"mastodon": ["Tuesday at nine"], "x": ["09:00"]},
    }})
    assert [problem.field for problem in bad.problems] == ["post_visibility", "language", "timezone", "schedule",
                                                           "schedule"]
    assert bad.settings.post_visibility == "public" and bad.settings.timezone == "UTC" and bad.settings.schedule == {}
