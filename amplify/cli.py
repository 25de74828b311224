"""The `amplify` command: a thin click layer over the core. Every command has --help text (a test checks).

Commands let an `AmplifyError` rise: the group turns it into a clean message and exit status 1, in one place.
"""

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from amplify import __version__
from amplify.networks import FOLLOW_LIST_IMPORTS
from amplify.types import CREDIT_PREFERENCES, KINDS

if TYPE_CHECKING:
    from datetime import datetime

    from amplify.audit import Goals
    from amplify.fetch import FetchLimits
    from amplify.follows import Candidate
    from amplify.refresh import RefreshReport
    from amplify.types import FollowList, Problem


class _Commands(click.Group):
    """The top-level group. Any `AmplifyError` from a command (or a command of a subgroup) ends it with the error's
    message on stderr and exit status 1, as a `click.ClickException` would; other errors are bugs and show as such."""

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


def _serving_options(command: Callable[..., None]) -> Callable[..., None]:
    """--port and --host, for the commands that serve the app (`run`, `demo`)."""
    command = click.option("--host", default="127.0.0.1", show_default=True,
                           help="Address to listen on. Only this computer can reach the app unless you change "
                                "it.")(command)
    return click.option("--port", type=click.IntRange(1, 65535), default=8501, show_default=True,
                        help="Port to serve the app on.")(command)


def _db_option(command: Callable[..., None]) -> Callable[..., None]:
    """--db, the same on every command that opens the database."""
    return click.option("--db", "db", type=click.Path(dir_okay=False),
                        help="Database file (default: AMPLIFY_DB, else ./amplify.db).")(command)


def _feeds_option(
    what: str = "Follow list", *, created: bool = False
) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """--feeds, the same on every command that reads feeds.yml; `what` says what this command uses it for."""
    where = "AMPLIFY_FEEDS, else ./feeds.yml" + ("; created if missing" if created else "")
    return click.option("--feeds", "feeds", type=click.Path(dir_okay=False), help=f"{what} (default: {where}).")


@cli.command("run")
@_db_option
@_feeds_option()
@_serving_options
def run_command(db: str | None, feeds: str | None, port: int, host: str) -> None:
    """Start the app in your browser (served on 127.0.0.1; the database is created on first use)."""
    from amplify import config
    from amplify.store import Store

    db_file, feeds_file = config.db_path(db), config.feeds_path(feeds)
    # create or migrate the database now, so a bad path is reported here rather than in the browser
    Store(db_file).close()
    if not feeds_file.exists():
        click.echo(f"No follow list at {feeds_file} yet: add sources on the Sources page.", err=True)
    _serve_app(db_file, feeds_file, host, port)


def _serve_app(db_file: Path, feeds_file: Path, host: str, port: int) -> None:
    """Serve the app until it stops (`amplify run` and `amplify demo`), then exit with its status."""
    from amplify import launch

    # before any address is printed: an address that will not answer would only mislead
    launch.check_can_listen(host, port)
    if host != launch.LOOPBACK:
        click.echo(f"Listening on {host}: other computers on your network can open the app.", err=True)
    shown_host = "localhost" if host == launch.LOOPBACK else host
    click.echo(f"amplify is at http://{shown_host}:{port}  (Ctrl-C stops it)")
    raise SystemExit(launch.serve_app(db=db_file, feeds=feeds_file, host=host, port=port))


# -- the voice audit: report, export, forget


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


def _write_out(text: str, output: str | None) -> None:
    """Print `text`, or write it to the file `output` and say so on stderr (so stdout stays the data)."""
    if output is None:
        click.echo(text, nl=False)
        return
    try:
        Path(output).write_text(text, encoding="utf-8")
    except OSError as error:
        raise click.ClickException(f"{output}: cannot write the file ({error.strerror or error})") from error
    click.echo(f"Wrote {output}", err=True)


@cli.command("report")
@click.option("--month", required=True, help="The month to report on, as YYYY-MM (for example 2026-11).")
@click.option("--format", "fmt", type=click.Choice(["md", "html"]), default="md", show_default=True,
              help="Markdown, or a standalone HTML page.")
@click.option("--output", "-o", type=click.Path(dir_okay=False),
              help="Write to this file instead of printing.")
@_db_option
@_feeds_option("Follow list, for your goals")
def report_command(month: str, fmt: str, output: str | None, db: str | None, feeds: str | None) -> None:
    """Write the monthly amplification report: whose voices you shared that month, and your goals."""
    from amplify import config
    from amplify.report import monthly_report, render
    from amplify.store import Store

    goals = _audit_goals(config.feeds_path(feeds))
    with Store(config.db_path(db)) as store:
        report = monthly_report(store, month, store.clock(), goals)
    _write_out(render(report, fmt), output)


