"""feeds.yml's `allow_private_addresses`: read, checked, and remembered for the refresh that does not read the file.

(What it allows is tested in tests/hostile/, which runs without the suite's AMPLIFY_ALLOW_PRIVATE.)"""

import pytest

from amplify.fetch import FetchLimits, private_addresses_allowed
from amplify.follow.load import parse_follow_list

SOURCES = "sources:\n  - name: Ada\n    feed: https://ada.example/feed.xml\n"


@pytest.mark.parametrize(("value", "allowed"), [("true", True), ("false", False), ("True", True)])
def test_the_setting_is_true_or_false(value, allowed):
    follow_list = parse_follow_list(f"settings:\n  allow_private_addresses: {value}\n{SOURCES}")
    assert follow_list.settings.allow_private_addresses is allowed
    assert follow_list.problems == ()


@pytest.mark.parametrize("value", ["yes", '"true"', "1", "[true]"])
def test_anything_else_is_a_problem_and_private_addresses_stay_refused(value):
    follow_list = parse_follow_list(f"settings:\n  allow_private_addresses: {value}\n{SOURCES}")
    assert follow_list.settings.allow_private_addresses is False
    assert [str(problem) for problem in follow_list.problems] == [
        f"feeds.yml line 2: `allow_private_addresses` must be true or false, not {problem_value(value)}; "
        "private addresses stay refused"]
    assert [source.name for source in follow_list.sources] == ["Ada"]  # the sources still load


def problem_value(value: str) -> str:
    return {"yes": "'yes'", '"true"': "'true'", "1": "1", "[true]": "[True]"}[value]


def test_the_default_refuses_them():
    assert parse_follow_list(SOURCES).settings.allow_private_addresses is False
    assert FetchLimits().allow_private_addresses is False


def test_a_sync_remembers_the_setting_until_the_file_changes(store):
    store.sync_sources(parse_follow_list(f"settings:\n  allow_private_addresses: true\n{SOURCES}"))
    assert store.synced_allows_private_addresses() is True
    store.sync_sources(parse_follow_list(SOURCES))
    assert store.synced_allows_private_addresses() is False


def test_a_store_never_synced_allows_nothing(store):
    assert store.synced_allows_private_addresses() is False


@pytest.mark.parametrize(("value", "allowed"), [("1", True), ("true", True), ("0", False), ("", False)])
def test_the_environment_variable(monkeypatch, value, allowed):
    monkeypatch.setenv("AMPLIFY_ALLOW_PRIVATE", value)
    assert private_addresses_allowed(FetchLimits()) is allowed
    assert private_addresses_allowed(FetchLimits(allow_private_addresses=True)) is True
