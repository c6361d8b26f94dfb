"""Identity's database: tables (`tables.metadata`) and the repository."""

from services.identity.store.repository import Repository
from services.identity.store.tables import metadata

__all__ = ["Repository", "metadata"]
