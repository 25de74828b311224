"""Serving the app: `amplify run` and `amplify demo`."""

from pathlib import Path

import click

from amplify.cli.base import cli, db_option, feeds_option, serving_options


@cli.command("run")
@db_option
@feeds_option()
@serving_options
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



@cli.command("demo")
@click.option("--dir", "directory", type=click.Path(file_okay=False),
              help="Folder for the demo's database and follow list (default: a new temporary folder).")
@serving_options
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

