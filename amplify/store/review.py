"""Queries for the daily review: listing, filtering, searching and moving items between states."""

from amplify.store.base import StoreBase


class ReviewQueries(StoreBase):
    """Mixed into Store; see amplify.store."""