@cli.group("export")
def export_group() -> None:
    """Export your records for use elsewhere (a spreadsheet, Datasette, a backup)."""


@export_group.command("shares")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True,
              help="CSV for spreadsheets, JSON for programs.")
@click.option("--output", "-o", type=click.Path(dir_okay=False),
              help="Write to this file instead of printing.")
@_db_option
def export_shares_command(fmt: str, output: str | None, db: str | None) -> None:
    """Every post you marked shared, oldest first, retracted ones marked (no identity labels)."""
    from amplify import config
    from amplify.report import export_shares
    from amplify.store import Store

    with Store(config.db_path(db)) as store:
        text = export_shares(store, fmt)
    _write_out(text, output)


@cli.command("forget")
@click.argument("source")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@click.option("--redact-shares", is_flag=True,
              help="Also show the words of your shares of their work as redacted, everywhere amplify shows or "
                   "exports them (the share log itself is append-only).")
@_db_option
@_feeds_option()
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
@_db_option
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


# -- the follow list: sources, add, import-opml, export-opml


def _follow_list_or_exit(feeds_file: Path) -> "FollowList":
    """The follow list, with each bad entry reported on stderr; an unusable file ends the command."""
    from amplify.follow.load import load_follow_list

    follow_list = load_follow_list(feeds_file)
    _report_skipped(follow_list.problems)
    return follow_list


def _report_skipped(problems: "Iterable[Problem]") -> None:
    """Each bad feeds.yml entry on stderr: the command goes on without it."""
    for problem in problems:
        click.echo(f"{problem} (skipped)", err=True)


@cli.command("sources")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of a table.")
@click.option("--summary", is_flag=True,
              help="Your follow list at a glance instead: sources by kind and by the labels they use of themselves, "
                   "how many posted in the last 30 days, who has been quiet for 90.")
@_db_option
@_feeds_option()
def sources_command(as_json: bool, summary: bool, db: str | None, feeds: str | None) -> None:
    """List the sources you follow, with how their feeds are doing: last fetch, status, error, items."""
    import json

    from amplify import config
    from amplify.clock import relative_time
    from amplify.store import Store

    follow_list = _follow_list_or_exit(config.feeds_path(feeds))
    with Store(config.db_path(db)) as store:
        store.sync_sources(follow_list)
        health = store.source_health()
        activity = store.source_activity() if summary else {}
        now = store.clock()
    if summary:
        _print_glance(follow_list, activity, now, as_json=as_json)
        return
    if as_json:
        problems = [{"line": problem.line, "field": problem.field, "message": str(problem)}
                    for problem in follow_list.problems]
        click.echo(json.dumps({"sources": health, "problems": problems}, ensure_ascii=False))
        return
    if not health:
        click.echo("You follow no sources yet. Add one with: amplify add https://their-site.example")
        return
    for source in health:
        click.echo(f"{source['name']}  ({source['kind']}, {source['feed_count']} feed"
                   f"{'' if source['feed_count'] == 1 else 's'}, {source['item_count']} items)")
        if source["last_fetched_at"] is None:
            click.echo("    not fetched yet: `amplify refresh` fetches it")
        else:
            status = f"HTTP {source['last_status']}" if source["last_status"] else "no answer"
            click.echo(f"    last fetch: {relative_time(source['last_fetched_at'], now)}, {status}")
        if source["last_error"]:
            click.echo(f"    error ({source['error_count']} in a row): {source['last_error']}")


def _print_glance(follow_list: "FollowList", activity: dict[str, dict[str, Any]], now: "datetime", *,
                  as_json: bool) -> None:
    import json
    from dataclasses import asdict

    from amplify.glance import Activity, glance, summary_lines

    shape = glance(follow_list.sources, {name: Activity(**known) for name, known in activity.items()}, now)
    if as_json:
        click.echo(json.dumps(asdict(shape), ensure_ascii=False))
        return
    for line in summary_lines(shape):
        click.echo(line)


@cli.command("import-follows")
@click.argument("network", type=click.Choice(FOLLOW_LIST_IMPORTS))
@click.argument("account")
@click.option("--all", "take_all", is_flag=True, help="Follow everyone on the list you do not follow yet.")
@click.option("--pick", "picks", multiple=True, metavar="HANDLE_OR_NUMBER",
              help="Follow this account from the list, by handle or by its number in the list (repeatable).")
