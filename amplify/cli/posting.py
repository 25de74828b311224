"""Posting from the command line: `post` (one draft now, at the next slot, or `--resume` what a crash left open)
and `post-due` (for cron: what the schedule says is due)."""

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from amplify.cli.base import cli, db_option, feeds_option, fetch_limits

if TYPE_CHECKING:
    from amplify.posting import Outcome
    from amplify.types import Settings

NETWORK_CHOICE = click.Choice(["mastodon", "bluesky"])


def _settings(feeds_file: Path) -> "Settings":
    """feeds.yml's settings; the defaults when there is no usable file."""
    from amplify.follow.errors import FollowListError
    from amplify.follow.load import load_follow_list
    from amplify.types import Settings

    try:
        return load_follow_list(feeds_file).settings if feeds_file.exists() else Settings()
    except FollowListError:
        return Settings()


def _report(outcomes: "list[Outcome]", as_json: bool) -> None:
    if as_json:
        summary: dict[str, int] = {}
        for outcome in outcomes:
            summary[outcome.state] = summary.get(outcome.state, 0) + 1
        click.echo(json.dumps({"summary": summary, "posts": [outcome.as_json() for outcome in outcomes]},
                              indent=2, ensure_ascii=False))
        return
    if not outcomes:
        click.echo("Nothing to post.")
    for outcome in outcomes:
        click.echo(f"draft {outcome.draft_id} on {outcome.network}: {outcome.message}")


@cli.command("post")
@click.argument("draft_id", type=int, required=False)
@click.option("--network", type=NETWORK_CHOICE, help="Where to post the draft: mastodon or bluesky.")
@click.option("--next-slot", is_flag=True, help="Put it on the schedule (settings.schedule) instead of posting now.")
@click.option("--resume", is_flag=True, help="Finish the posts a crash or an unclear answer left open, each once.")
@db_option
@feeds_option("Follow list, for the posting settings")
def post_command(draft_id: int | None, network: str | None, next_slot: bool, resume: bool, db: str | None,
                 feeds: str | None) -> None:
    """Post the draft DRAFT_ID (its number in the Queue) to Mastodon or Bluesky through the share gate, and record
    the share with the post's link."""
    from amplify import config
    from amplify.posting import post_now, posters, schedule_post, settle
    from amplify.store import Store

    feeds_file = config.feeds_path(feeds)
    settings, limits = _settings(feeds_file), fetch_limits(feeds_file)
    if resume:
        with Store(config.db_path(db)) as store:
            outcomes = settle(store, posters(store, settings=settings, limits=limits), settings=settings, limits=limits)
        _report(outcomes, False)
        if any(outcome.state in ("pending", "sent") for outcome in outcomes):
            raise SystemExit(1)
        return
    if draft_id is None or network is None:
        raise click.UsageError("give a draft and a network (amplify post 12 --network mastodon), or --resume")
    with Store(config.db_path(db)) as store:
        if next_slot:
            row = schedule_post(store, draft_id, network, settings=settings)
            click.echo(f"draft {draft_id} goes out on {network} at {row.scheduled_for} (UTC); `amplify post-due` "
                       "posts it then")
            return
        outcome = post_now(store, draft_id, network, posters(store, settings=settings, limits=limits)(network),
                           settings=settings, limits=limits)
    click.echo(outcome.message)


@cli.command("post-due")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON summary (for cron and scripts).")
@db_option
@feeds_option("Follow list, for the posting settings and the schedule")
def post_due_command(as_json: bool, db: str | None, feeds: str | None) -> None:
    """Post what the schedule says is due, each through the share gate again (run it from cron)."""
    from amplify import config
    from amplify.posting import post_due, posters
    from amplify.store import Store

    feeds_file = config.feeds_path(feeds)
    settings, limits = _settings(feeds_file), fetch_limits(feeds_file)
    with Store(config.db_path(db)) as store:
        outcomes = post_due(store, posters(store, settings=settings, limits=limits), settings=settings,
                            limits=limits)
    _report(outcomes, as_json)
    if any(outcome.state not in ("recorded",) for outcome in outcomes):
        raise SystemExit(1)
