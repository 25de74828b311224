"""Queries for refresh: per-feed HTTP state and storing parsed entries."""

from amplify.store.base import StoreBase


class IngestQueries(StoreBase):
    """Mixed into Store; see amplify.store."""