@click.option("--list", "list_only", is_flag=True, help="Only show the list; follow no one.")
@click.option("--server", help="The server to ask, when it is not https://INSTANCE (Mastodon) or Bluesky's public "
                               "AppView.")
@click.option("--restart", is_flag=True, help="Start from the first page, not where an earlier import stopped.")
@click.option("--no-sites", is_flag=True, help="Do not look for a feed on their websites.")
@_db_option
@_feeds_option("Follow list to add to", created=True)
def import_follows_command(network: str, account: str, take_all: bool, picks: tuple[str, ...], list_only: bool,
                           server: str | None, restart: bool, no_sites: bool, db: str | None,
                           feeds: str | None) -> None:
    """Start from whom ACCOUNT follows on NETWORK: mastodon @user@instance, or bluesky HANDLE.

    Shows each account they follow (name, handle, the start of their bio), marks the ones you follow already, and
    adds the ones you choose to feeds.yml: their public feed, the feed of their website when one is found, their
    handle, and your usual credit. Identity labels are left for you: only what a source says of itself belongs
    there. A hidden Mastodon list needs an access token of your own account in AMPLIFY_MASTODON_TOKEN, sent only
    to your own instance (feeds.yml's mastodon_instance). A long list that stops partway goes on from there when
    you run the same command again.
    """
    import sys

    from amplify import config
    from amplify.follow.load import load_follow_list
    from amplify.follows import already_followed, import_follows
    from amplify.store import Store
    from amplify.types import FollowList, Settings

    feeds_file = config.feeds_path(feeds)
    show_progress = sys.stderr.isatty()

    def progress(fetched: int, expected: int | None) -> None:
        if show_progress:
            of = f" of {expected}" if expected else ""
            click.echo(f"\rFetched {fetched}{of} accounts…", nl=False, err=True)

    try:
        follow_list = load_follow_list(feeds_file) if feeds_file.exists() else FollowList((), Settings())
        with Store(config.db_path(db)) as store:
            result = import_follows(store, network, account, server=server, restart=restart, progress=progress,
                                    limits=_fetch_limits(feeds_file),
                                    own_instance=follow_list.settings.mastodon_instance)
    finally:
        if show_progress:
            click.echo("", err=True)
    candidates = result.candidates
    followed = already_followed(candidates, follow_list)
    if result.resumed:
        click.echo("Went on from where the last import of this list stopped.")
    click.echo(f"{result.account} follows {len(candidates)} {'account' if len(candidates) == 1 else 'accounts'}"
               f" ({len(followed)} you follow already).")
    if not candidates:
        return
    if list_only or not (take_all or picks):
        _print_candidates(candidates, followed)
    if list_only:
        return
    if take_all:
        chosen = list(candidates)
    else:
        answer = ",".join(picks) if picks else click.prompt(
            "Follow which? Numbers or handles separated by commas (3,5-8,@ada@example.social), 'all', or "
            "nothing to stop", default="", show_default=False)
        try:
            chosen = _chosen(candidates, answer)
        except ValueError as error:
            raise click.ClickException(f"{error}; nothing was added") from error
    if not chosen:
        click.echo("Nothing added.")
        return
    _add_chosen(feeds_file, chosen, result.network, find_site_feeds=not no_sites)


def _add_chosen(feeds_file: Path, chosen: "list[Candidate]", network: str, *, find_site_feeds: bool) -> None:
    """Add the chosen accounts to feeds.yml and say what happened to each."""
    from amplify.follows import add_candidates

    outcome = add_candidates(feeds_file, chosen, find_site_feeds=find_site_feeds, limits=_fetch_limits(feeds_file))
    click.echo(f"Added {len(outcome.added)} {'source' if len(outcome.added) == 1 else 'sources'} to {feeds_file}.")
    if outcome.already:
        click.echo(f"Already following {len(outcome.already)} of those: left as they were.")
    for source, reason in outcome.refused:
        click.echo(f"Skipped {source.name}: {reason}", err=True)
    for candidate, reason in outcome.site_problems:
        click.echo(f"No feed found on the website of {candidate.name} ({reason}); their {network} feed "
                   "is followed.", err=True)
    if outcome.added:
        click.echo("Identity labels stay empty: add only what a source says of itself, with the page where they said "
                   "it. `amplify refresh` fetches their posts.")


