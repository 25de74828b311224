"""Posting to Bluesky as one account: `com.atproto.repo.createRecord` with a record key (a TID) chosen and stored
in the outbox before the call, so a retry reads the record (`getRecord`) instead of making a second post. The
record carries facets (links, mentions resolved to DIDs, hashtags; amplify.facets), `langs`, and either the
item's image with its alt text or a link card with a thumbnail, each blob under Bluesky's 1,000,000 bytes.
"""

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from amplify.facets import facets
from amplify.fetch import DEFAULT_LIMITS, FetchError, FetchLimits, HTTPStatusError, fetch_page, open_client, send_api
from amplify.publish import AccountServer, PostRequest, Published, explain
from amplify.types import OutboxRow

COLLECTION = "app.bsky.feed.post"
MAX_BLOB_BYTES = 1_000_000
WEB = "https://bsky.app"


class BlueskyPoster(AccountServer):
    """Posts to the account's PDS (`server`) as `did`, with the headers `auth()` gives (its access token)."""

    network = "bluesky"

    def __init__(self, server: str, auth: Callable[[], dict[str, str]], *, did: str, handle: str,
                 limits: FetchLimits = DEFAULT_LIMITS, zone: str = "UTC", web: str = WEB) -> None:
        super().__init__(server, auth, account=handle, limits=limits, zone=zone)
        self.did = did
        self.web = web.rstrip("/")
        self._dids: dict[str, str | None] = {}

    def _send(self, method: str, nsid: str, query: dict[str, str] | None = None, **body: Any) -> Any:
        url = f"{self.server}/xrpc/{nsid}" + (f"?{urlencode(query)}" if query else "")
        headers = {**self.auth(), **body.pop("headers", {})}
        with open_client(self.limits, connections=1) as client:
            return send_api(client, method, url, headers=headers, limits=self.limits, **body).data

    def _call(self, method: str, nsid: str, query: dict[str, str] | None = None, **body: Any) -> Any:
        try:
            return self._send(method, nsid, query, **body)
        except FetchError as error:
            raise explain(error, "bluesky", zone=self.zone) from error

    def url_of(self, rkey: str) -> str:
        return f"{self.web}/profile/{self.account}/post/{rkey}"

    def publish(self, request: PostRequest, key: str) -> Published:
        record: dict[str, Any] = {
            "$type": COLLECTION, "text": request.text,
            "createdAt": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        }
        if request.language:
            record["langs"] = [request.language]
        made = facets(request.text, self.resolve)
        if made:
            record["facets"] = made
        embed = self._embed(request)
        if embed is not None:
            record["embed"] = embed
        try:
            data = self._send("POST", "com.atproto.repo.createRecord",
                              json_body={"repo": self.did, "collection": COLLECTION, "rkey": key, "record": record})
        except HTTPStatusError as error:
            # A record with this key already there is this very post, made by an earlier try.
            if error.status == 400 and (existing := self._record(key)) is not None:
                return existing
            raise explain(error, "bluesky", zone=self.zone) from error
        except FetchError as error:
            raise explain(error, "bluesky", zone=self.zone) from error
        return Published(str(data["uri"]), self.url_of(key))

    def _record(self, rkey: str) -> Published | None:
        """The post with this record key, or None when there is none."""
        try:
            data = self._send("GET", "com.atproto.repo.getRecord",
                              {"repo": self.did, "collection": COLLECTION, "rkey": rkey})
        except HTTPStatusError as error:
            if error.status == 400 and isinstance(error.data, dict) and error.data.get("error") == "RecordNotFound":
                return None
            raise explain(error, "bluesky", zone=self.zone) from error
        except FetchError as error:
            raise explain(error, "bluesky", zone=self.zone) from error
        return Published(str(data["uri"]), self.url_of(rkey))

    def find(self, row: OutboxRow, now: datetime) -> Published | None:
        return self._record(row.key)

    def key_holds(self, row: OutboxRow, now: datetime) -> bool:
        """A record key names one post for good: a second post with it is refused."""
        return True

    def resolve(self, handle: str) -> str | None:
        """A handle's DID, or None when it does not resolve (the mention then stays plain text)."""
        if handle not in self._dids:
            try:
                self._dids[handle] = str(self._send("GET", "com.atproto.identity.resolveHandle",
                                                    {"handle": handle})["did"])
            except (FetchError, KeyError, TypeError):
                self._dids[handle] = None
        return self._dids[handle]

    def _blob(self, url: str) -> dict[str, Any] | None:
        """The image at `url` uploaded as a blob; None when it cannot be fetched or is over 1,000,000 bytes."""
        try:
            image = fetch_page(url, limits=replace(self.limits, max_bytes=MAX_BLOB_BYTES))
        except FetchError:
            return None
        kind = image.content_type.split(";")[0].strip()
        if not kind.startswith("image/"):
            return None
        return self._call("POST", "com.atproto.repo.uploadBlob", content=image.body,
                          headers={"Content-Type": kind})["blob"]

    def _embed(self, request: PostRequest) -> dict[str, Any] | None:
        """The item's image with its alt text; else (no image, or one Bluesky cannot take: unreachable or over
        1,000,000 bytes) a link card to the creator's page, with the image as its thumbnail when it fits."""
        blob = self._blob(request.image_url) if request.image_url else None
        if blob is not None and request.alt_text:
            return {"$type": "app.bsky.embed.images", "images": [{"image": blob, "alt": request.alt_text}]}
        if not request.link:
            return None
        card: dict[str, Any] = {"uri": request.link, "title": request.card_title,
                                "description": request.card_description}
        if blob is not None:
            card["thumb"] = blob
        return {"$type": "app.bsky.embed.external", "external": card}
