"""Connected accounts: which Mastodon and Bluesky account amplify posts as, and the credentials to do it.

What is kept where:
- the account itself (network, server, handle, DID or account id, display name, when it was connected, the
  Mastodon server's rules) is a row of `accounts` in amplify.db (`Store.account`): nothing secret, and it belongs
  with the shares that will name it;
- the token, the app password and Bluesky's session are secrets (`amplify.secrets`): the keyring or a 0600 file,
  never the database, feeds.yml, a log line, an event or an error message.

One account a network. Connecting (`amplify.connect`) verifies the credentials with the server first and keeps
nothing the server refused. Everything here speaks HTTP only through `amplify.fetch`.

What posting calls:
- `connected(store, network)`, `connected_accounts(store)`: the accounts;
- `mastodon_headers(account)`: `Authorization: Bearer <token>`, the account's own token (kept, or from
  AMPLIFY_MASTODON_TOKEN when the account was connected from it), for its own server only;
- `same_server(url, server)`: whether a token of `server` may go to `url` (the same scheme, host and port, over
  https; plain http only to an address on this machine or network, under the private-addresses opt-in);
- `bluesky_session(account, limits=...)`: a usable access JWT, renewed (and the rotated refresh JWT saved, before it
  is used) when it has expired; `renew=True` after the server answered `ExpiredToken`;
- `post_limits(store, network)`: the connected Mastodon server's limits for the composer and the length check,
  `alt_text_limit(store, network)` its longest image description; `refresh_rules(store, limits=...)` reads them
  again when they are a day old.
"""

import base64
import binascii
import ipaddress
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from amplify import compose, networks
from amplify import secrets as vault
from amplify.errors import AmplifyError
from amplify.fetch import (
    DEFAULT_LIMITS,
    FetchError,
    FetchLimits,
    HTTPStatusError,
    fetch_json,
    open_client,
    send_json,
)
from amplify.types import Account, InstanceRules
from amplify.urls import http_parts

if TYPE_CHECKING:
    from amplify.store import Store

__all__ = ["Account", "AccountError", "BlueskySession", "InstanceRules", "alt_text_limit", "bluesky_session", "check",
           "connected", "connected_accounts", "disconnect", "instance_rules", "mastodon_headers", "post_limits",
           "refresh_rules", "require_https", "same_server", "secret_for"]

log = logging.getLogger(__name__)

MASTODON, BLUESKY = networks.FOLLOW_LIST_IMPORTS  # the networks amplify connects accounts on, too
ACCOUNT_NETWORKS = (MASTODON, BLUESKY)
MASTODON_TOKEN = "mastodon.token"
BLUESKY_APP_PASSWORD = "bluesky.app_password"
BLUESKY_SESSION = "bluesky.session"
# The Mastodon server's rules are read when connecting and again when they are older than this.
RULES_MAX_AGE = timedelta(days=1)
# An access JWT this close to its expiry is renewed before use rather than sent to fail.
EXPIRY_MARGIN = timedelta(minutes=2)
KEPT, ENVIRONMENT = "kept", "environment"  # where an account's secret is (Account.secret_from)
# Bluesky's errors that mean "this token is no good": renew the session.
STALE_TOKEN_ERRORS = frozenset({"ExpiredToken", "InvalidToken"})


class AccountError(AmplifyError):
    """An account cannot be used as it is: not connected, refused by its server (reconnect), or the server is out
    of reach. The message says which, and what to do; it never holds a secret."""


def reconnect(network: str, *, again: bool = True) -> str:
    """How to connect an account (again), in words for both the command line and the Settings page."""
    return f"connect it{' again' if again else ''} with `amplify account add {network}` or on the Settings page"


# -- the accounts ----------------------------------------------------------------------------------------------


def connected(store: "Store", network: str) -> Account | None:
    """The account connected on `network` (mastodon or bluesky), or None."""
    return store.account(network)


def connected_accounts(store: "Store") -> list[Account]:
    return store.accounts()


