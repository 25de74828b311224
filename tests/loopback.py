"""A real HTTP server on 127.0.0.1 for tests: routes are set per test, every request is recorded.

    server.route("/feed.xml", body=b"<rss ...>", headers={"ETag": '"v1"'})
    server.route("/slow", handler=lambda h: ...)     # full control: write the response yourself
    server.url("/feed.xml")                          # http://127.0.0.1:PORT/feed.xml

`LoopbackServer(host="::1")` listens on another loopback address (any of 127.0.0.0/8, or ::1), optionally on a given
port; `server.connections` counts every connection it accepted, a request on it or not.

A route answers 304 by itself when it has an ETag or Last-Modified and the request's validators match, so tests of
conditional GET exercise a server that behaves like the real ones.
"""

import gzip as gzip_module
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    handler: Callable[[BaseHTTPRequestHandler], None] | None = None
    gzip: bool = False


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    client_port: int = 0  # the same port on two requests means one kept-alive connection
    body: bytes = b""  # what a POST sent


class _CountingServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler]) -> None:
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.connections = 0
        super().__init__(address, handler)

    def get_request(self) -> tuple[socket.socket, object]:
        accepted = super().get_request()
        self.connections += 1
        return accepted


class LoopbackServer:
    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self.routes: dict[str, Route] = {}
        self.requests: list[Seen] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_HEAD(self) -> None:
                self.do_GET()

            def do_POST(self) -> None:
                self.do_GET()

            def do_GET(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if self.command == "POST" and length else b""
                seen = Seen(self.command, self.path, dict(self.headers.items()), self.client_address[1], body)
                server.requests.append(seen)
                route = server.routes.get(self.path)
                if route is None:
                    route = Route(body=b"not found", status=404, headers={"Content-Type": "text/plain"})
                if route.handler is not None:
                    route.handler(self)
                    return
                server._answer(self, route)

        self._httpd = _CountingServer((host, port), Handler)
        self.port = self._httpd.server_address[1]
        # A short poll interval: shutdown() waits for the next poll, and tests start and stop many servers.
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def start(self) -> "LoopbackServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    @property
    def connections(self) -> int:
        return self._httpd.connections

    def url(self, path: str = "/") -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}{path}"

    def route(self, path: str, body: bytes | str = b"", *, status: int = 200, headers: dict[str, str] | None = None,
              handler: Callable[[BaseHTTPRequestHandler], None] | None = None, gzip: bool = False) -> None:
        if isinstance(body, str):
            body = body.encode("utf-8")
        self.routes[path] = Route(body, status, dict(headers or {}), handler, gzip)

    def redirect(self, path: str, location: str, *, status: int = 302) -> None:
        self.route(path, status=status, headers={"Location": location})

    def hits(self, path: str) -> list[Seen]:
        return [seen for seen in self.requests if seen.path == path]

    @staticmethod
    def _answer(handler: BaseHTTPRequestHandler, route: Route) -> None:
        etag = route.headers.get("ETag")
        modified = route.headers.get("Last-Modified")
        if_none_match = handler.headers.get("If-None-Match")
        if_modified_since = handler.headers.get("If-Modified-Since")
        if (etag and if_none_match == etag) or (not if_none_match and modified and if_modified_since == modified):
            handler.send_response(304)
            for name in ("ETag", "Last-Modified"):
                if name in route.headers:
                    handler.send_header(name, route.headers[name])
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return
        body = route.body
        headers = dict(route.headers)
        if route.gzip and "gzip" in handler.headers.get("Accept-Encoding", ""):
            body = gzip_module.compress(body)
            headers["Content-Encoding"] = "gzip"
        handler.send_response(route.status)
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        if handler.command != "HEAD":
            handler.wfile.write(body)
