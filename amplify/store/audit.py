"""Queries behind the voice audit: shares joined with what sources say of themselves, at query time."""

from amplify.store.base import StoreBase


class AuditQueries(StoreBase):
    """Mixed into Store; see amplify.store."""
