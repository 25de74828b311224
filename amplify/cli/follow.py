"""The follow list: `sources`, `import-follows`, `add`, `import-opml`, `export-opml`."""

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from amplify.cli.base import cli, db_option, feeds_option, fetch_limits, follow_list_or_exit, write_out
from amplify.networks import FOLLOW_LIST_IMPORTS
from amplify.types import CREDIT_PREFERENCES, KINDS

if TYPE_CHECKING:
    from datetime import datetime

    from amplify.follows import Candidate
    from amplify.types import FollowList, SourceActivity, SourceHealth


@cli.command("sources")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of a table.")
@click.option("--summary", is_flag=True,
              help="Your follow list at a glance instead: sources by kind and by the labels they use of themselves, "
                   "how many posted in the last 30 days, who has been quiet for 90.")
@db_option
@feeds_option()
def sources_command(as_json: bool, summary: bool, db: str | None, feeds: str | None) -> None:
    """List the sources you follow, with how their feeds are doing: last fetch, status, error, items."""
    import json

    from amplify import config
    from amplify.clock import relative_time
    from amplify.store import Store

    follow_list = follow_list_or_exit(config.feeds_path(feeds))
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
        click.echo(json.dumps({"sources": [health_json(source) for source in health], "problems": problems},
                              ensure_ascii=False))
        return
    if not health:
        click.echo("You follow no sources yet. Add one with: amplify add https://their-site.example")
        return
    for source in health:
        click.echo(f"{source.name}  ({source.kind}, {source.feed_count} feed"
                   f"{'' if source.feed_count == 1 else 's'}, {source.item_count} items)")
        if source.last_fetched_at is None:
            click.echo("    not fetched yet: `amplify refresh` fetches it")
        else:
            status = f"HTTP {source.last_status}" if source.last_status else "no answer"
            click.echo(f"    last fetch: {relative_time(source.last_fetched_at, now)}, {status}")
        if source.last_error:
            click.echo(f"    error ({source.error_count} in a row): {source.last_error}")


def health_json(source: "SourceHealth") -> dict[str, Any]:
    """One source's health as `amplify sources --json` writes it: every field, its flags as 0 or 1."""
    from dataclasses import asdict

    return {**asdict(source), "followed": int(source.followed), "forgotten": int(source.forgotten)}


def _print_glance(follow_list: "FollowList", activity: "dict[str, SourceActivity]", now: "datetime", *,
                  as_json: bool) -> None:
    import json
    from dataclasses import asdict

    from amplify.glance import glance, summary_lines

    shape = glance(follow_list.sources, activity, now)
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
@db_option
@feeds_option("Follow list to add to", created=True)
def import_follows_command(network: str, account: str, take_all: bool, picks: tuple[str, ...], list_only: bool,
                           server: str | None, restart: bool, no_sites: bool, db: str | None,
                           feeds: str | None) -> None:
    """Start from whom ACCOUNT follows on NETWORK: mastodon @user@instance, or bluesky HANDLE.

    Shows each account they follow (name, handle, the start of their bio), marks the ones you follow already, and
    adds the ones you choose to feeds.yml: their public feed, the feed of their website when one is found, their
    handle, and your usual credit. Identity labels are left for you: only what a source says of itself belongs
    there. A hidden Mastodon list needs an access token of your own account in AMPLIFY_MASTODON_TOKEN (or the
    account connected there), sent only to your own instance (feeds.yml's mastodon_instance), over https. A long
    list that stops partway goes on from there when you run the same command again.
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
                                    limits=fetch_limits(feeds_file),
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
    chosen = list(candidates) if take_all else _ask_which(candidates, picks)
    if not chosen:
        click.echo("Nothing added.")
        return
    _add_chosen(feeds_file, chosen, result.network, find_site_feeds=not no_sites)


def _ask_which(candidates: "tuple[Candidate, ...]", picks: tuple[str, ...]) -> "list[Candidate]":
    """The candidates `--pick` names, else the ones the user names when asked."""
    answer = ",".join(picks) if picks else click.prompt(
        "Follow which? Numbers or handles separated by commas (3,5-8,@ada@example.social), 'all', or "
        "nothing to stop", default="", show_default=False)
    try:
        return _chosen(candidates, answer)
    except ValueError as error:
        raise click.ClickException(f"{error}; nothing was added") from error


def _add_chosen(feeds_file: Path, chosen: "list[Candidate]", network: str, *, find_site_feeds: bool) -> None:
    """Add the chosen accounts to feeds.yml and say what happened to each."""
    from amplify.follows import add_candidates

    outcome = add_candidates(feeds_file, chosen, find_site_feeds=find_site_feeds, limits=fetch_limits(feeds_file))
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
@feeds_option("Follow list to add to", created=True)
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
    found = discover_feed(url, limits=fetch_limits(feeds_file))
    site = urlsplit(found.homepage or found.feed_url).hostname
    source = Source(name=name or found.title or site or found.feed_url, feeds=(found.feed_url,),
                    url=found.homepage, kind=kind, tags=tags, credit=credit)
    added = add_source(feeds_file, source)
    click.echo(f"Added {added.name}: {added.feeds[0]}")
    if not name:
        click.echo(f'Not their name? Change it in {feeds_file}, or add again with --name "..."')



@cli.command("import-opml")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@feeds_option("Follow list to add to", created=True)
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
@feeds_option()
def export_opml_command(file: str | None, feeds: str | None) -> None:
    """Write the sources you follow as OPML 2.0, to FILE or to the screen, for another feed reader."""
    from amplify import config
    from amplify.opml import write_opml

    write_out(write_opml(follow_list_or_exit(config.feeds_path(feeds)).sources).decode("utf-8"), file)

