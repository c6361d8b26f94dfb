"""The one MetaData of assets' tables (each area declares its own tables in
`store/<area>_tables.py` on it; `store/tables.py` gathers them)."""

from __future__ import annotations

from portal_runtime.db import new_metadata

metadata = new_metadata()
