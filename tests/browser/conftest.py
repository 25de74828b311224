"""Real-browser fixtures: the app served as a real process on a loopback port, driven by headless Chromium.

    def test_something(app_server, page, ui):          # the app with an empty follow list
        ui.open(app_server.url)                        # load and wait until the script has run
        ui.button("refresh").click()                   # widgets by their stable key (CSS class st-key-<key>)
        expect(page.get_by_text("Nothing new")).to_be_visible()
        ui.screenshot("after-refresh")                 # test-artifacts/<test name>-after-refresh.png

    def test_demo(demo_app, page, ui):                 # `amplify demo`: sample sources, already refreshed

    def test_feeds(start_app, server, page, ui):       # your own follow list, e.g. pointing at `server`
        app = start_app(feeds_yml=f"sources:\\n  - name: Ada\\n    feed: {server.url('/feed.xml')}\\n")
        ...
        with app.store() as store: ...                 # look into the app's database afterwards

The app runs through `python -m amplify run`, so the command users type is what these tests start. Every
test in this folder is marked `browser`. Without /usr/bin/chromium (or Playwright) they are skipped with the
reason, unless AMPLIFY_REQUIRE_BROWSER=1 (as in CI), when they fail instead. Each test's page is also saved
as a screenshot to test-artifacts/ when the test ends, pass or fail.
"""

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from accessibility import AXE_SCRIPT, Axe
from apprunner import EMPTY_FOLLOW_LIST, RunningApp, launch_app, launch_demo

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
REPO_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO_ROOT / "test-artifacts"
# Playwright waits this long for an element, and `expect` for its condition, before failing a step (a guard,
# not a measurement: a refresh on two busy cores can take a while).
STEP_TIMEOUT_MS = 30_000

BROWSER_DIR = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if BROWSER_DIR in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.browser)


# -- the app as a real process -----------------------------------------------------------------------------


@pytest.fixture
def start_app(browser, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Callable[..., RunningApp]]:
    """A factory: `start_app(feeds_yml=..., db_path=..., env=...)` serves the app and returns a RunningApp.

    The database is a fresh file in tmp_path unless `db_path` names one you prepared (e.g. with a Store).
    Every app started is stopped at the end of the test; a failing test shows each app's log. (It asks for the
    browser first, so a test that will be skipped for want of Chromium starts no server.)"""
    started: list[RunningApp] = []
    request.node.stash[STARTED_APPS] = started

    def start(feeds_yml: str = EMPTY_FOLLOW_LIST, *, db_path: Path | None = None,
              env: dict[str, str] | None = None) -> RunningApp:
        app = launch_app(tmp_path, feeds_yml, db_path=db_path, env=env, name=f"app-{len(started) + 1}")
        started.append(app)
        return app

    yield start
    for app in started:
        app.stop()


@pytest.fixture
def app_server(start_app: Callable[..., RunningApp]) -> RunningApp:
    """The app with an empty follow list and a fresh database."""
    return start_app()


@pytest.fixture
def demo_app(browser, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[RunningApp]:
    """`amplify demo`: the sample sources refreshed into a fresh database, and the app serving it."""
    app = launch_demo(tmp_path)
    request.node.stash.setdefault(STARTED_APPS, []).append(app)
    yield app
    app.stop()


FAILED = pytest.StashKey[bool]()
STARTED_APPS = pytest.StashKey[list[RunningApp]]()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """A failed test's report carries the log of every app it started; its screenshot is named `-failed`."""
    report = yield
    if report.failed:
        item.stash[FAILED] = True
        for number, app in enumerate(item.stash.get(STARTED_APPS, []), start=1):
            report.sections.append((f"app {number} log ({app.url})", app.log()))
    return report


# -- the browser ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium through Playwright (Playwright's own browser downloads are not used)."""
    problem = None
    if not os.access(CHROMIUM, os.X_OK):
        problem = f"{CHROMIUM} is missing (install Debian's chromium package)"
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        problem = problem or "Playwright is not installed (pip install -e '.[test]')"
    if problem:
        unavailable(problem)
    from playwright.sync_api import expect

    expect.set_options(timeout=STEP_TIMEOUT_MS)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def unavailable(problem: str) -> None:
    """Skip for want of `problem`, or fail when the browser suite is required (AMPLIFY_REQUIRE_BROWSER=1)."""
    if os.environ.get("AMPLIFY_REQUIRE_BROWSER") == "1":
        pytest.fail(f"browser tests are required (AMPLIFY_REQUIRE_BROWSER=1), but {problem}", pytrace=False)
    pytest.skip(f"browser tests skipped: {problem}")


@pytest.fixture(scope="session")
def axe(browser) -> Axe:
    """axe-core, run in the page (tests/browser/accessibility.py); needs `npm ci --prefix tests/browser`."""
    if not AXE_SCRIPT.is_file():
        unavailable(f"axe-core is not installed ({AXE_SCRIPT} is missing: run `npm ci --prefix tests/browser`)")
    return Axe()


def artifact_name(item: pytest.Item, suffix: str = "") -> Path:
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "-", item.name).strip("-")
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS / f"{stem}{'-' + suffix if suffix else ''}.png"


@pytest.fixture
def page(browser, request: pytest.FixtureRequest):
    """A fresh browser tab (own cookies and storage), saved to test-artifacts/ when the test ends."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(STEP_TIMEOUT_MS)
    opened = context.new_page()
    yield opened
    try:
        opened.screenshot(path=artifact_name(request.node, "failed" if request.node.stash.get(FAILED, False)
                                             else "end"), full_page=True)
    finally:
        context.close()


class StreamlitPage:
    """Small helpers for driving a Streamlit page: waiting for a script run, finding widgets by key."""

    def __init__(self, page, item: pytest.Item) -> None:
        self.page = page
        self._item = item

    def open(self, url: str) -> None:
        self.page.goto(url)
        self.wait_for_run()

    def wait_for_run(self) -> None:
        """Wait until the page is connected and its script is not running. After a click, prefer waiting for
        the result you expect (`expect(...).to_be_visible()`): the run may not have started yet."""
        self.page.locator('[data-testid="stApp"][data-test-connection-state="CONNECTED"]').wait_for()
        self.page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for()

    def keyed(self, key: str):
        """The element Streamlit renders for the widget or container with this key. While a rerun draws the
        page, the previous run's elements stay a moment, marked stale: those are left out."""
        return self.page.locator(f".st-key-{key}:not([data-stale='true'])")

    def button(self, key: str):
        # A button with a tooltip is drawn twice (one copy hidden, for layout): the role finds the visible one.
        return self.keyed(key).get_by_role("button")

    def text_input(self, key: str):
        return self.keyed(key).locator("input, textarea")

    def exceptions(self):
        """Tracebacks Streamlit shows on the page (there should be none)."""
        return self.page.locator('[data-testid="stException"]')

    def screenshot(self, name: str) -> Path:
        path = artifact_name(self._item, name)
        self.page.mouse.move(0, 0)  # no tooltip left open over what the picture is for
        self.page.screenshot(path=path, full_page=True)
        return path


@pytest.fixture
def ui(page, request: pytest.FixtureRequest) -> StreamlitPage:
    return StreamlitPage(page, request.node)
