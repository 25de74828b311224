"""Constants and small helpers tests share (import as `from support import ...`; conftest.py files are not
importable by name, since tests/ and tests/browser/ each have one)."""

from datetime import UTC, datetime

import click

FIXED_NOW = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


def source_by_name(store, name):
    """One source row by name, as `Store.source_by_id` gives it: the exact spelling first, else any spelling
    feeds.yml takes as the same name (the followed source first)."""
    exact = store.row("SELECT id FROM sources WHERE name = ? ORDER BY id LIMIT 1", (name,))
    ids = [exact["id"]] if exact else store.source_ids_named(name)
    return store.source_by_id(ids[0]) if ids else None


def every_command(group, path=()):
    """Each command of a click group and of its subgroups, as (path, command), as `--help` finds them: commands the
    group loads only when asked for are loaded."""
    context = click.Context(group)
    for name in group.list_commands(context):
        command = group.get_command(context, name)
        yield (*path, name), command
        if isinstance(command, click.Group):
            yield from every_command(command, (*path, name))


class MovingClock:
    """A store's clock that the test moves (`clock.now = ...`); it starts at FIXED_NOW."""

    def __init__(self) -> None:
        self.now = FIXED_NOW

    def __call__(self) -> datetime:
        return self.now


class Waits(list):
    """Stands in for time.sleep: records each wait instead of sleeping."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)
