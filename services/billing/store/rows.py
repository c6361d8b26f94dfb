"""Rows <-> domain dataclasses, for the repositories: a dataclass field and the
column that stores it share their name."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from enum import Enum
from functools import cache
from typing import Any, TypeVar

from sqlalchemy import Row, Table

from portal_runtime.clock import aware

T = TypeVar("T")


@cache
def _field_names(cls: type) -> frozenset[str]:
    return frozenset(field.name for field in dataclasses.fields(cls))


def from_row(cls: type[T], row: Row, **converted: Any) -> T:
    """A `cls` from the row's columns named like its fields, `converted` standing
    in for the raw values that need more than a copy (enums, JSON). Datetimes come
    back aware: SQLite hands them back naive, and everything stored is UTC."""
    names = _field_names(cls)
    values = {
        name: aware(value) if isinstance(value, datetime) else value
        for name, value in row._asdict().items()  # a Row or a named tuple (records)
        if name in names
    }
    return cls(**(values | converted))


def to_row(obj: Any, table: Table, **extra: Any) -> dict[str, Any]:
    """The columns of `table` that the dataclass `obj` fills (enums as their
    values), and `extra` for those it does not."""
    columns = set(table.columns.keys())
    values: dict[str, Any] = {}
    for field in dataclasses.fields(obj):
        if field.name in columns:
            value = getattr(obj, field.name)
            values[field.name] = value.value if isinstance(value, Enum) else value
    return values | extra
