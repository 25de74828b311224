"""Connecting accounts: Mastodon through `mastodon-mock` and servers of our own on 127.0.0.1, Bluesky on the real
PDS of @atproto/dev-env (the `bluesky` fixture). Nothing is mocked in between: the requests go through amplify.fetch."""

import base64
import json
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from account_fixtures import ADA_TOKEN, ada_on_mastodon, app_password
from support import FIXED_NOW

from amplify import accounts, connect
from amplify.accounts import AccountError, bluesky_session, mastodon_headers, post_limits, refresh_rules
from amplify.compose import Limits, check_length
from amplify.secrets import delete_secret, get_secret, secrets_file, set_secret
from amplify.store import Store
from amplify.types import InstanceRules

# -- Mastodon --------------------------------------------------------------------------------------------------



@pytest.fixture(scope="module")
def mastodon():
    with ada_on_mastodon() as running:
        yield running


def test_a_personal_token_connects_the_account_it_belongs_to(mastodon, store):
    account = connect.connect_mastodon(store, mastodon.base_url, ADA_TOKEN)
    assert (account.network, account.server, account.display_name) == ("mastodon", mastodon.base_url, "Ada Bakes")
    assert account.handle.startswith("@ada@") and account.account_id
    assert account.rules == InstanceRules(max_characters=500, characters_reserved_per_url=23,
                                          max_media_attachments=4, description_limit=account.rules.description_limit)
    assert accounts.connected(store, "mastodon") == account
    assert accounts.connected_accounts(store) == [account]
    assert mastodon_headers(account) == {"Authorization": f"Bearer {ADA_TOKEN}"}
    assert get_secret("mastodon.token") == ADA_TOKEN


def test_oauth_asks_only_for_the_posting_scopes_and_the_profile_and_trades_the_code_for_a_token(mastodon, store):
    app = connect.register_mastodon_app(mastodon.base_url)
    assert "client_secret" not in repr(app) and app.client_secret not in repr(app)
    address = urlsplit(app.authorize_url)
    query = parse_qs(address.query)
    assert address.path == "/oauth/authorize"
    assert query["scope"] == ["write:statuses write:media read:statuses profile"]
    assert query["redirect_uri"] == ["urn:ietf:wg:oauth:2.0:oob"]
    assert query["code_challenge_method"] == ["S256"] and query["client_id"] == [app.client_id]
    # The mock's authorize page issues "mockcode_<user>" for the account picked there.
    token = connect.mastodon_token_from_code(app, "mockcode_ada")
    account = connect.connect_mastodon(store, mastodon.base_url, token)
    assert account.handle.startswith("@ada@")
    granted = httpx.get(f"{mastodon.base_url}/api/v1/apps/verify_credentials",
                        headers={"Authorization": f"Bearer {token}"}).json()
    assert sorted(granted["scopes"]) == ["profile", "read:statuses", "write:media", "write:statuses"]


def test_a_server_older_than_4_3_is_asked_for_read_accounts_instead_of_profile():
    assert connect.knows_profile_scope({"version": "4.3.0", "api_versions": {"mastodon": 2}})
    assert connect.knows_profile_scope({"version": "4.5.1+glitch"})
    assert not connect.knows_profile_scope({"version": "4.2.12"})
    assert not connect.knows_profile_scope({"version": "3.5.3"})
    assert not connect.knows_profile_scope({})
    app = connect.MastodonApp("https://old.example", "id", "secret", "verifier", connect.OLDER_MASTODON_SCOPES)
    assert parse_qs(urlsplit(app.authorize_url).query)["scope"] == ["write:statuses write:media read:statuses "
                                                                    "read:accounts"]


def test_a_wrong_code_or_token_is_refused_plainly_and_nothing_is_kept(mastodon, store):
    app = connect.register_mastodon_app(mastodon.base_url)
    with pytest.raises(AccountError, match="refused|400"):
        connect.mastodon_token_from_code(app, "not-a-code")
    with pytest.raises(AccountError, match="refused the credentials.*amplify account add mastodon") as refused:
        connect.connect_mastodon(store, mastodon.base_url, "wrong-token-123")
    assert "wrong-token-123" not in str(refused.value)
    assert accounts.connected(store, "mastodon") is None and get_secret("mastodon.token") is None


