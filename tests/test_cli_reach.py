"""`amplify reach`: the due snapshots from the command line, in words or as JSON."""

import json
from datetime import timedelta

from audit_fixtures import add_share, add_source
from click.testing import CliRunner
from reach_servers import AppView, Instance

from amplify.cli import cli
from amplify.clock import to_iso
from amplify.store import Store


def test_reach_reads_what_is_due_and_says_what_it_did(server, tmp_path):
    instance, appview = Instance(), AppView(handles={"ada.test": "did:plc:ada"})
    instance.add(server, "101", likes=4)
    instance.mount(server)
    appview.add("did:plc:ada", "r1", reposts=2)
    appview.mount(server)
    path = tmp_path / "amplify.db"
    with Store(path) as store:  # the real clock: shares two days before now are due their 1-day snapshot
        source = add_source(store, "Ada Bakes")
        two_days_ago = to_iso(store.clock() - timedelta(days=2))
        add_share(store, source, two_days_ago, network="mastodon", post_url=server.url("/@ada/101"))
        add_share(store, source, two_days_ago, network="bluesky", post_url="https://bsky.app/profile/ada.test/post/r1")
        add_share(store, source, two_days_ago, network="mastodon", post_url=server.url("/@ada/999"))
        add_share(store, source, two_days_ago, network="mastodon", post_url="https://bakers.social/@ada")
    arguments = ["reach", "--db", str(path), "--feeds", str(tmp_path / "feeds.yml"), "--appview", server.url("")]
    result = CliRunner().invoke(cli, [*arguments, "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert (report["due"], report["taken"], report["deleted"], report["problems"]) == (3, 3, 1, [])
    assert report["calls"] == {"mastodon": 2, "bluesky": 2}
    with Store(path) as store:
        latest = store.latest_reach()
    assert (latest[1].likes, latest[2].reposts, latest[3].deleted) == (4, 2, True)
    again = CliRunner().invoke(cli, arguments)
    assert again.exit_code == 0 and "No snapshots are due" in again.output


def test_reach_in_words_names_what_could_not_be_read(server, tmp_path):
    instance = Instance(private=True)
    instance.add(server, "101", likes=1)
    instance.mount(server)
    path = tmp_path / "amplify.db"
    with Store(path) as store:
        add_share(store, add_source(store, "Ada Bakes"), to_iso(store.clock() - timedelta(days=400)),
                  network="mastodon", post_url=server.url("/@ada/101"))
    result = CliRunner().invoke(cli, ["reach", "--db", str(path), "--feeds", str(tmp_path / "feeds.yml")])
    assert result.exit_code == 0
    assert "Took 0 snapshots of 1 due." in result.stdout
    assert "Share 1: this instance keeps its numbers private." in result.stderr
