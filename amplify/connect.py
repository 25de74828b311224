"""Connecting an account: Mastodon with OAuth (an out-of-band code) or a personal access token, Bluesky with an app
password. Each is verified with its server before anything is kept; then the secrets go to `amplify.secrets` and the
account (no secret) to the store. The command line (`amplify account add`) and the Settings page both call this.

Mastodon's OAuth, step by step: `register_mastodon_app` registers amplify with the server (asking only for the
scopes posting needs) and gives the address where the user allows it; the server shows a code there, which
`mastodon_token_from_code` trades for a token (with PKCE, so a code seen by someone else is of no use to them);
`connect_mastodon` verifies the token and keeps it.
"""

import base64
import hashlib
import os
import re
from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from amplify import compose, networks
from amplify import secrets as vault
from amplify.accounts import (
    BLUESKY,
    BLUESKY_APP_PASSWORD,
    ENVIRONMENT,
    KEPT,
    MASTODON,
    MASTODON_TOKEN,
    AccountError,
    call_api,
    instance_rules,
    jwt_claims,
    require_https,
    same_server,
    save_bluesky_session,
)
from amplify.fetch import DEFAULT_LIMITS, FetchLimits, fetch_json, send_json
from amplify.names import one_line
from amplify.types import Account
from amplify.urls import http_parts

if TYPE_CHECKING:
    from amplify.store import Store

OOB = "urn:ietf:wg:oauth:2.0:oob"  # the server shows the code instead of redirecting to an address
# Posting, its images, and reading its own posts; then, to say whose account it is (`verify_credentials`), the
# `profile` scope (only the user's own profile; Mastodon 4.3 and later), or `read:accounts` where there is no such
# scope yet.
POSTING_SCOPES = "write:statuses write:media read:statuses"
MASTODON_SCOPES = f"{POSTING_SCOPES} profile"
OLDER_MASTODON_SCOPES = f"{POSTING_SCOPES} read:accounts"
MASTODON_TOKEN_HELP = ("make one under Preferences > Development > New application, with the scopes "
                       f"{POSTING_SCOPES} and profile (read:accounts before Mastodon 4.3), and copy 'Your access "
                       "token'")
BLUESKY_SERVER = "https://bsky.social"
BLUESKY_APP_PASSWORDS = "https://bsky.app/settings/app-passwords"
APP_PASSWORD_HELP = ("Use an app password, never your account password: make one at "
                     f"{BLUESKY_APP_PASSWORDS} (Settings > Privacy and security > App passwords). You can revoke it "
                     "there at any time.")
HTTPS_HELP = "give it as https://{netloc} (plain http only for a server on your own machine or network)"
# The JWT scope Bluesky gives a session made with the account's own password: refused.
ACCOUNT_PASSWORD_SCOPE = "com.atproto.access"


def mastodon_server(instance: str | None = None, server: str | None = None) -> str:
    """The base URL of a Mastodon server: `https://INSTANCE` for a bare host name, or `server` as given (an
    http(s) URL, for a server on your own machine)."""
    if server:
        return _base_url(server)
    if not instance:
        raise AccountError("Say which Mastodon server your account is on, like mastodon.social")
    try:
        return f"https://{compose.validate_instance(instance.strip().removeprefix('https://').rstrip('/'))}"
    except compose.InvalidInstance as error:
        raise AccountError(str(error)) from None


def _base_url(server: str) -> str:
    parts = http_parts(server.strip())
    if parts is None or parts.query or parts.fragment or parts.path.strip("/"):
        raise AccountError(f"{server!r} is not a server address: give it like https://example.social")
    base = f"{parts.scheme}://{parts.netloc}"
    _https_only(base)
    return base


def _https_only(server: str) -> None:
    """Tokens, codes and passwords go only over https (or plain http on this machine or network)."""
    parts = http_parts(server)
    require_https(server, HTTPS_HELP.format(netloc=parts.netloc if parts else server))