def test_the_token_from_the_environment_is_used_and_not_copied(mastodon, store, monkeypatch):
    monkeypatch.setenv("AMPLIFY_MASTODON_TOKEN", ADA_TOKEN)
    account = connect.connect_mastodon(store, mastodon.base_url, ADA_TOKEN, keep_token=False)
    assert account.secret_from == "environment" and accounts.connected(store, "mastodon") == account
    assert mastodon_headers(account) == {"Authorization": f"Bearer {ADA_TOKEN}"}
    assert not secrets_file().exists()
    monkeypatch.delenv("AMPLIFY_MASTODON_TOKEN")
    with pytest.raises(AccountError, match="connected from AMPLIFY_MASTODON_TOKEN, which is not set now"):
        mastodon_headers(account)


def test_a_token_in_the_environment_never_stands_in_for_the_connected_accounts_own(mastodon, store, monkeypatch):
    # Connected in Settings on this server; the variable holds the token of the user's mastodon_instance elsewhere
    # (for importing a hidden follow list there), which this server must never see.
    account = connect.connect_mastodon(store, mastodon.base_url, ADA_TOKEN)
    monkeypatch.setenv("AMPLIFY_MASTODON_TOKEN", "token-of-another-server")
    assert account.secret_from == "kept"
    assert mastodon_headers(account) == {"Authorization": f"Bearer {ADA_TOKEN}"}
    assert accounts.check(store, "mastodon").handle == account.handle  # the rules read with the account's own
    assert mastodon_headers(account, own_instance="elsewhere.example") == {"Authorization": f"Bearer {ADA_TOKEN}"}


def test_the_environment_stands_in_for_a_missing_kept_token_only_on_the_instance_it_is_for(mastodon, store,
                                                                                          monkeypatch):
    account = connect.connect_mastodon(store, mastodon.base_url, ADA_TOKEN)
    delete_secret("mastodon.token")
    monkeypatch.setenv("AMPLIFY_MASTODON_TOKEN", "env-token")
    with pytest.raises(AccountError, match="no token"):
        mastodon_headers(account)
    with pytest.raises(AccountError, match="no token"):
        mastodon_headers(account, own_instance="elsewhere.example")
    own = urlsplit(mastodon.base_url).netloc
    assert mastodon_headers(account, own_instance=own) == {"Authorization": "Bearer env-token"}


def test_a_token_goes_only_to_its_own_server_over_https():
    same = accounts.same_server
    assert same("https://bakers.social/api/v1/statuses/1", "https://bakers.social")
    assert same("https://Bakers.Social:443/x", "https://bakers.social")
    assert not same("http://bakers.social/x", "https://bakers.social")  # the scheme counts, not just the host
    assert not same("http://bakers.social/x", "http://bakers.social")  # and never plain http to the internet
    assert not same("https://bakers.social:8443/x", "https://bakers.social")
    assert not same("https://evil.example/x", "https://bakers.social")
    assert not same("https://bakers.social.evil.example/x", "https://bakers.social")
    assert same("http://127.0.0.1:8000/x", "http://127.0.0.1:8000")  # this machine, reached only under the opt-in
    assert not same("http://127.0.0.1:8001/x", "http://127.0.0.1:8000")
    assert not same("not a url", "https://bakers.social")


def test_disconnecting_forgets_the_account_and_its_token(mastodon, store):
    connect.connect_mastodon(store, mastodon.base_url, ADA_TOKEN)
    removed = accounts.disconnect(store, "mastodon")
    assert removed is not None and removed.network == "mastodon"
    assert accounts.connected(store, "mastodon") is None and get_secret("mastodon.token") is None
    with pytest.raises(AccountError, match="no token.*amplify account add mastodon"):
        mastodon_headers(removed)
    assert accounts.disconnect(store, "mastodon") is None
    with pytest.raises(AccountError, match="Mastodon and Bluesky"):
        accounts.disconnect(store, "x")


def test_the_server_address_is_checked():
    assert connect.mastodon_server("Mastodon.Social") == "https://mastodon.social"
    assert connect.mastodon_server(server="http://127.0.0.1:8000/") == "http://127.0.0.1:8000"
    with pytest.raises(AccountError, match="bare host"):
        connect.mastodon_server("https://mastodon.social/@ada")
    with pytest.raises(AccountError, match="not a server address"):
        connect.mastodon_server(server="ftp://example.org")
    with pytest.raises(AccountError, match="only over https"):
        connect.mastodon_server(server="http://mastodon.social")
    with pytest.raises(AccountError, match="which Mastodon server"):
        connect.mastodon_server("")


