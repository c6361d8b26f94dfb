"""Fleet's database: tables (`tables.metadata`) and the repository."""

from services.fleet.store.repository import Repository
from services.fleet.store.tables import metadata

__all__ = ["Repository", "metadata"]
