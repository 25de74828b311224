"""`amplify demo`: a handful of fictional sources, served on loopback, so a newcomer sees the real app now.

The sample feeds in `feeds/` (RSS, Atom and a JSON Feed, with a few images and their alt text) are served by
`DemoSites`, a small HTTP server on 127.0.0.1 that also answers each source's homepage (with its feed link),
its About page (where it describes itself, in its own words: the statement URL for its labels) and a page per
post, so refresh, discovery and the checklist's link probe all run for real, with no network. Each source is a
"site" under its own path: `http://127.0.0.1:PORT/ada/`.

Dates in the sample feeds are written relative to when the server started (`{{rfc822 -2h}}`, `{{iso -3d}}`),
so the demo always looks like this morning's review.
"""

import hashlib
import html
import re
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path

from amplify.clock import to_iso, utcnow
from amplify.errors import AmplifyError

FEED_TYPES = {
    ".xml": "application/rss+xml; charset=utf-8",
    ".atom": "application/atom+xml; charset=utf-8",
    ".json": "application/feed+json; charset=utf-8",
}
_TOKEN = re.compile(r"\{\{(site|rfc822|iso)(?: ([+-]\d+)([hd]))?\}\}")


@dataclass(frozen=True)
class DemoSource:
    """One fictional source: its feed file and what its follow-list entry says."""

    slug: str
    name: str
    kind: str
    feed_file: str
    about: str
    tags: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()
    credit: str = "tag"
    handles: dict[str, str] = field(default_factory=dict)


DEMO_SOURCES = (
    DemoSource(
        "ada", "Ada's Bakery", "business", "ada.xml",
        "We are a Black-owned, woman-owned bakery on Elm Street: Ada, her sister Grace and four bakers. "
        "We bake with grain from farms we know by name.",
        tags=("food", "local"), labels=("Black-owned", "woman-owned"),
        handles={"mastodon": "@ada@bakers.example", "bluesky": "adasbakery.example"},
    ),
    DemoSource(
        "rosa", "Rosa Méndez", "creator", "rosa.atom",
        "I am a Latina and queer poet from Oaxaca, living in Tucson. I write about kitchens, borders and "
        "the people who feed us.",
        tags=("poetry", "books"), labels=("Latina", "queer"), credit="name",
    ),
    DemoSource(
        "quilt", "Northern Lights Quilt Circle", "organization", "quilt.json",
        "We are an Indigenous-led quilting circle. Our elders teach, our members sell their own work, and "
        "every dollar goes back to the maker.",
        tags=("craft", "community"), labels=("Indigenous-led",), credit="ask",
    ),
    DemoSource(
        "kwame", "Kwame's Bike Workshop", "business", "kwame.xml",
        "Kwame's is a Black-owned repair shop. We fix bikes, refurbish donated ones and teach anyone who "
        "wants to learn.",
        tags=("bikes", "local"), labels=("Black-owned",), handles={"bluesky": "kwamebikes.example"},
    ),
    DemoSource(
        "mei", "Mei Lin Ceramics", "creator", "mei.atom",
        "I am an Asian American, disabled ceramic artist. I throw every piece seated at an adapted wheel.",
        tags=("craft", "art"), labels=("Asian American", "disabled"),
        handles={"mastodon": "@meilin@potters.example"},
    ),
    DemoSource(
        "sam", "Sam Okafor", "creator", "sam.xml",
        "I host a late-night community radio show about the people who keep the city running.",
        tags=("radio", "community"),
    ),
)


def _asset(name: str) -> bytes:
    return resources.files(__name__).joinpath("feeds", name).read_bytes()


def render(template: str, *, site: str, started: datetime) -> str:
    """Fill a sample file: `{{site}}` becomes the source's site URL, dates become times around `started`."""

    def fill(match: re.Match[str]) -> str:
        what, amount, unit = match.groups()
        if what == "site":
            return site
        moment = started + timedelta(**{"hours" if unit == "h" else "days": int(amount or 0)})
        return format_datetime(moment) if what == "rfc822" else to_iso(moment)

    return _TOKEN.sub(fill, template)