def disconnect(store: "Store", network: str) -> Account | None:
    """Forget the account on `network` and its secrets. Returns the account that was connected, or None."""
    if network not in ACCOUNT_NETWORKS:
        raise AccountError(f"amplify connects accounts on Mastodon and Bluesky, not {network!r}")
    account = store.account(network)
    for name in _secret_names(network):
        vault.delete_secret(name)
    store.remove_account(network)
    return account


def check(store: "Store", network: str, *, limits: FetchLimits = DEFAULT_LIMITS) -> Account:
    """Ask the server whether the account connected on `network` still works (`verify_credentials`; a Bluesky
    session, then `getSession`), and read a Mastodon server's rules again. Returns the account; raises
    AccountError (not connected, or refused: reconnect)."""
    account = store.account(network)
    if account is None:
        raise AccountError(f"No {networks.NAMES.get(network, network)} account is connected: "
                           f"{reconnect(network, again=False)}")
    if network == MASTODON:
        headers = mastodon_headers(account)
        call_api(MASTODON, account.server, lambda client: fetch_json(
            client, f"{account.server}/api/v1/accounts/verify_credentials", headers=headers, limits=limits), limits)
        return refresh_rules(store, limits=limits, force=True) or account
    session = bluesky_session(account, limits=limits)
    try:
        _bluesky_get(session, "com.atproto.server.getSession", limits)
    except _StaleToken:
        _bluesky_get(bluesky_session(account, limits=limits, renew=True), "com.atproto.server.getSession", limits)
    return account


def _secret_names(network: str) -> tuple[str, ...]:
    return (MASTODON_TOKEN,) if network == MASTODON else (BLUESKY_APP_PASSWORD, BLUESKY_SESSION)


# -- Mastodon --------------------------------------------------------------------------------------------------


def mastodon_headers(account: Account, *, own_instance: str | None = None) -> dict[str, str]:
    """The header that authorizes a call as `account` on its own server: `Authorization: Bearer <token>`.

    The token is the one kept for the account, or AMPLIFY_MASTODON_TOKEN when the account was connected from it.
    The variable stands in for a missing kept token only when it is meant for the account's server: `own_instance`
    (feeds.yml's `mastodon_instance`, which the variable is for) is that server."""
    token = secret_for(account, MASTODON_TOKEN, own_instance=own_instance)
    if not token:
        raise AccountError(f"amplify has no token for {account.handle} on Mastodon: {_missing(account, MASTODON)}")
    _secure(account)
    return {"Authorization": f"Bearer {token}"}


def secret_for(account: Account, name: str, *, own_instance: str | None = None) -> str | None:
    """The account's own secret `name`: from its environment variable when the account was connected from it, else
    the one kept; the variable stands in for a missing kept one only when `own_instance` is the account's server."""
    if account.secret_from == ENVIRONMENT:
        return vault.environment_secret(name)
    kept = vault.get_secret(name)
    if kept is None and own_instance and is_own_instance(account.server, own_instance):
        return vault.environment_secret(name)
    return kept


def environment_token(server: str, own_instance: str | None) -> str | None:
    """AMPLIFY_MASTODON_TOKEN when `server` is the instance it is meant for (`own_instance`, feeds.yml's
    `mastodon_instance`), else None: connecting an account on another server never sends it there."""
    if not own_instance or not is_own_instance(server, own_instance):
        return None
    return vault.environment_secret(MASTODON_TOKEN)


def is_own_instance(url: str, own_instance: str) -> bool:
    """Whether `url` is on the user's own instance (`own_instance`: feeds.yml's `mastodon_instance`, a host name,
    at https; `host:port` of an address on this machine under the private-addresses opt-in, at http)."""
    own = own_instance.strip().lower().rstrip("/")
    return same_server(url, f"https://{own}") or same_server(url, f"http://{own}")


def same_server(url: str, server: str) -> bool:
    """Whether a token of `server` may go to `url`: the same scheme, host and port, over https. Plain http only to
    an address on this machine or network (localhost, a loopback or private IP), which amplify reaches at all only
    when private addresses are allowed (feeds.yml's allow_private_addresses, or AMPLIFY_ALLOW_PRIVATE=1: the
    fetch layer refuses them otherwise)."""
    asked, own = http_parts(url), http_parts(server)
    if asked is None or own is None or _origin(asked) != _origin(own):
        return False
    return asked.scheme.lower() == "https" or _private_host(asked.hostname or "")


