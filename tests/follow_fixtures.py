"""A follow list with comments, and a Mastodon of our own on the loopback server: account lookup and a following
list served page by page with `Link` headers, hidden unless the owner's token is sent (as Mastodon does: an empty
list, with the count still shown)."""

import json
from pathlib import Path

from loopback import LoopbackServer, Route

FOLLOW_LIST = """\
# Whom I follow: kept by hand, and by amplify
settings:
  networks: [mastodon, bluesky]
sources:
  # the bakery on the corner
  - name: Ada's Bakery
    feed: https://adasbakery.example/feed.xml
    handles: {mastodon: "@ada@bakers.example"}
  # poems on Sundays
  - name: Rosa Poems
    feed: https://rosa.example/feed.xml
"""


def follow_list_file(folder: Path) -> Path:
    path = folder / "feeds.yml"
    path.write_text(FOLLOW_LIST, encoding="utf-8")
    return path


def mastodon_account(server: LoopbackServer, username: str, *, display_name: str | None = None) -> dict:
    """A Mastodon Account entity for a local account of the loopback server."""
    return {
        "username": username, "acct": username, "display_name": display_name or username.title(),
        "note": f"<p>Hello from {username}</p>", "url": server.url(f"/@{username}"),
        "avatar": server.url(f"/avatars/{username}.png"), "fields": [], "locked": False, "bot": False,
    }


def serve_mastodon(server: LoopbackServer, owner: str, accounts: list[dict], *, page_size: int,
                   token: str | None = None) -> None:
    """`owner` (id 1) follows `accounts`, served `page_size` at a time, newest id first, as Mastodon pages them."""
    for number, account in enumerate(accounts):
        account.setdefault("id", str(1000 - number))
    server.route(f"/api/v1/accounts/lookup?acct={owner}",
                 json.dumps({"id": "1", "username": owner, "acct": owner, "following_count": len(accounts)}),
                 headers={"Content-Type": "application/json"})
    base = "/api/v1/accounts/1/following"
    path = f"{base}?limit=80"
    for start in range(0, max(len(accounts), 1), page_size):
        page = accounts[start:start + page_size]
        headers = {"Content-Type": "application/json"}
        if start + page_size < len(accounts):
            following = f"{base}?limit=80&max_id={page[-1]['id']}"
            headers["Link"] = f'<{server.url(following)}>; rel="next", <{server.url(base)}?min_id=1>; rel="prev"'
        else:
            following = None
        route = Route(json.dumps(page).encode(), 200, headers)
        server.routes[path] = route if token is None else Route(handler=_owner_only(route, token))
        if following is None:
            break
        path = following


def _owner_only(route: Route, token: str):
    def answer(handler) -> None:
        shown = handler.headers.get("Authorization") == f"Bearer {token}"
        body = route.body if shown else b"[]"
        handler.send_response(200)
        for name, value in route.headers.items():
            if shown or name != "Link":
                handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)
    return answer
