"""Queries for the share gate: link probes, attestations, the append-only share log and retractions."""

from amplify.store.base import StoreBase


class ShareQueries(StoreBase):
    """Mixed into Store; see amplify.store."""
