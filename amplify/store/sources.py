"""Queries on the followed sources: syncing them from feeds.yml, their health."""

from amplify.store.base import StoreBase


class SourceQueries(StoreBase):
    """Mixed into Store; see amplify.store."""
