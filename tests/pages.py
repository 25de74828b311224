"""Opening the app's pages in Streamlit's AppTest, on a test's own database and follow list.

    use_files(monkeypatch, store.path, follow_list_path)
    app = open_page("sources")          # "" is Today; fails the test on any exception in the first runs

or, with the follow list's text: `path = follow_list_beside(store, tmp_path, monkeypatch, TEXT)`.
"""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from amplify.store import Store

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def use_files(monkeypatch: pytest.MonkeyPatch, db_path: str | Path, feeds_path: str | Path) -> None:
    monkeypatch.setenv("AMPLIFY_DB", str(db_path))
    monkeypatch.setenv("AMPLIFY_FEEDS", str(feeds_path))


def follow_list_beside(store: Store, folder: Path, monkeypatch: pytest.MonkeyPatch, text: str) -> Path:
    """Write `text` as feeds.yml in `folder` and point the app at it and at the test's database."""
    path = folder / "feeds.yml"
    path.write_text(text)
    use_files(monkeypatch, store.path, path)
    return path


def open_page(url_path: str = "") -> AppTest:
    app = AppTest.from_file(APP, default_timeout=60).run()
    if url_path:
        app._page_hash = next(  # AppTest.switch_page takes files; these pages are functions with a url_path
            page for page, info in app._registered_pages.items() if info.get("url_pathname") == url_path
        )
        app.run()
    assert not app.exception, [exception.value for exception in app.exception]
    return app


def rerun(at: AppTest) -> AppTest:
    """Run the page again after a click or an input, failing on any exception it raised."""
    at.run()
    assert not at.exception, [exception.value for exception in at.exception]
    return at
