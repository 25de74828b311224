"""JSON APIs: reading one (`fetch_json`, which may follow redirects unless it carries a token) and writing to one
(`send_json`, `send_api`: connecting an account, posting), which never follows a redirect, so what it sends (a
password, a code, a post and its token) goes only to the address it was given for."""

import json
import time
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode

from amplify.fetch import transfer
from amplify.fetch.client import Answer, Client
from amplify.fetch.limits import DEFAULT_LIMITS, FetchError, FetchLimits, HTTPStatusError


@dataclass(frozen=True)
class JSONResponse:
    """A 2xx answer from a JSON API: the decoded body and the headers (lower-case names)."""

    url: str
    status: int
    headers: dict[str, str]
    data: Any


def fetch_json(client: Client, url: str, *, headers: dict[str, str] | None = None,
               limits: FetchLimits = DEFAULT_LIMITS) -> JSONResponse:
    """GET a JSON API answer on `client`, within `limits`. With an `Authorization` header no redirect is
    followed: a token goes only to the address it was given for. Raises FetchError (HTTPStatusError, with the
    answer's headers, for 4xx/5xx; FetchError when the body is not JSON)."""
    headers = dict(headers or {})
    if "Authorization" in headers:
        limits = replace(limits, max_redirects=0)
    deadline = time.monotonic() + limits.total_timeout
    trail: list[str] = []
    with transfer.follow(client, url, limits, headers, deadline, trail) as (response, _moved_to):
        final_url = trail[-1]
        if not 200 <= response.status < 300:
            transfer.drain(response, deadline)
            raise HTTPStatusError(final_url, response.status, transfer.status_reason(response.status),
                                  response.headers)
        body = transfer.read_body(response, final_url, limits, deadline)
    try:
        data = json.loads(body)
    except (ValueError, RecursionError) as error:  # RecursionError: nested deeper than the decoder goes
        raise FetchError(final_url, "did not answer with JSON; is this the right server?") from error
    return JSONResponse(final_url, response.status, response.headers, data)


def send_json(client: Client, url: str, *, json_body: Any = None, form: dict[str, str] | None = None,
              headers: dict[str, str] | None = None, limits: FetchLimits = DEFAULT_LIMITS) -> JSONResponse:
    """POST `json_body` (as JSON), `form` (form-encoded) or nothing to a JSON API on `client` and decode the answer.
    Raises FetchError; HTTPStatusError for 4xx/5xx, with the server's decoded error body as `.data` (None when it
    is not JSON) so the caller can say what the server said."""
    transfer.require_web_url(url, url, first=True)
    sent = dict(headers or {})
    body = b""
    if form is not None:
        body, sent["Content-Type"] = urlencode(form).encode(), "application/x-www-form-urlencoded"
    elif json_body is not None:
        body, sent["Content-Type"] = json.dumps(json_body).encode(), "application/json"
    sent["Content-Length"] = str(len(body))
    return _json_answer(client, url, sent, limits, b"POST", body)


def send_api(client: Client, method: str, url: str, *, headers: dict[str, str] | None = None,
             json_body: Any = None, form: dict[str, Any] | None = None,
             files: dict[str, tuple[str, bytes, str]] | None = None, content: bytes | None = None,
             limits: FetchLimits = DEFAULT_LIMITS) -> JSONResponse:
    """Any API request (GET, or a POST with a JSON body, a form, a multipart upload or raw bytes) on `client`,
    within `limits`. Raises HTTPStatusError for 4xx/5xx, with the server's decoded error body as `.data`;
    FetchError for anything else (then whether the server acted is unknown)."""
    transfer.require_web_url(url, url, first=True)
    from amplify.fetch.http import httpx  # only for the bodies it builds (multipart uploads): loaded when posting

    built = httpx.Request(method, url, json=json_body, data=form, files=files, content=content)
    body = built.read()
    sent = {name.decode(): value.decode() for name, value in built.headers.raw
            if name.lower() in (b"content-type", b"content-length")}
    sent.update(headers or {})
    return _json_answer(client, url, sent, limits, method.encode(), body)


def _json_answer(client: Client, url: str, sent: dict[str, str], limits: FetchLimits, method: bytes,
                 body: bytes) -> JSONResponse:
    """Send one request, follow no redirect, and decode its JSON answer (an empty one as {}); HTTPStatusError with
    the error body as `.data` for 4xx/5xx."""
    deadline = time.monotonic() + limits.total_timeout
    response = transfer.send_request(client, url, sent, limits, deadline, method, body)
    try:
        if response.status in transfer.REDIRECT_STATUSES:
            raise FetchError(url, "answered with a redirect, which amplify does not follow here; check the "
                                  "server's address")
        if not 200 <= response.status < 300:
            raise HTTPStatusError(url, response.status, transfer.status_reason(response.status), response.headers,
                                  _error_data(response, url, limits, deadline))
        data = transfer.read_body(response, url, limits, deadline)
    finally:
        response.close()
    try:
        return JSONResponse(url, response.status, response.headers, json.loads(data) if data.strip() else {})
    except (ValueError, RecursionError) as error:
        raise FetchError(url, "did not answer with JSON; is this the right server?") from error


def _error_data(response: Answer, url: str, limits: FetchLimits, deadline: float) -> Any:
    """An error answer's body, decoded as JSON when it is (small, bounded); None otherwise."""
    try:
        return json.loads(transfer.read_body(response, url, replace(limits, max_bytes=transfer.DRAIN_LIMIT_BYTES),
                                             deadline))
    except (FetchError, ValueError, RecursionError):
        return None
