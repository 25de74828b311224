"""The `amplify` group and what its commands share: --db, --feeds, --port/--host, and the small helpers for
writing output and reporting feeds.yml problems. Commands let an `AmplifyError` rise: the group turns it into a
clean message and exit status 1, in one place."""

import importlib
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from amplify import __version__

if TYPE_CHECKING:
    from amplify.fetch import FetchLimits
    from amplify.types import FollowList, Problem


# Which module beside this one adds each command. A module is imported only when one of its commands is asked for
# (click's lazy-loading pattern), so `amplify refresh` loads none of the others; `amplify --help` loads them all.
COMMAND_MODULES = {
    "account": "accounts",
    "add": "follow", "export-opml": "follow", "import-follows": "follow", "import-opml": "follow", "sources": "follow",
    "post": "posting", "post-due": "posting",
    "reach": "reach",
    "export": "records", "forget": "records", "report": "records", "verify": "records",
    "refresh": "refresh",
    "demo": "serve", "run": "serve",
}


class _Commands(click.Group):
    """The top-level group. Its commands are loaded from `COMMAND_MODULES` when first asked for.

    Any `AmplifyError` from a command (or a command of a subgroup) ends it with the error's message on stderr and exit
    status 1, as a `click.ClickException` would; other errors are bugs and show as such."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *COMMAND_MODULES})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMAND_MODULES:
            importlib.import_module(f"amplify.cli.{COMMAND_MODULES[cmd_name]}")  # its decorators add it to the group
        return super().get_command(ctx, cmd_name)

    def invoke(self, ctx: click.Context) -> Any:
        from amplify.errors import AmplifyError

        try:
            return super().invoke(ctx)
        except AmplifyError as error:
            raise click.ClickException(str(error)) from error


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="amplify")
def cli() -> None:
    """Amplify creators and businesses owned by underrepresented people.

    Gather what they publish, review it daily, draft posts that credit and center them, verify before sharing,
    and keep an honest record of whose voices you amplify.
    """


def serving_options(command: Callable[..., None]) -> Callable[..., None]:
    """--port and --host, for the commands that serve the app (`run`, `demo`)."""
    command = click.option("--host", default="127.0.0.1", show_default=True,
                           help="Address to listen on. Only this computer can reach the app unless you change "
                                "it.")(command)
    return click.option("--port", type=click.IntRange(1, 65535), default=8501, show_default=True,
                        help="Port to serve the app on.")(command)


def db_option(command: Callable[..., None]) -> Callable[..., None]:
    """--db, the same on every command that opens the database."""
    return click.option("--db", "db", type=click.Path(dir_okay=False),
                        help="Database file (default: AMPLIFY_DB, else ./amplify.db).")(command)


def feeds_option(
    what: str = "Follow list", *, created: bool = False
) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """--feeds, the same on every command that reads feeds.yml; `what` says what this command uses it for."""
    where = "AMPLIFY_FEEDS, else ./feeds.yml" + ("; created if missing" if created else "")
    return click.option("--feeds", "feeds", type=click.Path(dir_okay=False), help=f"{what} (default: {where}).")


def write_out(text: str, output: str | None) -> None:
    """Print `text`, or write it to the file `output` and say so on stderr (so stdout stays the data)."""
    if output is None:
        click.echo(text, nl=False)
        return
    try:
        Path(output).write_text(text, encoding="utf-8")
    except OSError as error:
        raise click.ClickException(f"{output}: cannot write the file ({error.strerror or error})") from error
    click.echo(f"Wrote {output}", err=True)



def follow_list_or_exit(feeds_file: Path) -> "FollowList":
    """The follow list, with each bad entry reported on stderr; an unusable file ends the command."""
    from amplify.follow.load import load_follow_list

    follow_list = load_follow_list(feeds_file)
    report_skipped(follow_list.problems)
    return follow_list


def report_skipped(problems: "Iterable[Problem]") -> None:
    """Each bad feeds.yml entry on stderr: the command goes on without it."""
    for problem in problems:
        click.echo(f"{problem} (skipped)", err=True)



def fetch_limits(feeds_file: Path) -> "FetchLimits":
    """How to fetch: the usual limits, allowing private addresses when feeds.yml says so (a missing or unusable
    file allows nothing more)."""
    from amplify.fetch import FetchLimits
    from amplify.follow.errors import FollowListError
    from amplify.follow.load import load_follow_list

    try:
        allowed = feeds_file.exists() and load_follow_list(feeds_file).settings.allow_private_addresses
    except FollowListError:
        allowed = False
    return FetchLimits(allow_private_addresses=allowed)

