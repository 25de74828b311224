"""One error family: every error amplify means a person to read is an AmplifyError, and the CLI shows any of them
as a clean message in one place."""

import importlib
import inspect
import pkgutil

import click
import pytest
from click.testing import CliRunner

import amplify
from amplify.cli import cli
from amplify.errors import AmplifyError

# Raised and caught inside the fetch package (transfer and client turn them into FetchErrors), never shown as they are.
INTERNAL = {"amplify.fetch.addresses.RefusedAddress", "amplify.fetch.target.BadTarget", "amplify.fetch.target.BadPort",
            "amplify.fetch.connections.ConnectError", "amplify.fetch.connections.ConnectTimeout",
            "amplify.fetch.connections.PoolTimeout"}


def _amplify_exceptions() -> set[type[BaseException]]:
    found: set[type[BaseException]] = set()
    for module_info in pkgutil.walk_packages(amplify.__path__, "amplify."):
        if module_info.name.startswith("amplify.ui") or module_info.name.endswith("__main__"):
            continue  # pages import streamlit and define no errors; __main__ runs the command
        module = importlib.import_module(module_info.name)
        for _, value in inspect.getmembers(module, inspect.isclass):
            if issubclass(value, BaseException) and value.__module__.startswith("amplify."):
                found.add(value)
    return found


def test_every_amplify_error_is_in_the_family() -> None:
    errors = {error for error in _amplify_exceptions() if f"{error.__module__}.{error.__qualname__}" not in INTERNAL}
    assert {"FetchError", "StoreError", "ShareRefused", "FollowListError", "ComposeError", "DiscoveryError",
            "OPMLError", "AuditError"} <= {error.__name__ for error in errors}
    outside = sorted(error.__qualname__ for error in errors if not issubclass(error, AmplifyError))
    assert outside == []


@pytest.mark.parametrize("make", [lambda: AmplifyError("the disk is full: free some space"),
                                  lambda: __import__("amplify.store", fromlist=["StoreError"]).StoreError(
                                      "the disk is full: free some space")])
def test_the_cli_turns_any_amplify_error_into_a_clean_message(make) -> None:
    @cli.command("fails-for-test")
    def fails() -> None:
        """Raise, as a command can."""
        raise make()

    try:
        result = CliRunner().invoke(cli, ["fails-for-test"])
    finally:
        cli.commands.pop("fails-for-test")
    assert result.exit_code == 1
    assert result.output.strip() == "Error: the disk is full: free some space"
    assert not isinstance(result.exception, AmplifyError)  # handled: click exits, no traceback


def test_other_errors_are_not_dressed_as_messages() -> None:
    @cli.command("breaks-for-test")
    def breaks() -> None:
        """A bug, not a message."""
        raise KeyError("bug")

    try:
        result = CliRunner().invoke(cli, ["breaks-for-test"])
    finally:
        cli.commands.pop("breaks-for-test")
    assert isinstance(result.exception, KeyError)
    assert not isinstance(result.exception, click.ClickException)
