"""All of assets' tables on one MetaData (with the runtime's tables): each
area declares its own in `store/<area>_tables.py`."""

from __future__ import annotations

from portal_runtime.db import add_runtime_tables
from services.assets.store import (  # noqa: F401 - each module declares its tables
    common_tables,
    contact_tables,
    equipment_tables,
    parking_tables,
    quote_tables,
    request_tables,
)
from services.assets.store.schema import metadata

add_runtime_tables(metadata)

__all__ = ["metadata"]
