"""The `amplify` command: a thin click layer over the core. Every command has --help text (a test checks)."""

import click

from amplify import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="amplify")
def cli() -> None:
    """Amplify creators and businesses owned by underrepresented people.

    Gather what they publish, review it daily, draft posts that credit and center them, verify before sharing,
    and keep an honest record of whose voices you amplify.
    """


@cli.command("run")
@click.option("--db", "db", type=click.Path(dir_okay=False),
              help="Database file (default: AMPLIFY_DB, else ./amplify.db).")
@click.option("--feeds", "feeds", type=click.Path(dir_okay=False),
              help="Follow list (default: AMPLIFY_FEEDS, else ./feeds.yml).")
@click.option("--port", type=click.IntRange(1, 65535), default=8501, show_default=True,
              help="Port to serve on.")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Only this computer can reach the app unless you change it.")
def run_command(db: str | None, feeds: str | None, port: int, host: str) -> None:
    """Start the app in your browser (served on 127.0.0.1; the database is created on first use)."""
    from amplify import config, launch
    from amplify.store import Store, StoreError

    db_file, feeds_file = config.db_path(db), config.feeds_path(feeds)
    try:  # create or migrate the database now, so a bad path is reported here rather than in the browser
        Store(db_file).close()
    except StoreError as error:
        raise click.ClickException(str(error)) from error
    if not feeds_file.exists():
        click.echo(f"No follow list at {feeds_file} yet: add sources on the Sources page.", err=True)
    if host != launch.LOOPBACK:
        click.echo(f"Listening on {host}: other computers on your network can open the app.", err=True)
    shown_host = "localhost" if host == launch.LOOPBACK else host
    click.echo(f"amplify is at http://{shown_host}:{port}  (Ctrl-C stops it)")
    try:
        status = launch.serve_app(db=db_file, feeds=feeds_file, host=host, port=port)
    except launch.AppNotFound as error:
        raise click.ClickException(str(error)) from error
    raise SystemExit(status)