def _print_candidates(candidates: "Iterable[Candidate]", followed: set[str]) -> None:
    for number, candidate in enumerate(candidates, start=1):
        mark = "  (following)" if candidate.handle in followed else ""
        click.echo(f"{number:>5}. {candidate.name}  {candidate.handle}{mark}")
        details = [candidate.bio if len(candidate.bio) <= 100 else candidate.bio[:99].rstrip() + "…"] \
            if candidate.bio else []
        if candidate.website:
            details.append(f"site: {candidate.website}{' (verified)' if candidate.website_verified else ''}")
        if details:
            click.echo(f"       {' · '.join(details)}")


def _chosen(candidates: "tuple[Candidate, ...]", answer: str) -> "list[Candidate]":
    """The candidates an answer names: numbers (1-based) and ranges, handles, or 'all'. ValueError names what
    matches nothing."""
    words = [word.strip() for word in answer.split(",") if word.strip()]
    if [word.lower() for word in words] == ["all"]:
        return list(candidates)
    by_handle = {candidate.handle.casefold(): candidate for candidate in candidates}
    chosen: dict[str, Candidate] = {}
    unknown: list[str] = []
    for word in words:
        first, dash, last = word.partition("-")
        if first.isdigit() and (not dash or last.isdigit()):
            numbers = range(int(first), int(last or first) + 1)
            if not numbers or not all(1 <= number <= len(candidates) for number in numbers):
                unknown.append(word)
                continue
            chosen.update((candidates[number - 1].handle, candidates[number - 1]) for number in numbers)
            continue
        handle = word.casefold()
        candidate = by_handle.get(handle) or by_handle.get(f"@{handle}") or by_handle.get(handle.removeprefix("@"))
        if candidate is None:
            unknown.append(word)
        else:
            chosen[candidate.handle] = candidate
    if unknown:
        raise ValueError(f"not on the list: {', '.join(unknown)}")
    return list(chosen.values())


@cli.command("add")
@click.argument("url")
@click.option("--name", help="What to call them (default: their feed's title).")
@click.option("--kind", type=click.Choice(KINDS), default=KINDS[0],
              show_default=True, help="Who they are.")
@click.option("--tag", "tags", multiple=True, help="A tag of your own, for finding them again (repeatable).")
@click.option("--credit", type=click.Choice(CREDIT_PREFERENCES), default=CREDIT_PREFERENCES[0], show_default=True,
              help="How they want credit: tag their handle, name only, or ask first.")
@_feeds_option("Follow list to add to", created=True)
def add_command(url: str, name: str | None, kind: str, tags: tuple[str, ...], credit: str,
                feeds: str | None) -> None:
    """Follow someone: find the feed on URL (their site or the feed itself) and add them to feeds.yml.

    Your comments and order in feeds.yml are kept.
    """
    from urllib.parse import urlsplit

    from amplify import config
    from amplify.discover import discover_feed
    from amplify.follow.edit import add_source
    from amplify.types import Source

    feeds_file = config.feeds_path(feeds)
    found = discover_feed(url, limits=_fetch_limits(feeds_file))
    site = urlsplit(found.homepage or found.feed_url).hostname
    source = Source(name=name or found.title or site or found.feed_url, feeds=(found.feed_url,),
                    url=found.homepage, kind=kind, tags=tags, credit=credit)
    added = add_source(feeds_file, source)
    click.echo(f"Added {added.name}: {added.feeds[0]}")
    if not name:
        click.echo(f'Not their name? Change it in {feeds_file}, or add again with --name "..."')


def _fetch_limits(feeds_file: Path) -> "FetchLimits":
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


@cli.command("import-opml")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@_feeds_option("Follow list to add to", created=True)
def import_opml_command(file: str, feeds: str | None) -> None:
    """Follow the feeds in an OPML FILE (from another feed reader); ones you follow already are skipped."""
    from amplify import config
    from amplify.follow.edit import add_sources
    from amplify.opml import OPMLError, read_opml

    try:
        data = Path(file).read_bytes()
    except OSError as error:
        raise click.ClickException(f"{file}: cannot read the file ({error.strerror or error})") from error
    try:
        added, refused = add_sources(config.feeds_path(feeds), read_opml(data))
    except OPMLError as error:  # the file's name leads, as it is the file that is wrong
        raise click.ClickException(f"{file}: {error}") from error
    click.echo(f"Added {len(added)} source{'' if len(added) == 1 else 's'} to {config.feeds_path(feeds)}.")
    for source, reason in refused:
        click.echo(f"Skipped {source.name}: {reason}")


@cli.command("export-opml")
@click.argument("file", required=False, type=click.Path(dir_okay=False))
@_feeds_option()
def export_opml_command(file: str | None, feeds: str | None) -> None:
    """Write the sources you follow as OPML 2.0, to FILE or to the screen, for another feed reader."""
    from amplify import config
    from amplify.opml import write_opml

    _write_out(write_opml(_follow_list_or_exit(config.feeds_path(feeds)).sources).decode("utf-8"), file)