# -- Mastodon --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MastodonApp:
    """amplify registered on one Mastodon server, waiting for the user's code. Holds a client secret and the PKCE
    verifier: keep it in memory only, for the minutes the user needs."""

    server: str
    client_id: str
    client_secret: str = field(repr=False)
    code_verifier: str = field(repr=False)
    scopes: str = MASTODON_SCOPES

    @property
    def authorize_url(self) -> str:
        """Where the user allows amplify to post for them; the server then shows a code to paste back."""
        challenge = base64.urlsafe_b64encode(hashlib.sha256(self.code_verifier.encode()).digest()).rstrip(b"=")
        query = urlencode({"response_type": "code", "client_id": self.client_id, "redirect_uri": OOB,
                           "scope": self.scopes, "code_challenge": challenge.decode(),
                           "code_challenge_method": "S256"})
        return f"{self.server}/oauth/authorize?{query}"


def register_mastodon_app(server: str, *, limits: FetchLimits = DEFAULT_LIMITS) -> MastodonApp:
    """Register amplify as an app on `server`, with only the scopes posting needs (and `profile`, or
    `read:accounts` on a server older than 4.3, to see whose account it is)."""
    _https_only(server)
    instance = call_api(MASTODON, server, lambda client: fetch_json(client, f"{server}/api/v2/instance",
                                                                    limits=limits), limits)
    scopes = MASTODON_SCOPES if knows_profile_scope(instance) else OLDER_MASTODON_SCOPES
    form = {"client_name": "amplify", "redirect_uris": OOB, "scopes": scopes}
    answer = call_api(MASTODON, server, lambda client: send_json(client, f"{server}/api/v1/apps", form=form,
                                                                 limits=limits), limits)
    client_id, client_secret = _text(answer, "client_id"), _text(answer, "client_secret")
    if not client_id or not client_secret:
        raise AccountError(f"{server} did not register amplify; is it a Mastodon server?")
    verifier = base64.urlsafe_b64encode(os.urandom(48)).rstrip(b"=").decode()
    return MastodonApp(server, client_id, client_secret, verifier, scopes)


def knows_profile_scope(instance: Any) -> bool:
    """Whether the server knows the `profile` scope: Mastodon 4.3 added it, with `api_versions` in its instance
    answer; a server without them is judged by its version number."""
    if isinstance(instance, Mapping) and isinstance(instance.get("api_versions"), Mapping):
        return True
    found = re.match(r"(\d+)\.(\d+)", str(instance.get("version", "")) if isinstance(instance, Mapping) else "")
    return found is not None and (int(found.group(1)), int(found.group(2))) >= (4, 3)


def mastodon_token_from_code(app: MastodonApp, code: str, *, limits: FetchLimits = DEFAULT_LIMITS) -> str:
    """Trade the code the server showed for a token."""
    _https_only(app.server)
    code = code.strip()
    if not code:
        raise AccountError("Paste the code Mastodon showed after you allowed amplify")
    form = {"grant_type": "authorization_code", "code": code, "client_id": app.client_id,
            "client_secret": app.client_secret, "redirect_uri": OOB, "scope": app.scopes,
            "code_verifier": app.code_verifier}
    answer = call_api(MASTODON, app.server, lambda client: send_json(client, f"{app.server}/oauth/token",
                                                                     form=form, limits=limits), limits)
    token = _text(answer, "access_token")
    if not token:
        raise AccountError(f"{app.server} gave no token for that code: start again and paste the newest code")
    return token


def connect_mastodon(store: "Store", server: str, token: str, *, keep_token: bool = True,
                     limits: FetchLimits = DEFAULT_LIMITS) -> Account:
    """Verify `token` on `server` (`verify_credentials`), read the server's rules, keep the token (unless it
    came from AMPLIFY_MASTODON_TOKEN: `keep_token=False`) and connect the account."""
    _https_only(server)
    token = token.strip()
    if not token:
        raise AccountError(f"Paste your Mastodon access token: {MASTODON_TOKEN_HELP}")
    headers = {"Authorization": f"Bearer {token}"}
    me = call_api(MASTODON, server, lambda client: fetch_json(
        client, f"{server}/api/v1/accounts/verify_credentials", headers=headers, limits=limits), limits)
    instance = call_api(MASTODON, server, lambda client: fetch_json(client, f"{server}/api/v2/instance",
                                                                    limits=limits), limits)
    username = _text(me, "username")
    if not username:
        raise AccountError(f"{server} did not say whose token this is; is it a Mastodon server?")
    domain = _text(instance, "domain") or (http_parts(server).hostname if http_parts(server) else "") or ""
    now = store.now()
    handle = networks.normalize_handle(MASTODON, f"@{username}@{domain}") or one_line(f"@{username}@{domain}")
    account = Account(network=MASTODON, server=server, handle=handle, did=None, account_id=_text(me, "id") or None,
                      display_name=one_line(_text(me, "display_name")) or one_line(username),
                      connected_at=now, rules=instance_rules(instance if isinstance(instance, Mapping) else {}),
                      rules_checked_at=now, secret_from=KEPT if keep_token else ENVIRONMENT)
    if keep_token:
        vault.set_secret(MASTODON_TOKEN, token)
    store.save_account(account)
    return account


