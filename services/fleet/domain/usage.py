"""A line's consumption over a month, as the operator's usage file gives it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Usage:
    line_id: str
    entity_id: str
    month: str  # YYYY-MM
    voice_minutes: int
    sms: int
    data_mb: int
    out_of_bundle_cents: int
    # Display fields of the line, filled when read.
    number: str = ""
    national_number: str = ""
    user_name: str = ""


@dataclass(frozen=True)
class UsageFilter:
    """A list's criteria: a line-month shows when it reaches any threshold given
    (0: not set); with no threshold, every line-month shows."""

    month: str = ""
    line_id: str = ""
    min_out_of_bundle_cents: int = 0
    min_data_mb: int = 0
    min_voice_minutes: int = 0
