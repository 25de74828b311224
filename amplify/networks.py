"""The networks amplify drafts for, in the order the pages show them: their ids, names and handle shapes.

feeds.yml's `handles:` and `settings.networks`, the Sources page's handle fields and the composer all read this
list, and `amplify import-follows` the networks it imports from. How each network counts a post and where its compose
page is: `amplify.compose.NETWORKS`, one entry per id.
"""

import re

from amplify.urls import DOMAIN, DOMAIN_PATTERN

NAMES = {"mastodon": "Mastodon", "bluesky": "Bluesky", "x": "X", "linkedin": "LinkedIn", "threads": "Threads"}
IDS = tuple(NAMES)
# The networks whose follow lists amplify imports (amplify.follows, `amplify import-follows`).
FOLLOW_LIST_IMPORTS = ("mastodon", "bluesky")

HANDLE_SHAPES = {
    "mastodon": "like @ada@bakers.social",
    "bluesky": "a domain like ada.bsky.social",
    "x": "like @ada, at most 15 letters, digits or _",
    "linkedin": "the name in the profile URL, like adasbakery",
    "threads": "the profile name, like adasbakery",
}

_MASTODON_HANDLE = re.compile(rf"^@?([A-Za-z0-9_]+(?:[.-][A-Za-z0-9_]+)*)@({DOMAIN})$")
_X_HANDLE = re.compile(r"^@?([A-Za-z0-9_]{1,15})$")
_PROFILE_NAME = re.compile(r"^@?([A-Za-z0-9._-]{1,100})$")


def normalize_handle(network: str, handle: str) -> str | None:
    """The handle in the one shape amplify stores for `network`, or None when it does not have that shape.

    Mastodon and X handles keep their leading @; Bluesky, LinkedIn and Threads are stored as the bare name.
    """
    handle = handle.strip()
    if network == "mastodon":
        found = _MASTODON_HANDLE.match(handle)
        return f"@{found.group(1)}@{found.group(2).lower()}" if found else None
    if network == "bluesky":
        bare = handle.removeprefix("@").lower()
        return bare if DOMAIN_PATTERN.match(bare) else None
    if network == "x":
        found = _X_HANDLE.match(handle)
        return f"@{found.group(1)}" if found else None
    if network in ("linkedin", "threads"):
        found = _PROFILE_NAME.match(handle)
        return found.group(1) if found else None
    return None
