"""assets' database: tables (`tables.metadata`) and the repository."""

from services.assets.store.repository import Repository
from services.assets.store.tables import metadata

__all__ = ["Repository", "metadata"]
