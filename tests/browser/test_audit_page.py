"""The Audit page in a real browser, on a year of shares: every section renders, the neglected list's
"See their latest" opens Today filtered to that source, and screenshots are kept as test artifacts."""

import re
from datetime import UTC, datetime

from audit_fixtures import add_year_of_shares
from playwright.sync_api import expect

from amplify.store import Store

HEADINGS = ("Your goals", "Shares per week", "Compared with whom you follow", "Whom you shared",
            "Followed, posted, not shared", "Checklist health", "Report and export")


def test_the_audit_page_with_a_year_of_shares(start_app, tmp_path, page, ui):
    db_path = tmp_path / "year.db"
    with Store(db_path) as store:
        add_year_of_shares(store, datetime.now(UTC).replace(microsecond=0))
    app = start_app(db_path=db_path)
    ui.open(f"{app.url}/audit")
    expect(page.get_by_role("heading", name="Audit")).to_be_visible()
    for heading in HEADINGS:
        expect(page.get_by_role("heading", name=heading)).to_be_visible()
    expect(page.locator('[data-testid="stVegaLiteChart"]')).to_have_count(2)
    assert ui.exceptions().count() == 0
    ui.screenshot("last-30-days")

    ui.keyed("audit_window").get_by_text("All time").click()
    expect(page.get_by_text("since your first share").first).to_be_visible()
    ui.wait_for_run()
    expect(page.get_by_text("1500", exact=True)).to_be_visible()
    assert ui.exceptions().count() == 0
    page.set_viewport_size({"width": 1280, "height": 4200})  # the whole page in one picture
    ui.screenshot("all-time")
    page.set_viewport_size({"width": 1280, "height": 900})

    ui.keyed("audit_window").get_by_text("Last 30 days").click()
    links = page.get_by_role("link", name="See their latest")
    expect(links.first).to_be_visible()
    assert re.search(r"[?&]source=Voice\+\d\d", links.first.get_attribute("href") or "")
    links.first.click()
    page.wait_for_url(re.compile(r"[?&]source=Voice(\+|%20)\d\d"))
    assert "/audit" not in page.url
    ui.wait_for_run()
    ui.screenshot("see-their-latest")
