"""The voice audit's record: `report`, `export shares`, `forget`, `verify`."""

from pathlib import Path
from typing import TYPE_CHECKING

import click

from amplify.cli.base import cli, db_option, feeds_option, write_out

if TYPE_CHECKING:
    from amplify.audit import Goals


def _audit_goals(feeds_file: Path) -> "Goals":
    """Goals from feeds.yml `settings: goals:`; no file means no goals; bad goals only warn."""
    from amplify.audit import AuditError, Goals, goals_from_settings
    from amplify.follow.errors import FollowListError
    from amplify.follow.load import load_follow_list

    if not feeds_file.exists():
        return Goals()
    try:
        return goals_from_settings(load_follow_list(feeds_file).settings.goals)
    except (FollowListError, AuditError) as error:
        click.echo(f"{feeds_file}: {error} (the report leaves goals out)", err=True)
        return Goals()



@cli.command("report")
@click.option("--month", required=True, help="The month to report on, as YYYY-MM (for example 2026-11).")
@click.option("--format", "fmt", type=click.Choice(["md", "html"]), default="md", show_default=True,
              help="Markdown, or a standalone HTML page.")
@click.option("--output", "-o", type=click.Path(dir_okay=False),
              help="Write to this file instead of printing.")
@db_option
@feeds_option("Follow list, for your goals")
def report_command(month: str, fmt: str, output: str | None, db: str | None, feeds: str | None) -> None:
    """Write the monthly amplification report: whose voices you shared that month, and your goals."""
    from amplify import config
    from amplify.report import monthly_report
    from amplify.report_render import render
    from amplify.store import Store

    goals = _audit_goals(config.feeds_path(feeds))
    with Store(config.db_path(db)) as store:
        report = monthly_report(store, month, store.clock(), goals)
    write_out(render(report, fmt), output)


@cli.group("export")
def export_group() -> None:
    """Export your records for use elsewhere (a spreadsheet, Datasette, a backup)."""


@export_group.command("shares")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True,
              help="CSV for spreadsheets, JSON for programs.")
@click.option("--output", "-o", type=click.Path(dir_okay=False),
              help="Write to this file instead of printing.")
@db_option
def export_shares_command(fmt: str, output: str | None, db: str | None) -> None:
    """Every post you marked shared, oldest first, retracted ones marked (no identity labels)."""
    from amplify import config
    from amplify.export import export_shares
    from amplify.store import Store

    with Store(config.db_path(db)) as store:
        text = export_shares(store, fmt)
    write_out(text, output)


@cli.command("forget")
@click.argument("source")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@click.option("--redact-shares", is_flag=True,
              help="Also show the words of your shares of their work as redacted, everywhere amplify shows or "
                   "exports them (the share log itself is append-only).")
@db_option
@feeds_option()
def forget_command(source: str, yes: bool, redact_shares: bool, db: str | None, feeds: str | None) -> None:
    """Forget who SOURCE is: drop their identity labels, handles and notes, and rename them.

    SOURCE matches the way feeds.yml matches names: any case or spacing. Your record of what you shared stays as
    it is (a handle inside the words of a share stays, unless you add --redact-shares); from now on the audit
    counts those shares as "not stated".
    """
    from amplify import config
    from amplify.follow.sync import forget_source
    from amplify.store import Store

    if not yes:
        click.confirm(
            f"Forget who {source!r} is? Their labels, handles and notes are removed for good", abort=True
        )
    with Store(config.db_path(db)) as store:
        new_name = forget_source(config.feeds_path(feeds), store, source, redact_shares=redact_shares)
    if redact_shares:
        click.echo(f"Forgotten: {source!r} is now {new_name!r}. Your shares of their work stay in your record, "
                   "their words shown as redacted.")
    else:
        click.echo(f"Forgotten: {source!r} is now {new_name!r}. Your shares of their work stay in your record; "
                   "a handle inside their words stays too (--redact-shares hides those words).")


@cli.command("verify")
@db_option
def verify_command(db: str | None) -> None:
    """Check that your share log was not rewritten: every share matches its hash chain, and the triggers that
    keep the log append-only are all there. Exits with status 1 when something does not match."""
    from amplify import config
    from amplify.store import Store

    path = config.db_path(db)
    if not path.exists():  # opening it would create an empty database, whose log is trivially well
        raise click.ClickException(f"{path}: there is no database there, so there is nothing to check; give the "
                                   "file amplify uses with --db (or AMPLIFY_DB)")
    with Store(path) as store:
        broken = store.verify_share_log()
        count = store.scalar("SELECT count(*) FROM shares")
        refusal = store.write_refusal
    if broken is not None:
        click.echo(f"Share {broken.share_id} does not match the share log's hash chain: {broken.reason}. "
                   "The shares before it match.")
    elif count:
        click.echo(f"All is well: the {count} share{'' if count == 1 else 's'} in your log "
                   f"match{'es its hash' if count == 1 else ' their hashes'}.")
    else:
        click.echo("All is well: your share log is empty, so nothing can have been rewritten.")
    if refusal is not None:
        click.echo(refusal)
    if broken is not None or refusal is not None:
        raise SystemExit(1)

