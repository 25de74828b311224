"""Settings: connect and disconnect the Mastodon and Bluesky accounts amplify posts as.

The flows are `amplify.connect`'s, as on the command line; this page only asks and shows. A secret is typed into a
password field of a form that clears itself when sent, so it is in the session only for the run that uses it, and
it is never shown back. The one thing kept between runs is Mastodon's registration while the user fetches the code
(it holds the app's client secret), and it is dropped as soon as the code is used or the user starts over.
"""

from collections.abc import Callable

import streamlit as st

from amplify import accounts, connect, networks, secrets
from amplify.errors import AmplifyError
from amplify.store import Store
from amplify.types import Account
from amplify.ui import context
from amplify.ui.components import escape_markdown, markdown_link

PENDING_APP = "settings_mastodon_app"  # the MastodonApp waiting for its code
DONE = "settings_done"  # what the last action did, shown once after the rerun
BROWSER, TOKEN = "Allow amplify in your browser", "Paste an access token"


def render() -> None:
    store = context.store()
    st.title("Settings")
    done = st.session_state.pop(DONE, None)
    if done:
        st.success(escape_markdown(done))
    st.header("Accounts to post as")
    st.caption(escape_markdown(f"Tokens and app passwords are kept in {secrets.where()}, never in amplify.db or "
                               "feeds.yml."))
    context.refresh_post_rules(store)
    for network in accounts.ACCOUNT_NETWORKS:
        with st.container(border=True, key=f"settings_{network}"):
            st.subheader(networks.NAMES[network])
            account = accounts.connected(store, network)
            if account is not None:
                _connected(store, account)
            elif network == accounts.MASTODON:
                _connect_mastodon(store)
            else:
                _connect_bluesky(store)


def _connected(store: Store, account: Account) -> None:
    name = f" ({account.display_name})" if account.display_name and account.display_name != account.handle else ""
    st.markdown(escape_markdown(f"Connected as {account.handle}{name} on {account.server}, since "
                                f"{account.connected_at[:10]}."))
    if account.rules is not None:
        st.caption(escape_markdown(
            f"Your server allows posts of up to {account.rules.max_characters:,} characters (a link counts as "
            f"{account.rules.characters_reserved_per_url}), {account.rules.max_media_attachments} images and image "
            f"descriptions of up to {account.rules.description_limit:,} characters. The composer counts by these."))
    check, disconnect = st.columns(2)
    if check.button("Check the connection", key=f"settings_check_{account.network}"):
        _act(lambda: accounts.check(store, account.network, limits=context.fetch_limits()),
             f"{account.handle} works: its server accepted amplify's credentials.")
    if disconnect.button("Disconnect", key=f"settings_disconnect_{account.network}"):
        revoke = (f"{account.server}/oauth/authorized_applications" if account.network == accounts.MASTODON
                  else connect.BLUESKY_APP_PASSWORDS)
        _act(lambda: accounts.disconnect(store, account.network),
             f"Disconnected {account.handle}; amplify no longer keeps its credentials. To revoke them too: {revoke}")


def _connect_mastodon(store: Store) -> None:
    pending = st.session_state.get(PENDING_APP)
    if isinstance(pending, connect.MastodonApp):
        _mastodon_code(store, pending)
        return
    way = st.radio("How to connect", (BROWSER, TOKEN), key="settings_mastodon_way", horizontal=True)
    with st.form("settings_mastodon_form", clear_on_submit=True, border=False):
        instance = st.text_input("Your Mastodon server", placeholder="mastodon.social", key="settings_instance")
        server = st.text_input("Or its address, for a server on your own machine or network", key="settings_server",
                               placeholder="http://192.168.1.20:3000")
        token = ""
        if way == TOKEN:
            st.caption(escape_markdown(f"To {connect.MASTODON_TOKEN_HELP}."))
            token = st.text_input("Access token", type="password", key="settings_token")
        label = "Connect" if way == TOKEN else "Go to my server to allow amplify"
        if not st.form_submit_button(label, key="settings_mastodon_submit", type="primary"):
            return
    limits = context.fetch_limits()

    def start() -> object:
        base = connect.mastodon_server(instance, server)
        if way == TOKEN:
            return connect.connect_mastodon(store, base, token, limits=limits)
        st.session_state[PENDING_APP] = connect.register_mastodon_app(base, limits=limits)
        return None

    _act(start, None, secret_key="settings_token")


def _mastodon_code(store: Store, app: "connect.MastodonApp") -> None:
    st.markdown("1. " + markdown_link("Allow amplify on your server", app.authorize_url) + " (it opens your "
                "server's page; sign in there if asked).\n2. Paste the code your server shows:")
    with st.form("settings_code_form", clear_on_submit=True, border=False):
        code = st.text_input("Code", type="password", key="settings_code")
        sent = st.form_submit_button("Connect", key="settings_code_submit", type="primary")
    if st.button("Start over", key="settings_code_cancel"):
        st.session_state.pop(PENDING_APP, None)
        st.rerun()
    if not sent:
        return
    limits = context.fetch_limits()

    def finish() -> object:
        token = connect.mastodon_token_from_code(app, code, limits=limits)
        st.session_state.pop(PENDING_APP, None)
        return connect.connect_mastodon(store, app.server, token, limits=limits)

    _act(finish, None, secret_key="settings_code")


def _connect_bluesky(store: Store) -> None:
    st.warning(escape_markdown(connect.APP_PASSWORD_HELP))
    with st.form("settings_bluesky_form", clear_on_submit=True, border=False):
        handle = st.text_input("Your handle", placeholder="you.bsky.social", key="settings_handle")
        password = st.text_input("App password", type="password", key="settings_app_password",
                                 placeholder="xxxx-xxxx-xxxx-xxxx")
        server = st.text_input("Your PDS, if you host your own", key="settings_pds",
                               placeholder=connect.BLUESKY_SERVER)
        if not st.form_submit_button("Connect", key="settings_bluesky_submit", type="primary"):
            return
    limits = context.fetch_limits()
    _act(lambda: connect.connect_bluesky(store, handle, password, server=server or None, limits=limits),
         None, secret_key="settings_app_password")


def _act(action: Callable[[], object], done: str | None, *, secret_key: str | None = None) -> None:
    """Run `action`; show its refusal here, or rerun with `done` (or the account it connected) shown once. The
    widget `secret_key` held a secret for `action`: it is dropped from the session whatever happened."""
    try:
        result = action()
    except AmplifyError as error:
        _forget(secret_key)
        st.error(escape_markdown(str(error)))
        return
    _forget(secret_key)
    if done is None and isinstance(result, Account):
        done = f"Connected: {result.handle} on {networks.NAMES[result.network]}."
    if done:
        st.session_state[DONE] = done
    st.rerun()


def _forget(key: str | None) -> None:
    if key is not None:
        st.session_state.pop(key, None)
