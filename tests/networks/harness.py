"""Real social networks for the tests, on this machine: Bluesky's PLC, PDS and AppView from `@atproto/dev-env`.

    def test_something(bluesky):                       # the session's network (started once, shared)
        ada = bluesky.create_account("ada")            # handle ada.test, with its session (accessJwt, did)
        bea = bluesky.create_account("bea", display_name="Bea Builds", description="I build")
        bluesky.follow(ada, bea)
        bluesky.process_all()                          # the AppView catches up with everything written so far
        httpx.get(f"{bluesky.appview}/xrpc/app.bsky.graph.getFollows", params={"actor": ada.did})

Handles get a per-session prefix, so tests sharing the network never collide. What it needs: the Node modules of
this folder (`npm ci` here; tests/networks/package.json pins `@atproto/dev-env`) and PostgreSQL's server programs
(Debian's `postgresql`), for the AppView's database. A throwaway cluster is made in a temporary folder (trust
authentication, 127.0.0.1 only, fsync off; run as the `postgres` user when the tests run as root), and the
network's own files go to a TMPDIR of its own. Without Node modules or PostgreSQL the tests that use the network are
skipped with a note saying what is missing; with AMPLIFY_REQUIRE_NETWORKS=1 (as in CI) they fail instead.

`@atproto/dev-env` is pinned at 0.3.215: the 0.5 and 0.6 lines need Node 22 (their HTTP client uses zstd, which
Node 20, Debian's and this machine's, lacks), and fail to start on Node 20.

The dev-env servers listen on every interface, not only loopback: they are for a test machine, and the tests
talk to them on 127.0.0.1 only.
"""

import json
import os
import shutil
import socket
import subprocess
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

HERE = Path(__file__).resolve().parent
DEV_ENV = HERE / "node_modules" / "@atproto" / "dev-env"
REQUIRE_VARIABLE = "AMPLIFY_REQUIRE_NETWORKS"
START_SECONDS = 180  # a bound on the network's start (it takes 7 s or so), not a measurement
PASSWORD = "test-password"  # accounts on a throwaway network


class NetworkUnavailable(Exception):
    """What is missing to run the network, in one plain line."""


@dataclass(frozen=True)
class Account:
    handle: str
    did: str
    access_jwt: str


@dataclass
class BlueskyNetwork:
    plc: str
    pds: str
    appview: str
    control: str
    prefix: str

    def create_account(self, name: str, *, display_name: str | None = None,
                       description: str | None = None) -> Account:
        """A new account `{prefix}{name}.test` on the PDS, with a profile when a name or description is given."""
        handle = f"{self.prefix}{name}.test"
        answer = httpx.post(f"{self.pds}/xrpc/com.atproto.server.createAccount", timeout=30,
                            json={"handle": handle, "email": f"{handle}@example.org", "password": PASSWORD})
        answer.raise_for_status()
        session = answer.json()
        account = Account(handle=session["handle"], did=session["did"], access_jwt=session["accessJwt"])
        if display_name is not None or description is not None:
            profile = {"$type": "app.bsky.actor.profile"}
            profile.update({key: value for key, value in (("displayName", display_name),
                                                          ("description", description)) if value is not None})
            self.create_record(account, "app.bsky.actor.profile", profile, rkey="self")
        return account

    def create_record(self, account: Account, collection: str, record: dict, *, rkey: str | None = None) -> dict:
        body = {"repo": account.did, "collection": collection, "record": record}
        if rkey is not None:
            body["rkey"] = rkey
        answer = httpx.post(f"{self.pds}/xrpc/com.atproto.repo.createRecord", json=body, timeout=30,
                            headers={"Authorization": f"Bearer {account.access_jwt}"})
        answer.raise_for_status()
        return answer.json()

    def follow(self, follower: Account, *subjects: Account) -> None:
        for subject in subjects:
            self.create_record(follower, "app.bsky.graph.follow", {
                "$type": "app.bsky.graph.follow", "subject": subject.did,
                "createdAt": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
            })

    def post(self, account: Account, text: str) -> dict:
        return self.create_record(account, "app.bsky.feed.post", {
            "$type": "app.bsky.feed.post", "text": text,
            "createdAt": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
        })

    def process_all(self) -> None:
        """Let the AppView index everything the PDS has seen so far."""
        httpx.post(f"{self.control}/process-all", timeout=120).raise_for_status()


def missing() -> str | None:
    """What keeps the network from running here, or None."""
    if shutil.which("node") is None:
        return "Node.js is not installed"
    if not DEV_ENV.is_dir():
        return f"the Node modules are not installed (run `npm ci` in {HERE})"
    if _postgres_bin("initdb") is None:
        return "PostgreSQL's server programs are not installed (apt-get install postgresql)"
    return None


