"""Never twice, never lost: `amplify post` killed (SIGKILL, as a crash or a power cut would) at each step, then
`amplify post --resume`, against mastodon-mock and the real Bluesky PDS: exactly one post on the server and exactly
one share in the log, every time."""

import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from account_fixtures import app_password
from mastodon_mock.config import SeedAccount, SeedConfig
from mastodon_mock.testing.server import MockServer
from posting_fixtures import LIMITS, mastodon_statuses, ready_draft
from test_posting_bluesky import records

from amplify.connect import connect_bluesky, connect_mastodon
from amplify.posting import KILL_POINT_ENV
from amplify.store import Store

ROOT = Path(__file__).resolve().parents[1]
KILL_POINTS = ("before-call", "call-answered", "after-call", "mid-record")


def amplify(*arguments: str, kill_at: str | None = None) -> subprocess.CompletedProcess:
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    environment.pop(KILL_POINT_ENV, None)
    if kill_at:
        environment[KILL_POINT_ENV] = kill_at
    return subprocess.run([sys.executable, "-m", "amplify", *arguments], env=environment, capture_output=True,
                          text=True, timeout=120)


def on_loopback(store, server, network: str) -> int:
    """A ready draft whose item is on the loopback server (the gate probes its link again in the subprocess)."""
    server.route("/sourdough", "<p>Three-day sourdough</p>", headers={"Content-Type": "text/html"})
    item_url = server.url("/sourdough")
    credit = "@ada@bakers.social" if network == "mastodon" else "@ada.example"
    return ready_draft(store, network, text=f"{credit}: Three-day sourdough\n{item_url}\n\n#Bread",
                       item_url=item_url, source_url=server.url(""))


def kill_then_resume(store, tmp_path, draft_id: int, network: str, point: str) -> None:
    database = str(store.path)
    store.close()
    killed = amplify("post", str(draft_id), "--network", network, "--db", database,
                     "--feeds", str(tmp_path / "none.yml"), kill_at=point)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    resumed = amplify("post", "--resume", "--db", database, "--feeds", str(tmp_path / "none.yml"))
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr


def settled(database: Path) -> tuple[list[dict], list]:
    with Store(database) as reopened:
        return reopened.shares(), reopened.outbox_rows("scheduled", "pending", "sent", "recorded", "failed")


@pytest.fixture
def mastodon():
    seed = SeedConfig(accounts=[SeedAccount(username="ada", display_name="Ada", access_token="ada_token")])
    with MockServer(seed=seed) as running:
        yield running


@pytest.mark.parametrize("point", KILL_POINTS)
def test_mastodon_killed_at_each_step_then_resumed_posts_once_and_records_once(point, store, server, mastodon,
                                                                                tmp_path):
    connect_mastodon(store, mastodon.base_url, "ada_token", limits=LIMITS)
    draft_id = on_loopback(store, server, "mastodon")
    database = Path(store.path)
    kill_then_resume(store, tmp_path, draft_id, "mastodon", point)
    [status] = mastodon_statuses(mastodon.base_url)
    shares, rows = settled(database)
    assert [share.post_url for share in shares] == [status["url"]]
    assert [(row.state, row.post_id) for row in rows] == [("recorded", status["id"])]


@pytest.mark.parametrize("point", KILL_POINTS)
def test_bluesky_killed_at_each_step_then_resumed_posts_once_and_records_once(point, store, server, bluesky,
                                                                              tmp_path):
    ada = bluesky.create_account(f"ada{uuid.uuid4().hex[:6]}")
    connect_bluesky(store, ada.handle, app_password(bluesky, ada), server=bluesky.pds, limits=LIMITS)
    draft_id = on_loopback(store, server, "bluesky")
    database = Path(store.path)
    kill_then_resume(store, tmp_path, draft_id, "bluesky", point)
    [record] = records(bluesky, ada)
    shares, rows = settled(database)
    rkey = record["uri"].rsplit("/", 1)[-1]
    assert [share.post_url for share in shares] == [f"https://bsky.app/profile/{ada.handle}/post/{rkey}"]
    assert [(row.state, row.key) for row in rows] == [("recorded", rkey)]