def _origin(parts: Any) -> tuple[str, str, int]:
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = -1
    return scheme, (parts.hostname or "").lower().rstrip("."), port or (443 if scheme == "https" else 80)


# Names that are on this machine or the local network by definition (RFC 6761, 6762, 8375; ICANN's .internal).
LOCAL_NAMES = ("localhost", ".localhost", ".local", ".internal", ".home.arpa")


def _private_host(host: str) -> bool:
    name = host.lower().rstrip(".")
    if name == LOCAL_NAMES[0] or name.endswith(LOCAL_NAMES[1:]):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_private or address.is_link_local


def _secure(account: Account) -> None:
    """Refuse to send an account's secret to its server other than over https (or on this machine or network)."""
    require_https(account.server, f"{reconnect(account.network)} with its https address")


def require_https(server: str, what_to_do: str) -> None:
    """Raise AccountError unless a secret may go to `server`: https, or plain http on this machine or network."""
    if not same_server(server, server):
        raise AccountError(f"amplify sends tokens and passwords only over https, and {server} is not: {what_to_do}")


def _missing(account: Account, network: str) -> str:
    """What to do about a missing secret: set the variable again, or connect again."""
    if account.secret_from == ENVIRONMENT:
        variable = vault.ENV_OVERRIDES[MASTODON_TOKEN if network == MASTODON else BLUESKY_APP_PASSWORD]
        return f"it was connected from {variable}, which is not set now; set it again, or {reconnect(network)}"
    return reconnect(network)


def instance_rules(instance: Mapping[str, Any]) -> InstanceRules:
    """A Mastodon server's rules from its `GET /api/v2/instance` answer; Mastodon's defaults where it says
    nothing. Raises AccountError for a number that is not a whole number above 0."""
    configuration = _mapping(instance, "configuration")
    statuses, media = _mapping(configuration, "statuses"), _mapping(configuration, "media_attachments")
    try:
        limits = compose.mastodon_limits(instance)
    except compose.ComposeError as error:
        raise AccountError(f"The Mastodon server's rules cannot be read: {error}") from None
    defaults = InstanceRules()
    return InstanceRules(
        max_characters=limits.characters,
        characters_reserved_per_url=limits.url_length or defaults.characters_reserved_per_url,
        max_media_attachments=_whole(statuses, "max_media_attachments", defaults.max_media_attachments),
        description_limit=_whole(media, "description_limit", defaults.description_limit),
    )


def post_limits(store: "Store", network: str) -> compose.Limits | None:
    """The limits a post on `network` must fit on the connected account's server (Mastodon's rules, as last
    read), or None for the network's own (Bluesky's 300 graphemes and 3,000 bytes, the others')."""
    account = store.account(network) if network == MASTODON else None
    if account is None or account.rules is None:
        return None
    return compose.Limits(characters=account.rules.max_characters,
                          url_length=account.rules.characters_reserved_per_url)


def alt_text_limit(store: "Store", network: str) -> int | None:
    """The longest image description the connected Mastodon server takes (its `description_limit`), or None."""
    account = store.account(network) if network == MASTODON else None
    return account.rules.description_limit if account is not None and account.rules is not None else None


def refresh_rules(store: "Store", *, limits: FetchLimits = DEFAULT_LIMITS, force: bool = False) -> Account | None:
    """Read the connected Mastodon server's rules again when they are more than a day old (or `force`). A server
    out of reach keeps the rules read before (and says so in the log). Returns the account as it now is."""
    account = store.account(MASTODON)
    if account is None:
        return None
    if not force and account.rules is not None and not _older_than(account.rules_checked_at, store.now(),
                                                                   RULES_MAX_AGE):
        return account
    try:
        rules = _read_rules(account.server, limits)
    except AccountError as error:
        log.warning("kept the Mastodon rules read before: %s", error)
        return account
    store.save_account_rules(MASTODON, rules, store.now())
    return store.account(MASTODON)