def serve_instance(server, *, max_characters=1000, url_length=30, media=6, alt=2500, token=ADA_TOKEN):
    """A Mastodon server of our own that says its own limits (mastodon-mock's are fixed at 500)."""
    instance = {"domain": "bakers.example", "configuration": {
        "statuses": {"max_characters": max_characters, "characters_reserved_per_url": url_length,
                     "max_media_attachments": media},
        "media_attachments": {"description_limit": alt}}}
    server.route("/api/v2/instance", json.dumps(instance), headers={"Content-Type": "application/json"})

    def verify(handler):
        allowed = handler.headers.get("Authorization") == f"Bearer {token}"
        body = json.dumps({"id": "7", "username": "ada", "display_name": "Ada"} if allowed
                          else {"error": "The access token is invalid"}).encode()
        handler.send_response(200 if allowed else 401)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    server.route("/api/v1/accounts/verify_credentials", handler=verify)


def test_the_instance_rules_become_the_length_check(server, store):
    serve_instance(server)
    account = connect.connect_mastodon(store, server.url("").rstrip("/"), ADA_TOKEN)
    assert account.handle == "@ada@bakers.example"
    assert account.rules == InstanceRules(1000, 30, 6, 2500)
    limits = post_limits(store, "mastodon")
    assert limits == Limits(characters=1000, url_length=30)
    assert post_limits(store, "bluesky") is None
    text = "a" * 700
    assert not check_length(text, "mastodon").fits
    assert check_length(text, "mastodon", limits=limits).fits
    assert check_length("https://example.org/" + "x" * 50, "mastodon", limits=limits).count == 30


def test_rules_are_read_again_once_a_day_and_kept_when_the_server_is_away(server, tmp_path):
    serve_instance(server)
    now = [FIXED_NOW]
    with Store(tmp_path / "amplify.db", clock=lambda: now[0]) as store:
        connect.connect_mastodon(store, server.url("").rstrip("/"), ADA_TOKEN)
        serve_instance(server, max_characters=2000)
        now[0] = FIXED_NOW + timedelta(hours=23)
        assert refresh_rules(store).rules.max_characters == 1000  # not a day old yet: not asked
        assert len(server.hits("/api/v2/instance")) == 1
        now[0] = FIXED_NOW + timedelta(hours=25)
        assert refresh_rules(store).rules.max_characters == 2000
        server.route("/api/v2/instance", "down", status=503)
        now[0] = FIXED_NOW + timedelta(hours=50)
        assert refresh_rules(store).rules.max_characters == 2000
        assert refresh_rules(store, force=True).rules.max_characters == 2000
    assert refresh_rules(Store(tmp_path / "other.db")) is None


def test_nonsense_rules_are_refused(server, store):
    serve_instance(server, max_characters=-5)
    with pytest.raises(AccountError, match="max_characters"):
        connect.connect_mastodon(store, server.url("").rstrip("/"), ADA_TOKEN)
    assert accounts.connected(store, "mastodon") is None


# -- Bluesky ---------------------------------------------------------------------------------------------------


def kept_session() -> dict[str, str]:
    return json.loads(get_secret("bluesky.session"))


def test_an_app_password_connects_and_the_session_is_kept(bluesky, store):
    person = bluesky.create_account("acc1")
    password = app_password(bluesky, person)
    account = connect.connect_bluesky(store, f"@{person.handle}", password, server=bluesky.pds)
    assert (account.network, account.handle, account.did) == ("bluesky", person.handle, person.did)
    assert get_secret("bluesky.app_password") == password
    session = bluesky_session(account)
    assert session.access_jwt == kept_session()["accessJwt"]
    assert session.access_jwt not in repr(session)
    me = httpx.get(f"{account.server}/xrpc/com.atproto.server.getSession", headers=session.headers, timeout=30)
    assert me.json()["did"] == person.did


def test_the_account_password_is_refused(bluesky, store):
    from networks.harness import PASSWORD

    person = bluesky.create_account("acc2")
    with pytest.raises(AccountError, match="app password, never your account password") as refused:
        connect.connect_bluesky(store, person.handle, PASSWORD, server=bluesky.pds)
    assert PASSWORD not in str(refused.value)
    assert accounts.connected(store, "bluesky") is None and get_secret("bluesky.session") is None


def test_a_wrong_app_password_is_refused(bluesky, store):
    person = bluesky.create_account("acc3")
    with pytest.raises(AccountError, match="refused the credentials.*amplify account add bluesky"):
        connect.connect_bluesky(store, person.handle, "aaaa-bbbb-cccc-dddd", server=bluesky.pds)
    assert get_secret("bluesky.app_password") is None


