"""Connecting a Mastodon account on the Settings page in a real browser (against mastodon-mock): the token is typed
into a password field, cleared once sent, and found nowhere after: not in the page, not in the app's log, not in
the database; then disconnecting."""

import pytest
from account_fixtures import ADA_TOKEN, ada_on_mastodon
from playwright.sync_api import expect

from amplify.secrets import get_secret

# Connecting asks the server twice; on two busy cores a guard against hanging, not a measurement.
SLOW_STEP_MS = 60_000


@pytest.fixture
def mastodon():
    with ada_on_mastodon() as running:
        yield running


def test_a_token_connects_and_is_shown_nowhere(start_app, mastodon, page, ui):
    app = start_app()
    ui.open(f"{app.url}/settings")
    expect(page.get_by_role("heading", name="Settings", level=1)).to_be_visible()
    page.get_by_text("Paste an access token").click()
    token = ui.text_input("settings_token")
    expect(token).to_have_attribute("type", "password")
    ui.text_input("settings_server").fill(mastodon.base_url)
    token.fill(ADA_TOKEN)
    ui.button("settings_mastodon_submit").click()
    expect(page.get_by_text("Connected as")).to_be_visible(timeout=SLOW_STEP_MS)
    ui.screenshot("connected")

    assert get_secret("mastodon.token") == ADA_TOKEN  # kept where secrets go, and nowhere else:
    assert ADA_TOKEN not in page.content() and ADA_TOKEN not in page.inner_text("body")
    assert ADA_TOKEN not in app.log_path.read_text(errors="replace")
    with app.store() as store:
        assert store.account("mastodon").handle.startswith("@ada@")
        cells = [repr(value) for table in ("accounts", "events", "meta") for row in
                 store.rows(f"SELECT * FROM {table}") for value in row.values()]
    assert cells and not any(ADA_TOKEN in cell for cell in cells)

    ui.button("settings_disconnect_mastodon").click()
    expect(page.get_by_text("Disconnected")).to_be_visible(timeout=SLOW_STEP_MS)
    assert get_secret("mastodon.token") is None
