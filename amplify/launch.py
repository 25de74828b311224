"""Starting the Streamlit app: where `app.py` is, the command line that serves it, and a clean stop.

`amplify run` and `amplify demo` both serve the app as a child process, so the demo's feed server (a thread in
the parent) lives exactly as long as the app does. The follow list and database are handed over in
`AMPLIFY_FEEDS` and `AMPLIFY_DB`, the same variables `amplify refresh` reads.
"""

import errno
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import amplify
from amplify.errors import AmplifyError

LOOPBACK = "127.0.0.1"
DEFAULT_PORT = 8501
CTRL_C_GRACE_SECONDS = 5


class AppNotFound(AmplifyError):
    """`app.py` is not where an installed checkout keeps it."""


class CannotListen(AmplifyError):
    """The address and port cannot be served on (another program has the port, or no such address)."""


def check_can_listen(host: str, port: int) -> None:
    """Raise CannotListen, saying why, unless the app could listen on `host`:`port` now. Binds and lets go
    (with SO_REUSEADDR, as the server does, so a port still closing from the last run does not count)."""
    try:
        family, kind, _, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except (socket.gaierror, UnicodeError) as error:
        raise CannotListen(f"cannot listen on {host}: no such address ({error})") from error
    with socket.socket(family, kind) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise CannotListen(
                    f"port {port} on {host} is in use by another program (is amplify already running?); "
                    "choose another with --port"
                ) from error
            raise CannotListen(f"cannot listen on {host} port {port} ({error.strerror or error})") from error


def app_path() -> Path:
    """The Streamlit entry point at the root of the checkout (amplify installed with `pip install -e .`)."""
    candidate = Path(amplify.__file__).resolve().parent.parent / "app.py"
    if not candidate.is_file():
        raise AppNotFound(
            f"cannot find the app at {candidate}: install amplify from its checkout with `pip install -e .` "
            "(app.py sits at the checkout's root), or run `streamlit run app.py` there"
        )
    return candidate


def streamlit_command(app: Path, *, host: str = LOOPBACK, port: int = DEFAULT_PORT) -> list[str]:
    return [
        sys.executable, "-m", "streamlit", "run", str(app),
        "--server.address", host,
        "--server.port", str(port),
        "--server.headless", "true",
        # Users do not edit the app's code while it runs; watching it only costs CPU.
        "--server.fileWatcherType", "none",
        "--browser.gatherUsageStats", "false",
        # The menu without developer options ("Deploy", "Rerun"): this is an app, not a script being written.
        "--client.toolbarMode", "minimal",
    ]


def app_environment(*, db: Path, feeds: Path) -> dict[str, str]:
    # Absolute, so the app finds the same files whatever directory Streamlit runs in.
    return os.environ | {"AMPLIFY_DB": str(db.resolve()), "AMPLIFY_FEEDS": str(feeds.resolve())}


def serve_app(*, db: Path, feeds: Path, host: str = LOOPBACK, port: int = DEFAULT_PORT) -> int:
    """Serve the app until it stops; returns its exit status.

    SIGTERM and SIGHUP are passed on to Streamlit, and Ctrl-C reaches it directly (same terminal), so stopping
    `amplify run` never leaves a server behind."""
    command = streamlit_command(app_path(), host=host, port=port)
    child = subprocess.Popen(command, env=app_environment(db=db, feeds=feeds))

    def pass_on(signum: int, _frame: object) -> None:
        child.send_signal(signum)

    previous = {signum: signal.signal(signum, pass_on) for signum in (signal.SIGTERM, signal.SIGHUP)}
    try:
        while True:
            try:
                return child.wait()
            except KeyboardInterrupt:
                # From a terminal, Streamlit got the same Ctrl-C and is shutting down; if the interrupt came to
                # this process alone, pass it on.
                try:
                    return child.wait(timeout=CTRL_C_GRACE_SECONDS)
                except subprocess.TimeoutExpired:
                    child.send_signal(signal.SIGINT)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        if child.poll() is None:
            child.terminate()
            child.wait()
