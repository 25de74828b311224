"""Starting from whom you already follow: a Mastodon or Bluesky follow list, imported as candidate sources.

`import_follows` pages through the list (Mastodon: `accounts/lookup`, then `accounts/:id/following` by its `Link`
header; Bluesky: the AppView's `app.bsky.graph.getFollows` by its cursor), all through `amplify.fetch` with
refresh's limits, honouring the servers' rate-limit headers. Every page lands in the store with the address of
the next one, so an import stopped halfway (a rate limit, a lost connection, a closed laptop) goes on from there
when it is run again.

Each account becomes a `Candidate`: display name, handle, bio as plain text, avatar, its public feed (Mastodon
`https://INSTANCE/@USER.rss`, Bluesky `https://bsky.app/profile/DID/rss`) and the website in its profile (a link
Mastodon shows as verified first). `add_candidates` writes the ones the user chose to feeds.yml through the
round-trip writer: the handle under `handles:`, the website as their homepage (so its host counts as their own
site) with its feed, found by discovery, as a second feed, credit left at the follow list's default. Identity
labels are never written: a label is only what a source says of itself, and a bio is not a statement amplify
reads labels from.

The package: `model` (candidates, results, errors), `pager` (pages within rate limits), `mastodon` and `bluesky`
(each network's addresses, pages and accounts), `importing` (the import, page by page, resumable) and `candidates`
(choosing and adding).
"""

from amplify.follows.bluesky import PUBLIC_APPVIEW, bluesky_actor, bluesky_candidate
from amplify.follows.candidates import AddResult, add_candidates, already_followed, source_for
from amplify.follows.importing import import_follows, list_key
from amplify.follows.mastodon import mastodon_address, mastodon_candidate, next_link, own_token
from amplify.follows.model import (
    BLUESKY,
    MASTODON,
    TOKEN_VARIABLE,
    Candidate,
    FollowImportError,
    HiddenFollowList,
    ImportPaused,
    ImportResult,
    plain_bio,
)
from amplify.follows.pager import wait_seconds

__all__ = [
    "BLUESKY", "MASTODON", "PUBLIC_APPVIEW", "TOKEN_VARIABLE", "AddResult", "Candidate", "FollowImportError",
    "HiddenFollowList", "ImportPaused", "ImportResult", "add_candidates", "already_followed", "bluesky_actor",
    "bluesky_candidate", "import_follows", "list_key", "mastodon_address", "mastodon_candidate", "next_link",
    "own_token", "plain_bio", "source_for", "wait_seconds",
]
