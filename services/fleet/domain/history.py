"""A line's history: what happened to it, newest first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class HistoryEntry:
    line_id: str
    at: datetime
    kind: str  # a RequestKind, or IMPORT
    description: str
    succeeded: bool = True
    failure_reason: str = ""
    request_id: str = ""