# -- Bluesky ---------------------------------------------------------------------------------------------------


def connect_bluesky(store: "Store", handle: str, app_password: str, *, server: str | None = None,
                    keep_password: bool = True, limits: FetchLimits = DEFAULT_LIMITS) -> Account:
    """Sign in to Bluesky with an app password (`createSession`), refuse the account's own password, verify the
    session (`getSession`), keep the password (unless it came from AMPLIFY_BLUESKY_APP_PASSWORD) and the session,
    and connect the account. `server` is the PDS to sign in at (https://bsky.social unless you host your own)."""
    wanted = networks.normalize_handle(BLUESKY, handle)
    if wanted is None:
        raise AccountError(f"{handle!r} is not a Bluesky handle: give it {networks.HANDLE_SHAPES[BLUESKY]}")
    app_password = app_password.strip()
    if not app_password:
        raise AccountError(f"Paste an app password. {APP_PASSWORD_HELP}")
    base = _base_url(server) if server else BLUESKY_SERVER

    def xrpc(method: str, **options: Any) -> dict[str, Any]:
        answer = call_api(BLUESKY, base, lambda client: (send_json if "json_body" in options else fetch_json)(
            client, f"{base}/xrpc/{method}", limits=limits, **options), limits)
        return answer if isinstance(answer, dict) else {}

    created = xrpc("com.atproto.server.createSession", json_body={"identifier": wanted, "password": app_password})
    access, refresh = _text(created, "accessJwt"), _text(created, "refreshJwt")
    if not access or not refresh:
        raise AccountError(f"{base} answered without a session; is it a Bluesky server?")
    if jwt_claims(access).get("scope") == ACCOUNT_PASSWORD_SCOPE:
        _sign_out(xrpc, refresh)
        raise AccountError(f"That is the account's own password, which amplify does not keep. {APP_PASSWORD_HELP}")
    me = xrpc("com.atproto.server.getSession", headers={"Authorization": f"Bearer {access}"})
    did, shown_handle = _text(me, "did"), networks.normalize_handle(BLUESKY, _text(me, "handle")) or wanted
    if not did:
        raise AccountError(f"{base} did not say whose session this is; is it a Bluesky server?")
    account = Account(network=BLUESKY, server=_pds(created) or base, handle=shown_handle, did=did, account_id=None,
                      display_name=shown_handle, connected_at=store.now(),
                      secret_from=KEPT if keep_password else ENVIRONMENT)
    if keep_password:
        vault.set_secret(BLUESKY_APP_PASSWORD, app_password)
    save_bluesky_session(access, refresh)
    store.save_account(account)
    return account


def _sign_out(xrpc: Any, refresh_jwt: str) -> None:
    """End a session amplify will not keep; a failure leaves it to expire on its own."""
    with suppress(AccountError):
        xrpc("com.atproto.server.deleteSession", json_body={}, headers={"Authorization": f"Bearer {refresh_jwt}"})


def _pds(session: Mapping[str, Any]) -> str | None:
    """The account's own PDS, from the DID document a session carries (as Bluesky's clients do): an account signed
    in at https://bsky.social lives on one of its PDSes."""
    document = session.get("didDoc")
    services = document.get("service") if isinstance(document, Mapping) else None
    for service in services if isinstance(services, list) else []:
        if isinstance(service, Mapping) and str(service.get("id", "")).endswith("#atproto_pds"):
            endpoint = service.get("serviceEndpoint")
            # The session's tokens go there: over https only (or on this machine or network).
            if isinstance(endpoint, str) and same_server(endpoint, endpoint):
                return endpoint.rstrip("/")
    return None


def _text(answer: Any, key: str) -> str:
    value = answer.get(key) if isinstance(answer, Mapping) else None
    return str(value) if isinstance(value, str | int) and not isinstance(value, bool) else ""
