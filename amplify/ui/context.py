"""What every page needs for one script run: the open store and the follow list.

`app.main` opens one Store per script run and binds it here; a ContextVar keeps concurrent sessions (each runs
in its own thread) apart. The database is opened fresh each run (cheap), so no connection is shared across
threads. Widget callbacks run before the page script, outside that binding: they use `open_store()`.

The follow list is read once per change of feeds.yml (its modification time, size and inode are the cache key),
so a thousand sources cost nothing on an ordinary rerun.
"""

from collections.abc import Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path

import streamlit as st
from streamlit.navigation.page import StreamlitPage

from amplify import config
from amplify.errors import AmplifyError
from amplify.fetch import FetchLimits
from amplify.follow.errors import FollowListError
from amplify.follow.load import load_follow_list
from amplify.store import Store
from amplify.types import FollowList, Settings

_store: ContextVar[Store] = ContextVar("amplify_store")
_pages: ContextVar[dict[str, StreamlitPage]] = ContextVar("amplify_pages")


@contextmanager
def bound_store() -> Iterator[Store]:
    with open_store() as opened:
        token = _store.set(opened)
        try:
            yield opened
        finally:
            _store.reset(token)


@contextmanager
def open_store() -> Iterator[Store]:
    """A Store of its own, for code that runs outside a page (widget callbacks)."""
    with Store(config.db_path()) as opened:
        yield opened


def store() -> Store:
    return _store.get()


def register_pages(pages: list[StreamlitPage]) -> None:
    """Called by the router, so pages can link to each other by url path (`page_link("sources", ...)`)."""
    _pages.set({page.url_path: page for page in pages})


def page_link(url_path: str, label: str, *, icon: str | None = None,
              query_params: dict[str, str | list[str]] | None = None) -> None:
    """A link to another page of the app; `query_params` opens it with filters set (Today reads them)."""
    st.page_link(_pages.get()[url_path], label=label, icon=icon, query_params=query_params)


def feeds_path() -> Path:
    return config.feeds_path()


@dataclass(frozen=True)
class FollowListState:
    """The follow list as the pages see it: empty (with the reason) when the file is missing or unusable."""

    follow_list: FollowList
    missing: bool = False
    error: str | None = None


def follow_list() -> FollowListState:
    path = feeds_path().resolve()
    try:
        status = path.stat()
    except FileNotFoundError:
        return FollowListState(FollowList((), Settings()), missing=True)
    except OSError as error:
        return FollowListState(FollowList((), Settings()), error=f"{path}: cannot read it ({error.strerror})")
    return _load(str(path), status.st_mtime_ns, status.st_size, status.st_ino)


def fetch_limits() -> FetchLimits:
    """How the app fetches (finding a feed, probing a link): feeds.yml may allow private addresses."""
    return FetchLimits(allow_private_addresses=follow_list().follow_list.settings.allow_private_addresses)


def refresh_post_rules(store: Store) -> None:
    """Read the connected Mastodon server's rules again when they are a day old (`accounts.refresh_rules`: a
    server out of reach keeps the old ones), so the composer counts as the server does. A database that refuses
    writes keeps the old ones too."""
    from amplify.accounts import refresh_rules

    with suppress(AmplifyError):
        refresh_rules(store, limits=fetch_limits())


@st.cache_resource(max_entries=4, show_spinner=False)
def _load(path: str, modified_ns: int, size: int, inode: int) -> FollowListState:
    # The file's time, size and inode are unused here but part of the cache key: an edited file is read again.
    # (amplify writes feeds.yml by replacing it, so even two same-size writes within one clock tick differ.)
    del modified_ns, size, inode
    try:
        return FollowListState(load_follow_list(path))
    except FollowListError as error:
        return FollowListState(FollowList((), Settings()), error=str(error))
