"""Importing a Bluesky follow list from a real AppView: @atproto/dev-env's PDS and AppView on this machine, with
accounts following each other (tests/networks/harness.py starts them; skipped with a note where Node modules or
PostgreSQL are missing, failing instead in CI)."""

import pytest

from amplify.follow.load import load_follow_list
from amplify.follows import BLUESKY, FollowImportError, add_candidates, import_follows
from amplify.follows import bluesky as bluesky_client


@pytest.fixture(autouse=True)
def loopback_allowed(monkeypatch):
    monkeypatch.setenv("AMPLIFY_ALLOW_PRIVATE", "1")  # the network is on this machine


@pytest.fixture(scope="module")
def people(bluesky):
    """`reader` follows five accounts (two of them follow each other and the reader back)."""
    reader = bluesky.create_account("reader")
    makers = [
        bluesky.create_account("quilts", display_name="Quilt Circle", description="Quilts, patterns\nand classes."),
        bluesky.create_account("bakery", display_name="Ada's Bakery", description="Bread from the corner."),
        bluesky.create_account("poems"),
        bluesky.create_account("zines", display_name="Zed Zines"),
        bluesky.create_account("radio", display_name="Night Radio", description="Shows every Friday."),
    ]
    bluesky.follow(reader, *makers)
    bluesky.follow(makers[0], reader, makers[1])
    bluesky.follow(makers[1], makers[0])
    bluesky.post(makers[0], "A new pattern is up.")
    bluesky.process_all()
    return reader, makers


def test_follows_come_from_the_appview_page_by_page(bluesky, people, store, monkeypatch):
    reader, makers = people
    monkeypatch.setattr(bluesky_client, "BLUESKY_PAGE_SIZE", 2)  # five follows: three pages and a cursor each time
    seen = []
    result = import_follows(store, BLUESKY, reader.handle, server=bluesky.appview,
                            progress=lambda fetched, expected: seen.append((fetched, expected)))
    assert sorted(candidate.handle for candidate in result.candidates) == sorted(maker.handle for maker in makers)
    assert seen[0] == (0, 5) and seen[-1] == (5, 5)
    assert [fetched for fetched, _ in seen[1:4]] == [2, 4, 5]
    by_handle = {candidate.handle: candidate for candidate in result.candidates}
    quilts = by_handle[makers[0].handle]
    assert (quilts.name, quilts.bio) == ("Quilt Circle", "Quilts, patterns and classes.")
    assert quilts.feed_url == f"https://bsky.app/profile/{makers[0].did}/rss"
    assert by_handle[makers[2].handle].name == makers[2].handle  # no display name: the handle
    stored = store.follow_import(BLUESKY, reader.handle, bluesky.appview)
    assert (stored.state, stored.fetched, stored.account_id) == ("fetched", 5, reader.did)


def test_another_accounts_list_and_an_unknown_account(bluesky, people, store):
    reader, makers = people
    result = import_follows(store, BLUESKY, makers[0].handle, server=bluesky.appview)
    assert {candidate.handle for candidate in result.candidates} == {reader.handle, makers[1].handle}
    with pytest.raises(FollowImportError, match="No Bluesky account"):
        import_follows(store, BLUESKY, f"{bluesky.prefix}nobody.test", server=bluesky.appview)


def test_chosen_bluesky_accounts_are_written_without_labels(bluesky, people, store, tmp_path):
    reader, makers = people
    result = import_follows(store, BLUESKY, reader.handle, server=bluesky.appview)
    path = tmp_path / "feeds.yml"
    path.write_text("# mine\nsources: []\n")
    chosen = [candidate for candidate in result.candidates if candidate.handle in (makers[0].handle,
                                                                                   makers[4].handle)]
    outcome = add_candidates(path, chosen)
    assert sorted(source.name for source in outcome.added) == ["Night Radio", "Quilt Circle"]
    quilts = load_follow_list(path).source("Quilt Circle")
    assert quilts.handles == {"bluesky": makers[0].handle}
    assert quilts.feeds == (f"https://bsky.app/profile/{makers[0].did}/rss",)
    assert quilts.identity_labels == () and "identity" not in path.read_text()
