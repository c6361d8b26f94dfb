"""Billing's database: tables (`tables.metadata`) and the repository."""

from services.billing.store.repository import Repository
from services.billing.store.tables import metadata

__all__ = ["Repository", "metadata"]
