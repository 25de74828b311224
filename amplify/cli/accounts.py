"""Connected accounts: `account add mastodon|bluesky`, `account list`, `account remove`."""

from typing import TYPE_CHECKING

import click

from amplify.cli.base import cli, db_option, feeds_option, fetch_limits

if TYPE_CHECKING:
    from amplify.types import Account

NETWORKS = ("mastodon", "bluesky")
_SERVER_HELP = "for a server on your own machine or network (allowed by feeds.yml's allow_private_addresses)"


@cli.group("account")
def account_group() -> None:
    """Connect the Mastodon and Bluesky accounts amplify posts as, list them, or disconnect one.

    Tokens and app passwords are kept in your system's keyring, or where there is none in a file in your config
    folder that only you can read; never in amplify.db or feeds.yml. For servers and cron, an account can be
    connected from AMPLIFY_MASTODON_TOKEN (only on your mastodon_instance in feeds.yml's settings, the server the
    variable is for) or AMPLIFY_BLUESKY_APP_PASSWORD instead; amplify then reads it from there at each use.
    """


@account_group.group("add")
def add_group() -> None:
    """Connect an account: `amplify account add mastodon --instance HOST` or `amplify account add bluesky
    --handle HANDLE`."""


@add_group.command("mastodon")
@click.option("--instance", help="Your Mastodon server, like mastodon.social.")
@click.option("--server", help=f"The server's address as a URL instead of --instance, {_SERVER_HELP}.")
@click.option("--token", "paste_token", is_flag=True,
              help="Paste a personal access token (made under Preferences > Development) instead of allowing "
                   "amplify in the browser.")
@click.option("--no-browser", is_flag=True, help="Print the address to allow amplify at; do not open a browser.")
@db_option
@feeds_option("Follow list (only its allow_private_addresses and mastodon_instance settings are read)")
def add_mastodon_command(instance: str | None, server: str | None, paste_token: bool, no_browser: bool,
                         db: str | None, feeds: str | None) -> None:
    """Connect your Mastodon account.

    amplify registers itself on your server asking only to post (write:statuses write:media), to read its own
    posts (read:statuses) and to see which account is yours (profile; read:accounts before Mastodon 4.3), opens
    the page where you allow it, and asks for the code your server shows then.
    With --token, paste a personal access token instead. The account is verified with your server before
    anything is kept. AMPLIFY_MASTODON_TOKEN, when set, is used without asking only when the server is your
    mastodon_instance (feeds.yml's settings): the variable is that server's token, and never goes to another.
    """
    from amplify import accounts, config, connect, secrets
    from amplify.follow.errors import FollowListError
    from amplify.follow.load import load_follow_list
    from amplify.store import Store

    base = connect.mastodon_server(instance, server)
    feeds_file = config.feeds_path(feeds)
    limits = fetch_limits(feeds_file)
    try:
        own_instance = load_follow_list(feeds_file).settings.mastodon_instance if feeds_file.exists() else None
    except FollowListError:
        own_instance = None
    from_environment = accounts.environment_token(base, own_instance)
    if not from_environment and secrets.environment_secret(accounts.MASTODON_TOKEN):
        click.echo(f"AMPLIFY_MASTODON_TOKEN is for your mastodon_instance ({own_instance or 'not set'}), so it is "
                   f"not sent to {base}.")
    if from_environment:
        click.echo("Using the token in AMPLIFY_MASTODON_TOKEN (amplify does not copy it).")
        token = from_environment
    elif paste_token:
        click.echo(f"To {connect.MASTODON_TOKEN_HELP}.")
        token = click.prompt("Access token", hide_input=True)
    else:
        app = connect.register_mastodon_app(base, limits=limits)
        click.echo("Allow amplify to post for you at this address (sign in there if asked):")
        click.echo(f"  {app.authorize_url}")
        if not no_browser:
            click.launch(app.authorize_url)
        code = click.prompt("Then paste the code your server shows", hide_input=True)
        token = connect.mastodon_token_from_code(app, code, limits=limits)
    with Store(config.db_path(db)) as store:
        account = connect.connect_mastodon(store, base, token, keep_token=not from_environment, limits=limits)
    _connected(account)