def test_each_rotated_refresh_token_is_saved_and_used_by_the_next_refresh(bluesky, store):
    person = bluesky.create_account("acc4")
    account = connect.connect_bluesky(store, person.handle, app_password(bluesky, person), server=bluesky.pds)
    first = kept_session()
    renewed = bluesky_session(account, renew=True)
    second = kept_session()
    assert second["refreshJwt"] != first["refreshJwt"] and renewed.access_jwt == second["accessJwt"]
    # Without the app password, only the saved (rotated) refresh token can make the next session.
    set_secret("bluesky.app_password", "not-the-password")
    again = bluesky_session(account, renew=True)
    third = kept_session()
    assert third["refreshJwt"] not in (first["refreshJwt"], second["refreshJwt"])
    assert again.access_jwt == third["accessJwt"]


def sign_out(server: str, refresh_jwt: str) -> None:
    """Revoke a session at the server, as signing out elsewhere (or the app password's revocation) does."""
    httpx.post(f"{server}/xrpc/com.atproto.server.deleteSession", timeout=30,
               headers={"Authorization": f"Bearer {refresh_jwt}"}).raise_for_status()


def test_a_revoked_refresh_token_falls_back_to_the_app_password(bluesky, store):
    person = bluesky.create_account("acc5")
    account = connect.connect_bluesky(store, person.handle, app_password(bluesky, person), server=bluesky.pds)
    revoked = kept_session()
    sign_out(account.server, revoked["refreshJwt"])
    fresh = bluesky_session(account, renew=True)
    assert kept_session()["refreshJwt"] != revoked["refreshJwt"] and fresh.access_jwt == kept_session()["accessJwt"]
    sign_out(account.server, kept_session()["refreshJwt"])
    set_secret("bluesky.app_password", "xxxx-xxxx-xxxx-xxxx")
    with pytest.raises(AccountError, match="refused the app password.*amplify account add bluesky"):
        bluesky_session(account, renew=True)


def test_an_expired_access_token_is_renewed_before_use(bluesky, store):
    person = bluesky.create_account("acc6")
    account = connect.connect_bluesky(store, person.handle, app_password(bluesky, person), server=bluesky.pds)
    kept = kept_session()
    assert bluesky_session(account).access_jwt == kept["accessJwt"]  # still good: used as it is
    # An access token past its expiry is never sent: the session is renewed first.
    expired = datetime.now(UTC) - timedelta(minutes=5)
    claims = base64.urlsafe_b64encode(json.dumps({"exp": int(expired.timestamp())}).encode()).decode().rstrip("=")
    accounts.save_bluesky_session(f"e30.{claims}.signature", kept["refreshJwt"])
    renewed = bluesky_session(account)
    assert renewed.access_jwt == kept_session()["accessJwt"] and kept_session()["refreshJwt"] != kept["refreshJwt"]


def test_without_a_session_or_password_bluesky_asks_to_reconnect(bluesky, store):
    person = bluesky.create_account("acc7")
    account = connect.connect_bluesky(store, person.handle, app_password(bluesky, person), server=bluesky.pds)
    accounts.disconnect(store, "bluesky")
    with pytest.raises(AccountError, match="no app password.*amplify account add bluesky"):
        bluesky_session(account)


def test_connecting_sends_nothing_secret_over_plain_http_to_the_internet(store):
    # No server answers at bakers.example: the refusal comes before any request.
    with pytest.raises(AccountError, match="only over https.*https://bakers.example"):
        connect.connect_mastodon(store, "http://bakers.example", "a-token")
    with pytest.raises(AccountError, match="only over https"):
        connect.register_mastodon_app("http://bakers.example")
    app = connect.MastodonApp("http://bakers.example", "id", "secret", "verifier")
    with pytest.raises(AccountError, match="only over https"):
        connect.mastodon_token_from_code(app, "code")
    with pytest.raises(AccountError, match="only over https"):
        connect.connect_bluesky(store, "ada.bsky.social", "app-pass-word", server="http://pds.example")
    plain = accounts.Account(network="mastodon", server="http://bakers.example", handle="@ada@bakers.example",
                             did=None, account_id="1", display_name="Ada", connected_at=FIXED_NOW.isoformat())
    set_secret("mastodon.token", "a-token")
    with pytest.raises(AccountError, match="only over https"):
        mastodon_headers(plain)
    assert connect.mastodon_server(server="http://mastodon.local:3000") == "http://mastodon.local:3000"
    assert connect.mastodon_server(server="http://192.168.1.20:3000") == "http://192.168.1.20:3000"
    assert accounts.connected(store, "mastodon") is None
