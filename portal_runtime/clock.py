"""The time: one clock for every service (timezone-aware UTC)."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Now, timezone-aware, in UTC (services inject it as `Deps.clock`)."""
    return datetime.now(UTC)