class DemoSites:
    """The sample sources' sites on 127.0.0.1, on a free port; use as a context manager or start()/stop()."""

    def __init__(self, *, started: datetime | None = None) -> None:
        self.started = started or utcnow()
        self.sources = {source.slug: source for source in DEMO_SOURCES}
        sites = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass  # the demo's terminal is for the app's address, not a request log

            def do_HEAD(self) -> None:
                self.do_GET()

            def do_GET(self) -> None:
                status, content_type, body = sites.answer(self.path.split("?", 1)[0])
                etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
                if status == 200 and self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                if status == 200:
                    self.send_header("ETag", etag)
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.port = int(self._httpd.server_address[1])
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="amplify-demo-sites",
                                        daemon=True)

    def start(self) -> "DemoSites":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> "DemoSites":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def site_url(self, slug: str) -> str:
        return f"http://127.0.0.1:{self.port}/{slug}"

    def feed_url(self, source: DemoSource) -> str:
        return f"{self.site_url(source.slug)}/feed{Path(source.feed_file).suffix}"

    def answer(self, path: str) -> tuple[int, str, bytes]:
        """Status, content type and body for a request path (pure, apart from reading the bundled files)."""
        slug, _, rest = path.strip("/").partition("/")
        source = self.sources.get(slug)
        if source is None:
            return _page(404, "Not here", "<p>This demo site has no such page.</p>")
        site = self.site_url(slug)
        feed_suffix = Path(source.feed_file).suffix
        if rest == f"feed{feed_suffix}":
            body = render(_asset(source.feed_file).decode("utf-8"), site=site, started=self.started)
            return 200, FEED_TYPES[feed_suffix], body.encode("utf-8")
        if rest.endswith(".svg") and "/" not in rest:
            try:
                return 200, "image/svg+xml", _asset(rest)
            except FileNotFoundError:
                return _page(404, "Not here", "<p>No such image.</p>")
        name = html.escape(source.name)
        if rest == "":
            feed = html.escape(self.feed_url(source))
            return _page(200, source.name,
                         f"<p>Welcome to {name}.</p><p><a href='{site}/about'>About us</a></p>",
                         head=f"<link rel='alternate' type='{FEED_TYPES[feed_suffix].split(';')[0]}' "
                              f"href='{feed}'>")
        if rest == "about":
            return _page(200, f"About {source.name}", f"<p>{html.escape(source.about)}</p>")
        if rest.startswith("posts/"):
            return _page(200, source.name, f"<p>A post by {name}. (This is a demo site.)</p>")
        return _page(404, "Not here", "<p>This demo site has no such page.</p>")


def _page(status: int, title: str, body: str, *, head: str = "") -> tuple[int, str, bytes]:
    heading = html.escape(title)
    document = (f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{heading}</title>"
                f"{head}</head><body><h1>{heading}</h1>{body}</body></html>")
    return status, "text/html; charset=utf-8", document.encode("utf-8")


def follow_list_text(sites: DemoSites) -> str:
    """The demo's feeds.yml: every sample source, pointing at the running demo sites."""
    lines = [
        "# The amplify demo's follow list: fictional creators and businesses, served from this computer.",
        "# Edit it on the Sources page, or by hand; your own follow list is not touched by the demo.",
        "settings:",
        "  networks: [mastodon, bluesky]",
        "  allow_private_addresses: true   # the demo's sites are on this computer",
        "sources:",
    ]
    for source in DEMO_SOURCES:
        site = sites.site_url(source.slug)
        lines += [
            f"  - name: {_yaml_text(source.name)}",
            f"    feed: {sites.feed_url(source)}",
            f"    url: {site}/",
            f"    kind: {source.kind}",
            f"    tags: [{', '.join(source.tags)}]",
            f"    credit: {source.credit}",
        ]
        if source.handles:
            handles = ", ".join(f"{network}: {_yaml_text(handle)}"
                                for network, handle in source.handles.items())
            lines.append(f"    handles: {{{handles}}}")
        if source.labels:
            lines += [
                "    identity:   # in their own words, on their About page",
                f"      labels: [{', '.join(_yaml_text(label) for label in source.labels)}]",
                f"      source: {site}/about",
            ]
    return "\n".join(lines) + "\n"


def _yaml_text(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


class DemoError(AmplifyError):
    """The demo cannot be set up where asked; the message says what to do instead."""


@dataclass(frozen=True)
class DemoSetup:
    """A demo ready to open: its files, and what the first refresh brought in."""

    folder: Path
    db_path: Path
    feeds_path: Path
    new_items: int
    problems: tuple[str, ...]


def prepare_demo(folder: Path, sites: DemoSites) -> DemoSetup:
    """Write the demo's follow list into `folder`, create its database and refresh it from the running `sites`.

    Refuses a folder that already holds a database or follow list: the demo never writes over anyone's data.
    """
    from amplify.follow.load import load_follow_list
    from amplify.refresh import refresh
    from amplify.store import Store

    folder.mkdir(parents=True, exist_ok=True)
    db_path, feeds_path = folder / "amplify.db", folder / "feeds.yml"
    taken = [path.name for path in (db_path, feeds_path) if path.exists()]
    if taken:
        raise DemoError(f"{folder} already has {' and '.join(taken)}; give the demo an empty or new folder "
                        "(it never writes over existing files)")
    feeds_path.write_text(follow_list_text(sites), encoding="utf-8")
    with Store(db_path) as store:
        report = refresh(store, load_follow_list(feeds_path))
    problems = tuple(f"{error.source}: {error.error}" for error in report.errors)
    return DemoSetup(folder, db_path, feeds_path, report.new_items, problems)
