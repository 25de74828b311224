"""Queries for drafts: one per queued item, with a text per network."""

from amplify.store.base import StoreBase


class DraftQueries(StoreBase):
    """Mixed into Store; see amplify.store."""
