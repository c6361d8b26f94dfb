"""Ordering's database: tables (`tables.metadata`) and the repository."""

from services.ordering.store.repository import Repository
from services.ordering.store.tables import metadata

__all__ = ["Repository", "metadata"]