def unavailable(reason: str) -> None:
    """Skip with the reason, or fail when the networks are required (CI)."""
    message = f"Bluesky test network unavailable: {reason}"
    if os.environ.get(REQUIRE_VARIABLE) == "1":
        pytest.fail(f"{message} ({REQUIRE_VARIABLE}=1)", pytrace=False)
    pytest.skip(message)


def start_network(folder: Path) -> tuple[BlueskyNetwork, "Running"]:
    """PostgreSQL, then the network. Raises NetworkUnavailable with what went wrong."""
    running = Running(folder)
    try:
        database = running.start_postgres()
        urls = running.start_launcher(database)
    except BaseException:
        running.stop()
        raise
    prefix = "t" + uuid.uuid4().hex[:6]
    return BlueskyNetwork(prefix=prefix, **{key: urls[key] for key in ("plc", "pds", "appview", "control")}), running


class Running:
    """The processes this harness started, stopped in reverse order by their own handles."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.data = folder / "postgres"
        self.launcher: subprocess.Popen[bytes] | None = None
        self.postgres_started = False

    def start_postgres(self) -> str:
        self.folder.mkdir(parents=True, exist_ok=True)
        as_postgres = _as_postgres_user()
        if as_postgres:
            shutil.chown(self.folder, "postgres")
        port = _free_port()
        _run(as_postgres, [_postgres_bin("initdb"), "-D", str(self.data), "--auth=trust", "-U", "postgres",
                           "--no-sync", "-E", "UTF8"], "initdb")
        options = f"-p {port} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -k {self.folder}"
        _run(as_postgres, [_postgres_bin("pg_ctl"), "-D", str(self.data), "-o", options, "-l",
                           str(self.folder / "postgres.log"), "-w", "-t", "60", "start"], "pg_ctl start")
        self.postgres_started = True
        return f"postgresql://postgres@127.0.0.1:{port}/postgres"

    def start_launcher(self, database: str) -> dict[str, str]:
        scratch = self.folder / "network"
        scratch.mkdir()
        environment = {**os.environ, "DB_POSTGRES_URL": database, "REDIS_HOST": "unused", "TMPDIR": str(scratch),
                       "AMPLIFY_NETWORK_SCHEMA": "amplify", "NODE_NO_WARNINGS": "1"}
        log = (self.folder / "network.log").open("wb")
        self.launcher = subprocess.Popen(["node", str(HERE / "launch.mjs")], cwd=HERE, env=environment,
                                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log)
        line = _first_line(self.launcher, START_SECONDS)
        if not line:
            tail = (self.folder / "network.log").read_text(errors="replace")[-2000:]
            raise NetworkUnavailable(f"the network did not start: {tail.strip() or 'no output'}")
        urls = json.loads(line)
        # The servers answer on every interface; the tests use loopback only.
        return {key: value.replace("//localhost:", "//127.0.0.1:") for key, value in urls.items()}

    def stop(self) -> None:
        if self.launcher is not None:
            if self.launcher.stdin:
                self.launcher.stdin.close()  # the launcher closes the network when its input ends
            try:
                self.launcher.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.launcher.terminate()
                try:
                    self.launcher.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self.launcher.kill()
            self.launcher = None
        if self.postgres_started:
            _run(_as_postgres_user(), [_postgres_bin("pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop"],
                 "pg_ctl stop", check=False)
            self.postgres_started = False


def _postgres_bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    versions = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
                      key=lambda path: int(path.parts[-3]) if path.parts[-3].isdigit() else 0)
    return str(versions[-1]) if versions else None


def _as_postgres_user() -> bool:
    """PostgreSQL refuses to run as root: then it runs as the `postgres` user, as Debian sets it up."""
    return hasattr(os, "geteuid") and os.geteuid() == 0


def _run(as_postgres: bool, command: list[str | None], what: str, *, check: bool = True) -> None:
    if as_postgres:
        if shutil.which("runuser") is None:
            raise NetworkUnavailable("running as root, but `runuser` is missing to start PostgreSQL as postgres")
        command = ["runuser", "-u", "postgres", "--", *command]
    done = subprocess.run([str(part) for part in command], capture_output=True, text=True, timeout=120)
    if check and done.returncode != 0:
        raise NetworkUnavailable(f"{what} failed: {(done.stderr or done.stdout).strip()[-500:]}")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _first_line(process: subprocess.Popen[bytes], timeout: float) -> str | None:
    """The launcher's first line of output, read in a thread so a hang cannot outlive `timeout`."""
    found: list[bytes] = []
    reader = threading.Thread(target=lambda: found.append(process.stdout.readline() if process.stdout else b""),
                              daemon=True)
    reader.start()
    reader.join(timeout)
    return found[0].decode().strip() or None if found else None