@cli.command("demo")
@click.option("--dir", "directory", type=click.Path(file_okay=False),
              help="Folder for the demo's database and follow list (default: a new temporary folder).")
@_serving_options
def demo_command(directory: str | None, port: int, host: str) -> None:
    """Try amplify with sample creators and businesses: no network needed, your own files untouched."""
    import tempfile

    from amplify import demo

    folder = Path(directory) if directory else Path(tempfile.mkdtemp(prefix="amplify-demo-"))
    with demo.DemoSites() as sites:
        try:
            setup = demo.prepare_demo(folder, sites)
        except OSError as error:
            raise click.ClickException(str(error)) from error
        click.echo(f"Demo ready in {setup.folder}: {setup.new_items} posts from {len(demo.DEMO_SOURCES)} "
                   "sample sources, served from this computer.")
        for problem in setup.problems:
            click.echo(f"  could not read {problem}", err=True)
        _serve_app(setup.db_path, setup.feeds_path, host, port)  # the sites stop when the app does


# -- refresh


@cli.command("refresh")
@_feeds_option()
@_db_option
@click.option("--json", "as_json", is_flag=True,
              help='Print one JSON object: {"feeds", "stopped", "fetched", "not_modified", "failed", "new_items", '
                   '"seconds", "errors": [{"source", "feed", "error"}]}.')
@click.option("--force", is_flag=True, help="Also fetch feeds that are waiting after errors.")
def refresh_command(feeds: str | None, db: str | None, as_json: bool, force: bool) -> None:
    """Fetch what the sources you follow published since last time.

    Feeds that fail are listed with the reason and tried again later (sooner with --force); the rest are
    stored either way. Run it from cron to have a fresh Today page every morning. Ctrl-C or SIGTERM stops it
    cleanly: what is fetched so far is stored, and the rest waits for the next refresh.
    """
    import signal
    import sys

    from amplify import config
    from amplify.follow.load import read_follow_list_text
    from amplify.follow.sync import sync_follow_list
    from amplify.lifetime import stop_on_signals
    from amplify.refresh import refresh
    from amplify.store import Store

    feeds_file = config.feeds_path(feeds)
    bar = _RefreshBar(enabled=not as_json and sys.stderr.isatty())
    try:
        text = read_follow_list_text(feeds_file)
        with stop_on_signals() as stop, Store(config.db_path(db)) as store:
            _report_skipped(sync_follow_list(store, text, file_name=feeds_file.name))
            report = refresh(store, force=force, progress=bar.advance, stop=stop)
    finally:
        bar.close()
    if as_json:
        click.echo(report.to_json())
    else:
        _echo_refresh_summary(report, signal.Signals(stop.signal).name if stop.signal else "a stop request")
    if stop.signal is not None:
        raise SystemExit(128 + stop.signal)  # as a shell reports a command a signal ended


def _echo_refresh_summary(report: "RefreshReport", stopped_by: str) -> None:
    from amplify.fetch import shown_url

    posts = f"{report.new_items} new {'post' if report.new_items == 1 else 'posts'}"
    counts = f"({report.fetched} changed, {report.not_modified} unchanged, {report.failed} failed)"
    if report.stopped:
        reached = report.fetched + report.not_modified + report.failed
        click.echo(f"Stopped by {stopped_by}: {posts} stored from {reached} of {report.feeds} feeds {counts} in "
                   f"{report.seconds:.1f} s. The other {report.feeds - reached} wait for the next refresh.")
    else:
        click.echo(f"{posts} from {report.feeds} {'feed' if report.feeds == 1 else 'feeds'} {counts} in "
                   f"{report.seconds:.1f} s")
    for problem in report.errors:
        click.echo(f"  {problem.source}: {shown_url(problem.feed)}: {problem.error}", err=True)


class _RefreshBar:
    """A progress bar on stderr, drawn only on a terminal; it learns the total from the first report."""

    def __init__(self, *, enabled: bool) -> None:
        self.enabled = enabled
        self.bar: Any = None
        self.shown = 0

    def advance(self, done: int, total: int, feed_url: str) -> None:
        if not self.enabled:
            return
        if self.bar is None:
            self.bar = click.progressbar(length=total, label="Refreshing", file=click.get_text_stream("stderr"))
            self.bar.__enter__()
        self.bar.update(done - self.shown)
        self.shown = done

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None