def _read_rules(server: str, limits: FetchLimits) -> InstanceRules:
    return instance_rules(_mastodon_instance(server, limits))


def _mastodon_instance(server: str, limits: FetchLimits) -> dict[str, Any]:
    answer = call_api(MASTODON, server, lambda client: fetch_json(client, f"{server}/api/v2/instance",
                                                                  limits=limits), limits)
    return answer if isinstance(answer, dict) else {}


# -- Bluesky ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BlueskySession:
    """A usable Bluesky session: calls go to `server` (the account's PDS) with `headers`."""

    did: str
    handle: str
    server: str
    access_jwt: str = field(repr=False)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_jwt}"}


def bluesky_session(account: Account, *, limits: FetchLimits = DEFAULT_LIMITS, renew: bool = False) -> BlueskySession:
    """A session for `account` whose access JWT is good for a while.

    The kept session is used while its access JWT has not expired (unless `renew`, after the server answered
    ExpiredToken). Else it is refreshed with its refresh JWT; Bluesky revokes that refresh JWT at once, so the new
    pair is saved (atomically, through amplify.secrets) before the new access JWT is used. When the refresh JWT
    is refused too (expired, revoked, or replayed by another process), a new session is made from the app
    password. Raises AccountError when nothing works (reconnect)."""
    kept = _kept_session()
    if kept and not renew and not _expiring(kept["accessJwt"]):
        return _session(account, kept["accessJwt"])
    if kept:
        try:
            renewed = _bluesky_call(account.server, "com.atproto.server.refreshSession", limits,
                                    headers={"Authorization": f"Bearer {kept['refreshJwt']}"})
        except _StaleToken:
            log.info("the Bluesky refresh token was refused; signing in again with the app password")
        else:
            return _keep_session(account, renewed)
    password = secret_for(account, BLUESKY_APP_PASSWORD)
    if not password:
        raise AccountError(f"amplify has no app password for {account.handle} on Bluesky: {_missing(account, BLUESKY)}")
    identifier = account.did or account.handle
    try:
        created = _bluesky_call(account.server, "com.atproto.server.createSession", limits,
                                body={"identifier": identifier, "password": password})
    except _StaleToken:
        raise AccountError(f"Bluesky refused the app password of {account.handle}: {reconnect(BLUESKY)}") from None
    return _keep_session(account, created)


def _session(account: Account, access_jwt: str) -> BlueskySession:
    return BlueskySession(did=account.did or "", handle=account.handle, server=account.server, access_jwt=access_jwt)


def _kept_session() -> dict[str, str] | None:
    text = vault.get_secret(BLUESKY_SESSION)
    try:
        kept = json.loads(text) if text else None
    except ValueError:
        return None
    if not isinstance(kept, dict) or not all(isinstance(kept.get(key), str) for key in ("accessJwt", "refreshJwt")):
        return None
    return kept


def _keep_session(account: Account, answer: Mapping[str, Any]) -> BlueskySession:
    """Save the session's new pair of tokens, then hand out its access JWT."""
    access, refresh = answer.get("accessJwt"), answer.get("refreshJwt")
    if not isinstance(access, str) or not isinstance(refresh, str):
        raise AccountError(f"{account.server} answered without a session; is it a Bluesky server?")
    if account.did and answer.get("did") not in (None, account.did):
        raise AccountError(f"{account.server} signed in another account than {account.handle}: "
                           f"{reconnect(BLUESKY)}")
    save_bluesky_session(access, refresh)
    return _session(account, access)


def save_bluesky_session(access_jwt: str, refresh_jwt: str) -> None:
    """Keep a Bluesky session's pair of tokens, in one atomic write (the refresh JWT alone is no use without the
    access JWT it came with, and the old pair is revoked)."""
    vault.set_secret(BLUESKY_SESSION, json.dumps({"accessJwt": access_jwt, "refreshJwt": refresh_jwt}))


def jwt_claims(token: str) -> dict[str, Any]:
    """The claims of a JWT, read without checking its signature (the server checks it): what amplify needs is
    when it expires and, on Bluesky, whether an app password made it. Empty when it cannot be read."""
    parts = token.split(".")
    if len(parts) != 3:
        return {}
    try:
        claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (ValueError, binascii.Error):
        return {}
    return claims if isinstance(claims, dict) else {}


