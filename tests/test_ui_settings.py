"""The Settings page through AppTest: connecting and disconnecting Mastodon (a token, or OAuth with a code) against
mastodon-mock, and Bluesky against the real PDS; a secret is never shown back."""

import re

import pytest
from account_fixtures import ADA_TOKEN, ada_on_mastodon, app_password
from pages import open_page, rerun, use_files

from amplify.secrets import get_secret
from amplify.store import Store


@pytest.fixture(scope="module")
def mastodon():
    with ada_on_mastodon() as running:
        yield running


@pytest.fixture
def settings(store, tmp_path, monkeypatch):
    use_files(monkeypatch, store.path, tmp_path / "feeds.yml")
    return open_page("settings")


def page_text(app) -> str:
    """Every word the page shows, widget labels and values included."""
    parts = [element.value for kind in ("markdown", "caption", "success", "error", "warning", "info")
             for element in getattr(app, kind)]
    parts += [value(widget) for widget in app.text_input]
    parts += [widget.label for widget in app.text_input] + [button.label for button in app.button]
    # As a reader sees it: without the Markdown escapes and the invisible joiners that keep `@` from linking.
    return re.sub(r"\\(.)", r"\1", "\n".join(str(part) for part in parts)).replace("\N{WORD JOINER}", "")


def value(widget) -> str:
    """A text field's value; "" once the page dropped it from the session."""
    try:
        return widget.value or ""
    except KeyError:
        return ""


def test_a_pasted_token_connects_mastodon_and_is_not_shown_back(settings, mastodon, store):
    settings.radio(key="settings_mastodon_way").set_value("Paste an access token")
    rerun(settings)
    settings.text_input(key="settings_server").input(mastodon.base_url)
    settings.text_input(key="settings_token").input(ADA_TOKEN)
    settings.button(key="settings_mastodon_submit").click()
    rerun(settings)
    assert not settings.error, [error.value for error in settings.error]
    text = page_text(settings)
    assert "Connected as @ada@" in text and "Ada Bakes" in text and "up to 500 characters" in text
    assert ADA_TOKEN not in text and ADA_TOKEN not in repr(settings.session_state)
    assert get_secret("mastodon.token") == ADA_TOKEN
    assert store.account("mastodon").handle.startswith("@ada@")
    settings.button(key="settings_check_mastodon").click()
    rerun(settings)
    assert "works: its server accepted" in page_text(settings)
    settings.button(key="settings_disconnect_mastodon").click()
    rerun(settings)
    assert "Disconnected @ada@" in page_text(settings) and "/oauth/authorized_applications" in page_text(settings)
    assert store.account("mastodon") is None and get_secret("mastodon.token") is None


def test_a_refused_token_is_explained_and_not_echoed(settings, mastodon, store):
    settings.radio(key="settings_mastodon_way").set_value("Paste an access token")
    rerun(settings)
    settings.text_input(key="settings_server").input(mastodon.base_url)
    settings.text_input(key="settings_token").input("wrong-token-789")
    settings.button(key="settings_mastodon_submit").click()
    rerun(settings)
    assert "refused the credentials" in settings.error[0].value
    assert "wrong-token-789" not in page_text(settings)
    assert "settings_token" not in settings.session_state  # dropped once used
    assert store.account("mastodon") is None


def test_oauth_in_the_browser_then_the_code_connects_mastodon(settings, mastodon, store):
    settings.text_input(key="settings_server").input(mastodon.base_url)
    settings.button(key="settings_mastodon_submit").click()
    rerun(settings)
    link = next(element.value for element in settings.markdown if "Allow amplify on your server" in element.value)
    assert f"{mastodon.base_url}/oauth/authorize?" in link and "write%3Astatuses" in link
    settings.text_input(key="settings_code").input("mockcode_ada")
    settings.button(key="settings_code_submit").click()
    rerun(settings)
    assert "Connected as @ada@" in page_text(settings)
    assert "settings_mastodon_app" not in settings.session_state  # the app's secret is dropped once used


def test_starting_over_drops_the_registration(settings, mastodon):
    settings.text_input(key="settings_server").input(mastodon.base_url)
    settings.button(key="settings_mastodon_submit").click()
    rerun(settings)
    assert "settings_mastodon_app" in settings.session_state
    settings.button(key="settings_code_cancel").click()
    rerun(settings)
    assert "settings_mastodon_app" not in settings.session_state
    assert settings.text_input(key="settings_instance") is not None


def test_bluesky_connects_with_an_app_password_never_shown(settings, bluesky, store):
    person = bluesky.create_account("ui1")
    password = app_password(bluesky, person)
    assert any("never your account password" in warning.value for warning in settings.warning)
    settings.text_input(key="settings_handle").input(person.handle)
    settings.text_input(key="settings_app_password").input(password)
    settings.text_input(key="settings_pds").input(bluesky.pds)
    settings.button(key="settings_bluesky_submit").click()
    rerun(settings)
    text = page_text(settings)
    assert f"Connected as {person.handle}" in text and password not in text
    with Store(store.path) as fresh:
        assert fresh.account("bluesky").did == person.did
