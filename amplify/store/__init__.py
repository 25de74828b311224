"""The store: the only package that speaks SQL.

`Store` is one SQLite database (WAL, foreign keys on, numbered migrations in `schema.py`). Its methods are grouped by
area in the modules beside this one and mixed in here; `base.py` holds the connection, transactions and the event
log. docs/database.md documents every table and column.
"""

from amplify.store.audit import AuditQueries
from amplify.store.base import StoreBase, StoreError
from amplify.store.drafts import DraftQueries
from amplify.store.follows import FollowImportQueries
from amplify.store.ingest import IngestQueries
from amplify.store.reach import ReachQueries
from amplify.store.review import ReviewQueries
from amplify.store.shares import ShareQueries
from amplify.store.sources import SourceQueries

__all__ = ["Store", "StoreError"]


class Store(SourceQueries, FollowImportQueries, IngestQueries, ReviewQueries, DraftQueries, ShareQueries,
            AuditQueries, ReachQueries, StoreBase):
    """An open amplify database. Use as a context manager, or call `close()`."""