def _expiring(access_jwt: str) -> bool:
    expires = jwt_claims(access_jwt).get("exp")
    if not isinstance(expires, int | float):
        return True
    return datetime.fromtimestamp(expires).astimezone() - EXPIRY_MARGIN <= datetime.now().astimezone()


class _StaleToken(AccountError):
    """Bluesky refused a token or a password (401, ExpiredToken, InvalidToken, AuthenticationRequired)."""


def _bluesky_call(server: str, method: str, limits: FetchLimits, *, body: Any = None,
                  headers: dict[str, str] | None = None) -> dict[str, Any]:
    """POST an XRPC procedure on `server`; a refused credential raises _StaleToken."""

    def call(client: Any) -> Any:
        return send_json(client, f"{server}/xrpc/{method}", json_body=body, headers=headers, limits=limits)

    answer = call_api(BLUESKY, server, call, limits, stale=_StaleToken)
    return answer if isinstance(answer, dict) else {}


def _bluesky_get(session: BlueskySession, method: str, limits: FetchLimits) -> Any:
    return call_api(BLUESKY, session.server, lambda client: fetch_json(
        client, f"{session.server}/xrpc/{method}", headers=session.headers, limits=limits), limits, stale=_StaleToken)


# -- calls and their errors --------------------------------------------------------------------------------------


def call_api(network: str, server: str, call: Callable[[Any], Any], limits: FetchLimits,
             stale: type[AccountError] = AccountError) -> Any:
    """Run `call(client)` (a `fetch.fetch_json` or `fetch.send_json`) on a client of its own and return the JSON
    it got; turn what went wrong into an AccountError in plain words (a refused credential into `stale`)."""
    name = networks.NAMES[network]
    try:
        with open_client(limits, connections=1) as client:
            return call(client).data
    except HTTPStatusError as error:
        said = server_message(error.data)
        if error.status in (400, 401) and _is_stale(error.data) or error.status in (401, 403):
            raise stale(f"{name} ({server}) refused the credentials{_quoted(said)}: {reconnect(network)}") from None
        if error.status == 429:
            raise AccountError(f"{name} ({server}) asks amplify to wait before trying again"
                               f"{_until(error.headers)}") from None
        raise AccountError(f"{name} ({server}): {error.reason}{_quoted(said)}") from None
    except FetchError as error:
        raise AccountError(f"{name} could not be reached at {server}: {error.reason}") from None


def server_message(data: Any) -> str:
    """What an API's error body says, in one short line: Mastodon's `error` (and `error_description`), Bluesky's
    `message` (or its `error` code), FastAPI's `detail`; empty when it says nothing readable."""
    if not isinstance(data, Mapping):
        return ""
    for key in ("message", "error_description", "error", "detail"):
        value = data.get(key)
        if isinstance(value, str) and value.strip():
            return " ".join(value.split())[:200]
    return ""


def _is_stale(data: Any) -> bool:
    return isinstance(data, Mapping) and data.get("error") in STALE_TOKEN_ERRORS | {"AuthenticationRequired"}


def _quoted(said: str) -> str:
    return f" (it said: {said})" if said else ""


def _until(headers: Mapping[str, str]) -> str:
    reset = headers.get("x-ratelimit-reset") or headers.get("ratelimit-reset") or headers.get("retry-after")
    return f" (until {reset})" if reset else ""


def _mapping(value: Any, key: str) -> Mapping[str, Any]:
    inner = value.get(key) if isinstance(value, Mapping) else None
    return inner if isinstance(inner, Mapping) else {}


def _whole(numbers: Mapping[str, Any], key: str, default: int) -> int:
    value = numbers.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise AccountError(f"The Mastodon server gave {key} as {value!r}; expected a whole number above 0")
    return value


def _older_than(stamp: str | None, now: str, age: timedelta) -> bool:
    if not stamp:
        return True
    try:
        return datetime.fromisoformat(now) - datetime.fromisoformat(stamp) > age
    except ValueError:
        return True
