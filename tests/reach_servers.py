"""Loopback stand-ins for the parts of Mastodon and the Bluesky AppView that reach reads, with their edges (401 on
logged-out reads, 404 after a deletion, 429 with reset headers, instances without the batch address), for the
reach tests and benchmarks/reach.py. Every request is recorded by the LoopbackServer underneath."""

import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit

from loopback import LoopbackServer


def answer(handler: BaseHTTPRequestHandler, status: int, data: object, headers: dict[str, str] | None = None) -> None:
    body = json.dumps(data).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


class _ByPath(dict):
    """Routes looked up by path alone, so one handler answers whatever query a request carries."""

    def get(self, path, default=None):  # noqa: ANN001, ANN201 (dict's own signature)
        return super().get(urlsplit(path).path, default)


def serve(server: LoopbackServer, path: str, handler) -> None:  # noqa: ANN001
    if not isinstance(server.routes, _ByPath):
        server.routes = _ByPath(server.routes)
    server.route(path, handler=handler)


@dataclass
class Instance:
    """A Mastodon instance's statuses. `batch` False answers the batch address 404 (before Mastodon 4.3);
    `private` refuses logged-out reads with 401 (a token of `token` is let through); `limited` answers the next
    that many requests 429 with a reset header; `remaining_zero` sends X-RateLimit-Remaining: 0 once."""

    statuses: dict[str, dict] = field(default_factory=dict)
    batch: bool = True
    private: bool = False
    token: str = "own-token"
    limited: int = 0
    remaining_zero: bool = False
    reset_only: bool = False  # a 429 that says when to come back only with X-RateLimit-Reset, 5 s from now

    def mount(self, server: LoopbackServer) -> None:
        serve(server, "/api/v1/statuses", self._many)
        for status_id in self.statuses:
            serve(server, f"/api/v1/statuses/{status_id}", self._one)

    def add(self, server: LoopbackServer, status_id: str, **counts: int) -> None:
        self.statuses[status_id] = {"id": status_id, "reblogs_count": counts.get("reposts", 0),
                                    "favourites_count": counts.get("likes", 0),
                                    "replies_count": counts.get("replies", 0), "quotes_count": counts.get("quotes", 0)}
        serve(server, f"/api/v1/statuses/{status_id}", self._one)

    def _refused(self, handler: BaseHTTPRequestHandler) -> bool:
        if self.limited:
            self.limited -= 1
            if self.reset_only:
                reset = datetime.fromtimestamp(time.time() + 5, UTC).isoformat()
                answer(handler, 429, {"error": "Too many requests"},
                       {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset})
                return True
            answer(handler, 429, {"error": "Too many requests"},
                   {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "2026-11-20T09:30:07Z", "Retry-After": "7"})
            return True
        if self.private and handler.headers.get("Authorization") != f"Bearer {self.token}":
            answer(handler, 401, {"error": "This API requires an authenticated user"})
            return True
        return False

    def _headers(self) -> dict[str, str]:
        if self.remaining_zero:
            self.remaining_zero = False
            return {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "2026-11-20T09:30:03Z"}
        return {"X-RateLimit-Remaining": "299"}

    def _many(self, handler: BaseHTTPRequestHandler) -> None:
        if self._refused(handler):
            return
        if not self.batch:
            answer(handler, 404, {"error": "Record not found"})
            return
        ids = parse_qs(urlsplit(handler.path).query).get("id[]", [])
        answer(handler, 200, [self.statuses[one] for one in ids if one in self.statuses], self._headers())

    def _one(self, handler: BaseHTTPRequestHandler) -> None:
        if self._refused(handler):
            return
        status = self.statuses.get(urlsplit(handler.path).path.rsplit("/", 1)[1])
        if status is None:
            answer(handler, 404, {"error": "Record not found"})
        else:
            answer(handler, 200, status, self._headers())


@dataclass
class AppView:
    """The two AppView calls reach makes: resolveHandle (handles -> DIDs) and getPosts (at most 25 URIs); and, for
    a post getPosts leaves out, the PLC directory's DID documents (each account's server is this same server) and
    that server's getRecord, which has `posts` and `kept` (records the AppView does not show: behind, or the
    account deactivated)."""

    handles: dict[str, str] = field(default_factory=dict)
    posts: dict[str, dict] = field(default_factory=dict)
    kept: set[str] = field(default_factory=set)

    def mount(self, server: LoopbackServer) -> None:
        self.base = server.url("").rstrip("/")
        serve(server, "/xrpc/com.atproto.identity.resolveHandle", self._resolve)
        serve(server, "/xrpc/app.bsky.feed.getPosts", self._posts)
        serve(server, "/xrpc/com.atproto.repo.getRecord", self._record)

    def did_document(self, server: LoopbackServer, did: str) -> None:
        """The PLC directory's document for `did`, naming this server as its PDS."""
        serve(server, f"/{did}", lambda handler: answer(handler, 200, {
            "id": did, "service": [{"id": "#atproto_pds", "type": "AtprotoPersonalDataServer",
                                    "serviceEndpoint": self.base}]}))

    def _record(self, handler: BaseHTTPRequestHandler) -> None:
        query = parse_qs(urlsplit(handler.path).query)
        uri = f"at://{query['repo'][0]}/{query['collection'][0]}/{query['rkey'][0]}"
        if uri in self.posts or uri in self.kept:
            answer(handler, 200, {"uri": uri, "cid": "bafy", "value": {"text": "still here"}})
        else:
            answer(handler, 400, {"error": "RecordNotFound", "message": f"Could not locate record: {uri}"})

    def add(self, did: str, rkey: str, **counts: int) -> str:
        uri = f"at://{did}/app.bsky.feed.post/{rkey}"
        self.posts[uri] = {"uri": uri, "repostCount": counts.get("reposts", 0), "likeCount": counts.get("likes", 0),
                           "replyCount": counts.get("replies", 0), "quoteCount": counts.get("quotes", 0)}
        return uri

    def _resolve(self, handler: BaseHTTPRequestHandler) -> None:
        handle = parse_qs(urlsplit(handler.path).query).get("handle", [""])[0]
        if handle in self.handles:
            answer(handler, 200, {"did": self.handles[handle]})
        else:
            answer(handler, 400, {"error": "InvalidRequest", "message": "Unable to resolve handle"})

    def _posts(self, handler: BaseHTTPRequestHandler) -> None:
        uris = parse_qs(urlsplit(handler.path).query).get("uris", [])
        if len(uris) > 25:
            answer(handler, 400, {"error": "InvalidRequest", "message": "uris must not have more than 25 elements"})
            return
        answer(handler, 200, {"posts": [self.posts[uri] for uri in uris if uri in self.posts]})
