"""Posting to Mastodon as one account: `POST /api/v1/statuses` with the outbox key as `Idempotency-Key`, the
item's image uploaded first (`/api/v2/media`, with the alt text as `description`, polled while it is processed).

An earlier attempt whose outcome is unknown is settled by `find`: the account's latest statuses are read and one
with the same words, made since the attempt, is taken as the post. Only when there is none is the post sent again,
with the same Idempotency-Key: within the hour a Mastodon server remembers it, so even a status the look missed is
answered, not made twice.
"""

import html
import re
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from amplify.clock import from_iso
from amplify.fetch import DEFAULT_LIMITS, FetchError, FetchLimits, fetch_page, open_client, send_api
from amplify.publish import AccountServer, PostFailed, PostingError, PostRequest, Published, explain
from amplify.types import OutboxRow

# A server remembers an Idempotency-Key for up to an hour; a retry later than this looks for the status instead.
IDEMPOTENCY_WINDOW = timedelta(minutes=55)
# How long an uploaded image may be processed (202, then 206 while polled) before the post goes without it.
MEDIA_WAIT_SECONDS = 60.0
_TAG = re.compile(r"<[^>]+>")
_MENTION_DOMAIN = re.compile(r"(@[\w.]+)@[\w.-]*\w")


def plain_words(text: str) -> str:
    """A status's text for comparing: tags and white space gone, entities read (Mastodon answers with HTML), and a
    mention without its domain (Mastodon shows `@ada@bakers.social` as `@ada`)."""
    return _MENTION_DOMAIN.sub(r"\1", "".join(html.unescape(_TAG.sub(" ", text)).split()))


class MastodonPoster(AccountServer):
    """Posts to `server` (https://INSTANCE) with the headers `auth()` gives (the account's token)."""

    network = "mastodon"

    def __init__(self, server: str, auth: Callable[[], dict[str, str]], *, account: str,
                 limits: FetchLimits = DEFAULT_LIMITS, zone: str = "UTC",
                 sleep: Callable[[float], None] = time.sleep) -> None:
        super().__init__(server, auth, account=account, limits=limits, zone=zone)
        self.sleep = sleep

    def _call(self, method: str, path: str, **body: Any) -> Any:
        headers = {**self.auth(), **body.pop("headers", {})}
        try:
            with open_client(self.limits, connections=1) as client:
                return send_api(client, method, f"{self.server}{path}", headers=headers, limits=self.limits,
                                **body)
        except FetchError as error:
            raise explain(error, "mastodon", zone=self.zone) from error

    def publish(self, request: PostRequest, key: str) -> Published:
        body: dict[str, Any] = {"status": request.text, "visibility": request.visibility}
        if request.language:
            body["language"] = request.language
        if request.image_url and request.alt_text:
            body["media_ids"] = [self._upload(request.image_url, request.alt_text)]
        answer = self._call("POST", "/api/v1/statuses", json_body=body, headers={"Idempotency-Key": key})
        return _published(answer.data)

    def _upload(self, image_url: str, alt_text: str) -> str:
        try:
            image = fetch_page(image_url, limits=self.limits)
        except FetchError as error:
            raise PostFailed(f"the item's image could not be fetched ({error.reason}); remove it from the draft "
                             "or try again later. Nothing was posted.") from error
        name = image_url.rsplit("/", 1)[-1].split("?")[0] or "image"
        kind = image.content_type.split(";")[0].strip() or "application/octet-stream"
        answer = self._call("POST", "/api/v2/media", form={"description": alt_text},
                            files={"file": (name, image.body, kind)})
        media = answer.data
        waited = 0.0
        while answer.status in (202, 206) or media.get("url") is None:
            if waited >= MEDIA_WAIT_SECONDS:
                raise PostFailed("Mastodon is still processing the image; post again in a few minutes. Nothing "
                                 "was posted.")
            self.sleep(1.0)
            waited += 1.0
            answer = self._call("GET", f"/api/v1/media/{media['id']}")
            media = answer.data
        return str(media["id"])

    def find(self, row: OutboxRow, now: datetime) -> Published | None:
        """The status an earlier attempt made, looked for among the account's latest (by its words, made since
        the attempt). Within the hour a failed look is no matter: sending the same key again is harmless."""
        try:
            return self._among_latest(row)
        except PostingError:
            if self.key_holds(row, now):
                return None
            raise

    def key_holds(self, row: OutboxRow, now: datetime) -> bool:
        """Within the hour the server remembers the Idempotency-Key."""
        return row.attempted_at is None or now - from_iso(row.attempted_at) < IDEMPOTENCY_WINDOW

    def _among_latest(self, row: OutboxRow) -> Published | None:
        me = self._call("GET", "/api/v1/accounts/verify_credentials").data
        statuses = self._call("GET", f"/api/v1/accounts/{me['id']}/statuses?limit=40&exclude_reblogs=true").data
        wanted = plain_words(row.text)
        since = from_iso(row.attempted_at or row.created_at) - timedelta(minutes=5)
        for status in statuses:
            made = status.get("created_at")
            if made and from_iso(made.replace("Z", "+00:00")) < since:
                continue
            if plain_words(status.get("content") or "") == wanted:
                return _published(status)
        return None


def _published(status: dict[str, Any]) -> Published:
    return Published(str(status["id"]), str(status.get("url") or status.get("uri")))
