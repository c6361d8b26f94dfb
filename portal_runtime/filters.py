"""List filters shared by the services: inclusive `from`/`to` day ranges."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from portal_runtime.dates import parse_iso_date
from portal_runtime.errors import InvalidArgument, Violations


def parse_day(raw: str) -> date | None:
    """`YYYY-MM-DD` (surrounding blanks ignored) as a date, or None when it is
    not a real calendar date."""
    return parse_iso_date(raw.strip())


def day_bounds(raw_from: str, raw_to: str) -> tuple[date | None, date | None]:
    """`from`/`to` (YYYY-MM-DD, inclusive; empty = open); INVALID_ARGUMENT
    (INVALID_DATE_RANGE) naming the bad one(s), or `to` when before `from`."""
    bounds: dict[str, date | None] = {}
    violations = Violations()
    for name, raw in (("from", raw_from), ("to", raw_to)):
        day = parse_day(raw) if raw.strip() else None
        if raw.strip() and day is None:
            violations.add(name, "must be a valid date YYYY-MM-DD")
        bounds[name] = day
    violations.raise_if_any("INVALID_DATE_RANGE")
    start, end = bounds["from"], bounds["to"]
    if start and end and end < start:
        raise InvalidArgument.for_field(
            "to", "must not be before `from`", reason="INVALID_DATE_RANGE"
        )
    return start, end


def day_range(raw_from: str, raw_to: str) -> tuple[datetime | None, datetime | None]:
    """`from`/`to` as in `day_bounds`, as a [start, end) range of UTC datetimes."""
    start, end = day_bounds(raw_from, raw_to)
    return (
        datetime.combine(start, time(), UTC) if start else None,
        datetime.combine(end + timedelta(days=1), time(), UTC) if end else None,
    )
