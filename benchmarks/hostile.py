"""Refresh against a mix of good, broken and hostile feeds, all served on 127.0.0.1.

    python benchmarks/hostile.py [--good 200] [--each 10]

`--good` well-formed feeds (20 items each) are listed beside `--each` feeds of every hostile kind: gzip bombs
(256 MiB of zeros in about 250 KB), endless bodies, a slow drip of one byte every half second, redirect loops,
redirects to file: and javascript:, HTML pages, broken XML, empty bodies, 500 errors, and feeds whose titles,
summaries and links carry script. One `amplify refresh --json` runs as a subprocess; the script prints its wall
time and peak memory (`os.wait4`), what it reported, and then checks the database: every good feed fully stored,
every bad one failed with a reason, nothing unsafe stored.
"""

import argparse
import contextlib
import gzip
import json
import resource
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ITEMS = 20
BOMB_BYTES = 256 * 1024 * 1024
HOSTILE_KINDS = ("bomb", "endless", "drip", "loop", "file", "javascript", "html", "broken", "empty", "error",
                 "script")


def rss(title: str, items: list[tuple[str, str, str]]) -> bytes:
    body = "".join(
        f"<item><title>{t}</title><link>{link}</link><guid>{link}</guid><description>{d}</description>"
        "<pubDate>Fri, 20 Nov 2026 08:00:00 GMT</pubDate></item>"
        for t, link, d in items
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>{title}</title>{body}</channel></rss>'.encode()


def gzip_bomb() -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = bytes(1024 * 1024)
    parts = [compressor.compress(zeros) for _ in range(BOMB_BYTES // len(zeros))]
    parts.append(compressor.flush())
    return b"".join(parts)


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # readers hanging up on a bomb or a drip is the point, not an error


class Farm(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    bomb = b""
    base = ""

    def log_message(self, *args: object) -> None:
        pass

    def send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        kind, _, name = self.path.strip("/").partition("/")
        number = name.split(".")[0]
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the reader gave up on us, as it should
            self.answer(kind, number)

    def answer(self, kind: str, number: str) -> None:
        site = f"{self.base}/good/{number}"
        if kind == "good":
            items = [(f"Post {j} of {number}", f"{site}/post/{j}", f"Words {j}.") for j in range(ITEMS)]
            self.send(200, gzip.compress(rss(f"Good {number}", items)),
                      {"Content-Encoding": "gzip", "Content-Type": "application/rss+xml"})
        elif kind == "bomb":
            self.send(200, self.bomb, {"Content-Encoding": "gzip", "Content-Type": "application/rss+xml"})
        elif kind == "endless":
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.end_headers()
            chunk = b"<rss>" + b"x" * 65536
            while True:
                self.wfile.write(chunk)
        elif kind == "drip":
            self.send_response(200)
            self.send_header("Content-Length", "1000000")
            self.end_headers()
            for _ in range(120):
                self.wfile.write(b"<")
                self.wfile.flush()
                time.sleep(0.5)
        elif kind == "loop":
            self.send(302, b"", {"Location": f"/loop/{number}.xml"})
        elif kind in ("file", "javascript"):
            target = "file:///etc/passwd" if kind == "file" else "javascript:alert(1)"
            self.send(302, b"", {"Location": target})
        elif kind == "html":
            self.send(200, b"<!doctype html><html><body><p>Not a feed</p></body></html>",
                      {"Content-Type": "text/html"})
        elif kind == "broken":
            self.send(200, b'<?xml version="1.0"?><rss><channel><item><title>Half', {})
        elif kind == "empty":
            self.send(200, b"", {})
        elif kind == "error":
            self.send(500, b"oops", {})
        elif kind == "script":
            items = [("<script>alert(1)</script>Hello", "javascript:alert(2)",
                      "&lt;img src=x onerror=alert(3)&gt;&lt;script&gt;alert(4)&lt;/script&gt;text"),
                     ("Fine title", f"{site}/post/ok", "&lt;a href='javascript:alert(5)'&gt;x&lt;/a&gt;")]
            self.send(200, rss("Script", items), {"Content-Type": "application/rss+xml"})
        else:
            self.send(404, b"", {})


def follow_list(base: str, good: int, each: int) -> str:
    lines = ["settings:", "  allow_private_addresses: true   # the farm is on this computer", "sources:"]
    for i in range(good):
        lines += [f"  - name: Good {i}", f"    feed: {base}/good/{i}.xml"]
    hostile_host = base.replace("127.0.0.1", "localhost")  # its own host, as a hostile site would be
    for kind in HOSTILE_KINDS:
        for i in range(each):
            lines += [f"  - name: {kind} {i}", f"    feed: {hostile_host}/{kind}/{i}.xml"]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--good", type=int, default=200)
    parser.add_argument("--each", type=int, default=10, help="feeds of each hostile kind")
    args = parser.parse_args()

    Farm.bomb = gzip_bomb()
    server = QuietServer(("127.0.0.1", 0), Farm)
    Farm.base = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"{args.good} good feeds and {args.each} of each of {len(HOSTILE_KINDS)} hostile kinds at {Farm.base}; "
          f"gzip bomb: {len(Farm.bomb) // 1024} KB expanding to {BOMB_BYTES // 2**20} MiB")

    with tempfile.TemporaryDirectory() as folder:
        feeds, db = Path(folder) / "feeds.yml", Path(folder) / "amplify.db"
        feeds.write_text(follow_list(Farm.base, args.good, args.each))
        command = [sys.executable, "-m", "amplify", "refresh", "--json", "--feeds", str(feeds), "--db", str(db)]
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        out, err = process.communicate()
        seconds = time.perf_counter() - started
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)  # the only child: its peak RSS
        report = json.loads(out)
        print(f"exit {process.returncode}, {seconds:.1f} s wall, peak RSS {usage.ru_maxrss / 1024:.0f} MB "
              f"")
        print(f"report: {report['feeds']} feeds, {report['fetched']} fetched, {report['failed']} failed, "
              f"{report['new_items']} new items")
        reasons: dict[str, str] = {}
        for problem in report["errors"]:
            reasons.setdefault(problem["source"].split()[0], problem["error"])
        for kind, reason in reasons.items():
            print(f"  {kind:<10} {reason[:110]}")
        check(db, args.good, report, err.decode())
    server.shutdown()


def check(db: Path, good: int, report: dict, stderr: str) -> None:
    conn = sqlite3.connect(db)
    stored = conn.execute("SELECT count(*) FROM items i JOIN sources s ON s.id = i.source_id "
                          "WHERE s.name LIKE 'Good %'").fetchone()[0]
    unsafe = conn.execute(
        "SELECT count(*) FROM items WHERE title LIKE '%<script%' OR summary LIKE '%<script%' "
        "OR content_html LIKE '%<script%' OR content_html LIKE '%javascript:%' OR content_html LIKE '%onerror%' "
        "OR url NOT LIKE 'http%'"
    ).fetchone()[0]
    failed_without_reason = [p for p in report["errors"] if not p["error"].strip()]
    print(f"good items stored: {stored} of {good * ITEMS}; unsafe rows stored: {unsafe}; "
          f"failures without a reason: {len(failed_without_reason)}; traceback on stderr: {'Traceback' in stderr}")


if __name__ == "__main__":
    main()
