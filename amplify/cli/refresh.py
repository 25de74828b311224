"""`amplify refresh`: fetch what the sources published since last time."""

from typing import TYPE_CHECKING, Any

import click

from amplify.cli.base import cli, db_option, feeds_option, report_skipped

if TYPE_CHECKING:
    from amplify.refresh import RefreshReport


@cli.command("refresh")
@feeds_option()
@db_option
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
    import gc
    import signal
    import sys

    from amplify import config
    from amplify.follow.load import read_follow_list_text
    from amplify.follow.sync import sync_follow_list
    from amplify.lifetime import stop_on_signals
    from amplify.refresh import refresh
    from amplify.store import Store

    # What importing made (classes, functions, modules) lives as long as the process: the collector need not walk it
    # on every full collection, nor at exit. Measured on the 1000-feed farm: a warm refresh 0.30 -> 0.28 s.
    gc.freeze()
    feeds_file = config.feeds_path(feeds)
    bar = _RefreshBar(enabled=not as_json and sys.stderr.isatty())
    try:
        text = read_follow_list_text(feeds_file)
        with stop_on_signals() as stop, Store(config.db_path(db)) as store:
            report_skipped(sync_follow_list(store, text, file_name=feeds_file.name))
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
