"""One way to compare and store moments: aware UTC datetimes."""

from __future__ import annotations

from datetime import UTC, datetime


def utc(value: datetime | None) -> datetime | None:
    """Aware UTC datetimes everywhere (SQLite gives naive ones back)."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