@add_group.command("bluesky")
@click.option("--handle", required=True, help="Your Bluesky handle, like ada.bsky.social.")
@click.option("--server", help=f"Your PDS's address, when it is not https://bsky.social ({_SERVER_HELP}).")
@db_option
@feeds_option("Follow list (only its allow_private_addresses setting is read)")
def add_bluesky_command(handle: str, server: str | None, db: str | None, feeds: str | None) -> None:
    """Connect your Bluesky account with an app password (asked for without showing it).

    Use an app password, never your account password: make one at https://bsky.app/settings/app-passwords
    (Settings > Privacy and security > App passwords) and revoke it there whenever you like.
    """
    from amplify import config, connect, secrets
    from amplify.accounts import BLUESKY_APP_PASSWORD
    from amplify.store import Store

    limits = fetch_limits(config.feeds_path(feeds))
    from_environment = secrets.environment_secret(BLUESKY_APP_PASSWORD)
    if from_environment:
        click.echo("Using the app password in AMPLIFY_BLUESKY_APP_PASSWORD (amplify does not copy it).")
        password = from_environment
    else:
        click.echo(connect.APP_PASSWORD_HELP)
        password = click.prompt("App password", hide_input=True)
    with Store(config.db_path(db)) as store:
        account = connect.connect_bluesky(store, handle, password, server=server,
                                          keep_password=not from_environment, limits=limits)
    _connected(account)


@account_group.command("list")
@click.option("--check", "check_them", is_flag=True,
              help="Ask each server whether the account still works (and read Mastodon's rules again).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of lines.")
@db_option
@feeds_option("Follow list (only its allow_private_addresses setting is read)")
def list_command(check_them: bool, as_json: bool, db: str | None, feeds: str | None) -> None:
    """The accounts amplify posts as, and where their secrets are kept."""
    import json
    from dataclasses import asdict

    from amplify import accounts, config, secrets
    from amplify.store import Store

    problems: dict[str, str] = {}
    with Store(config.db_path(db)) as store:
        if check_them:
            limits = fetch_limits(config.feeds_path(feeds))
            for account in accounts.connected_accounts(store):
                try:
                    accounts.check(store, account.network, limits=limits)
                except accounts.AccountError as error:
                    problems[account.network] = str(error)
        connected = accounts.connected_accounts(store)
    if as_json:
        click.echo(json.dumps({"accounts": [asdict(account) | {"problem": problems.get(account.network)}
                                            for account in connected], "secrets": secrets.where()}))
        return
    if not connected:
        click.echo("No account is connected. Connect one with `amplify account add mastodon --instance HOST` or "
                   "`amplify account add bluesky --handle HANDLE`.")
        return
    for account in connected:
        _describe(account)
        if account.network in problems:
            click.echo(f"    not working: {problems[account.network]}")
        elif check_them:
            click.echo("    working")
    click.echo(f"Secrets are kept in {secrets.where()}.")


@account_group.command("remove")
@click.argument("network", type=click.Choice(NETWORKS))
@db_option
def remove_command(network: str, db: str | None) -> None:
    """Disconnect the account on NETWORK and forget its token or app password."""
    from amplify import accounts, config
    from amplify.connect import BLUESKY_APP_PASSWORDS
    from amplify.store import Store

    with Store(config.db_path(db)) as store:
        removed = accounts.disconnect(store, network)
    if removed is None:
        click.echo(f"No {network} account was connected; nothing is kept for it now.")
        return
    click.echo(f"Disconnected {removed.handle}; amplify no longer keeps its credentials.")
    if network == "mastodon":
        click.echo(f"To revoke amplify's access too: {removed.server}/oauth/authorized_applications")
    else:
        click.echo(f"To revoke the app password too: {BLUESKY_APP_PASSWORDS}")


def _connected(account: "Account") -> None:
    click.echo("Connected:")
    _describe(account)


def _describe(account: "Account") -> None:
    name = f" ({account.display_name})" if account.display_name and account.display_name != account.handle else ""
    click.echo(f"{account.network}: {account.handle}{name} on {account.server}")
    if account.rules is not None:
        click.echo(f"    posts up to {account.rules.max_characters:,} characters (a link counts as "
                   f"{account.rules.characters_reserved_per_url}), {account.rules.max_media_attachments} images, "
                   f"image descriptions up to {account.rules.description_limit:,} characters")
