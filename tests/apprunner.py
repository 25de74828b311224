"""The app as a real process for tests: `python -m amplify run` on a free loopback port, waited for until it
answers.

Used by the browser fixtures (tests/browser/conftest.py) and by the `amplify run` tests. A server that never
comes up fails the test with its log, instead of hanging the run.
"""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from amplify.store import Store

# Generous: on two busy cores a cold Streamlit start can take a while. Not an assertion about speed, only the
# point where a server that never comes up is reported with its log.
STARTUP_DEADLINE_SECONDS = 90
EMPTY_FOLLOW_LIST = "# empty follow list for a test\nsources: []\n"


@dataclass
class RunningApp:
    """One `amplify run` process serving the app on 127.0.0.1."""

    url: str
    port: int
    db_path: Path
    feeds_path: Path
    log_path: Path
    process: subprocess.Popen[bytes] = field(repr=False)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def store(self) -> Store:
        """The app's database, opened beside the running app (WAL lets both read and write)."""
        return Store(self.db_path)

    def stop(self) -> int:
        if self.process.poll() is None:
            # `amplify run` passes SIGTERM on to Streamlit and waits for it.
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)  # the group this test started, nothing else
                self.process.wait()
        return self.process.returncode


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def launch_app(workdir: Path, feeds_yml: str | None = EMPTY_FOLLOW_LIST, *, db_path: Path | None = None,
               env: dict[str, str] | None = None, name: str = "app") -> RunningApp:
    """Serve the app from `workdir` with the follow list `feeds_yml` (None: no file at all) and wait until it
    answers /_stcore/health."""
    feeds_path = workdir / f"{name}-feeds.yml"
    if feeds_yml is not None:
        feeds_path.write_text(feeds_yml, encoding="utf-8")
    db_path = db_path or workdir / f"{name}.db"
    log_path = workdir / f"{name}.log"
    port = free_port()
    command = [sys.executable, "-m", "amplify", "run", "--db", str(db_path), "--feeds", str(feeds_path),
               "--port", str(port)]
    return _launch(command, workdir, port, db_path, feeds_path, log_path, env)


def launch_demo(workdir: Path, *, env: dict[str, str] | None = None) -> RunningApp:
    """`amplify demo --dir workdir/demo`: sample sites, a refreshed demo database and the app, once healthy."""
    folder = workdir / "demo"
    port = free_port()
    command = [sys.executable, "-m", "amplify", "demo", "--dir", str(folder), "--port", str(port)]
    return _launch(command, workdir, port, folder / "amplify.db", folder / "feeds.yml", workdir / "demo.log",
                   env)


def _launch(command: list[str], workdir: Path, port: int, db_path: Path, feeds_path: Path, log_path: Path,
            env: dict[str, str] | None) -> RunningApp:
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=workdir,
                                   env=os.environ | (env or {}), start_new_session=True)
    app = RunningApp(f"http://127.0.0.1:{port}", port, db_path, feeds_path, log_path, process)
    wait_until_healthy(app)
    return app


def wait_until_healthy(app: RunningApp) -> None:
    deadline = time.monotonic() + STARTUP_DEADLINE_SECONDS
    health = f"{app.url}/_stcore/health"
    while time.monotonic() < deadline:
        if app.process.poll() is not None:
            pytest.fail(f"the app exited with status {app.process.returncode} before it was ready.\n"
                        f"--- its log ---\n{app.log()}", pytrace=False)
        try:
            with urllib.request.urlopen(health, timeout=2) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    app.stop()
    pytest.fail(f"the app did not answer {health} within {STARTUP_DEADLINE_SECONDS} s.\n"
                f"--- its log ---\n{app.log()}", pytrace=False)
