"""`amplify reach`: take the reach snapshots that are due (for cron)."""

from typing import TYPE_CHECKING

import click

from amplify.cli.base import cli, db_option, feeds_option, fetch_limits

if TYPE_CHECKING:
    from amplify.reach import ReachRun


@cli.command("reach")
@db_option
@feeds_option("Follow list, for your own Mastodon instance and whether to fetch from private addresses")
@click.option("--json", "as_json", is_flag=True,
              help='Print one JSON object: {"due", "taken", "deleted", "problems": [{"share_id", "reason"}], '
                   '"calls": {network: count}, "paused": [why]}.')
@click.option("--appview", envvar="AMPLIFY_APPVIEW", default="https://public.api.bsky.app", show_default=True,
              help="The Bluesky AppView to read counts from (AMPLIFY_APPVIEW).")
@click.option("--plc", envvar="AMPLIFY_PLC", default="https://plc.directory", show_default=True,
              help="The PLC directory that names a Bluesky account's server, asked to confirm a post was deleted "
                   "(AMPLIFY_PLC).")
def reach_command(db: str | None, feeds: str | None, as_json: bool, appview: str, plc: str) -> None:
    """Read what your shares reached: the public counts of your posts on Mastodon and Bluesky.

    Each share with a post link is read about 1 hour, 1 day, 7 days and 30 days after you shared it, then no more;
    a run reads only the shares that are due, so it is cheap to run from cron every hour. Only the public counts
    of your own posts are read, never who liked or boosted them.
    """
    import json

    from amplify import config
    from amplify.follow.errors import FollowListError
    from amplify.follow.load import load_follow_list
    from amplify.reach_run import check_reach
    from amplify.store import Store

    feeds_file = config.feeds_path(feeds)
    try:
        own_instance = load_follow_list(feeds_file).settings.mastodon_instance if feeds_file.exists() else None
    except FollowListError:
        own_instance = None
    with Store(config.db_path(db)) as store:
        run = check_reach(store, appview=appview, limits=fetch_limits(feeds_file), own_instance=own_instance,
                          plc=plc)
    if as_json:
        click.echo(json.dumps(run.as_json(), sort_keys=True))
    else:
        _echo_summary(run)


def _echo_summary(run: "ReachRun") -> None:
    if not run.due:
        click.echo("No snapshots are due: nothing was read.")
        return
    taken = f"Took {run.taken} {'snapshot' if run.taken == 1 else 'snapshots'} of {run.due} due"
    deleted = f" ({run.deleted} {'post was' if run.deleted == 1 else 'posts were'} deleted)" if run.deleted else ""
    click.echo(f"{taken}{deleted}.")
    for problem in run.problems:
        click.echo(f"Share {problem.share_id}: {problem.reason}.", err=True)
    for paused in run.paused:
        click.echo(f"Paused: {paused}.", err=True)
