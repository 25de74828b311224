"""What every page needs for one script run: the open store and where the follow list lives.

`app.main` opens one Store per script run and binds it here; a ContextVar keeps concurrent sessions (each runs in
its own thread) apart. The database is opened fresh each run (cheap), so no connection is shared across threads.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

from amplify import config
from amplify.store import Store

_store: ContextVar[Store] = ContextVar("amplify_store")


@contextmanager
def bound_store() -> Iterator[Store]:
    with Store(config.db_path()) as opened:
        token = _store.set(opened)
        try:
            yield opened
        finally:
            _store.reset(token)


def store() -> Store:
    return _store.get()


def feeds_path() -> Path:
    return config.feeds_path()
