"""`fetch.send_json`: a POST to a JSON API on a real server on 127.0.0.1. What it sends goes only where it was sent
(no redirect is followed), and an error answer's JSON reaches the caller."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from amplify.fetch import FetchError, HTTPStatusError, open_client, send_json


class Recorder(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        self.seen: list[tuple[str, str, dict[str, str], bytes]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                server.seen.append((self.command, self.path, dict(self.headers), body))
                status, answer, extra = {
                    "/ok": (200, {"it": "worked"}, {}),
                    "/moved": (307, {}, {"Location": "/elsewhere"}),
                    "/refused": (400, {"error": "ExpiredToken", "message": "Token has expired"}, {}),
                    "/broken": (500, None, {}),
                }.get(self.path, (404, {"error": "nothing here"}, {}))
                payload = b"<html>oops</html>" if answer is None else json.dumps(answer).encode()
                self.send_response(status)
                for name, value in {"Content-Type": "application/json", **extra}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        super().__init__(("127.0.0.1", 0), Handler)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}{path}"


@pytest.fixture
def api():
    running = Recorder()
    thread = threading.Thread(target=running.serve_forever, daemon=True)
    thread.start()
    yield running
    running.shutdown()
    running.server_close()


def test_json_and_forms_are_posted_and_the_answer_decoded(api):
    with open_client() as client:
        answer = send_json(client, api.url("/ok"), json_body={"identifier": "ada"}, headers={"X-Test": "1"})
        send_json(client, api.url("/ok"), form={"grant_type": "authorization_code", "code": "a b"})
        empty = send_json(client, api.url("/ok"))
    assert answer.data == {"it": "worked"} and answer.status == 200
    method, _, headers, body = api.seen[0]
    assert method == "POST" and json.loads(body) == {"identifier": "ada"}
    assert headers["Content-Type"] == "application/json" and headers["X-Test"] == "1"
    assert api.seen[1][3] == b"grant_type=authorization_code&code=a+b"
    assert api.seen[1][2]["Content-Type"] == "application/x-www-form-urlencoded"
    assert api.seen[2][3] == b"" and "Content-Type" not in api.seen[2][2] and empty.data == {"it": "worked"}


def test_a_redirect_is_not_followed_so_a_password_goes_nowhere_else(api):
    with open_client() as client, pytest.raises(FetchError, match="redirect"):
        send_json(client, api.url("/moved"), json_body={"password": "hunter2-secret"})
    assert [path for _, path, _, _ in api.seen] == ["/moved"]


def test_an_error_answer_carries_the_servers_words(api):
    with open_client() as client:
        with pytest.raises(HTTPStatusError) as refused:
            send_json(client, api.url("/refused"), json_body={})
        assert refused.value.status == 400
        assert refused.value.data == {"error": "ExpiredToken", "message": "Token has expired"}
        with pytest.raises(HTTPStatusError) as broken:
            send_json(client, api.url("/broken"), json_body={})
        assert broken.value.status == 500 and broken.value.data is None
