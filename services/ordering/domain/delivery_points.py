"""Delivery points: where the parcels of cards go.

`validate_delivery_point` checks and normalises the fields; a `DeliveryPoint`
takes them and guards its own deletion."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from portal_runtime.errors import AlreadyExists, FailedPrecondition, Violations

NAME_MAX = 100
CODE_MAX = 32
ADDRESS_LINE_MAX = 200
_CODE = re.compile(r"^[A-Za-z0-9_-]+$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")


@dataclass(frozen=True)
class Address:
    line1: str
    postal_code: str
    city: str
    country: str
    line2: str = ""


@dataclass(frozen=True)
class DeliveryPointFields:
    name: str
    code: str
    address: Address
    contact_name: str = ""
    contact_phone: str = ""


@dataclass
class DeliveryPoint:
    id: str
    entity_id: str
    name: str
    code: str  # upper-case, unique among the entity's live points
    address: Address
    contact_name: str
    contact_phone: str
    created_at: datetime
    deleted_at: datetime | None = None

    def change(self, fields: DeliveryPointFields) -> None:
        """New values, checked by `validate_delivery_point` (code unique)."""
        self.name = fields.name
        self.code = fields.code
        self.address = fields.address
        self.contact_name = fields.contact_name
        self.contact_phone = fields.contact_phone

    def delete(self, now: datetime, *, used_by_open_order: bool) -> None:
        """Soft delete: past orders keep their point."""
        ensure_deletable(used_by_open_order=used_by_open_order)
        self.deleted_at = now


def new_delivery_point(
    *, id: str, entity_id: str, fields: DeliveryPointFields, now: datetime
) -> DeliveryPoint:
    return DeliveryPoint(
        id=id,
        entity_id=entity_id,
        name=fields.name,
        code=fields.code,
        address=fields.address,
        contact_name=fields.contact_name,
        contact_phone=fields.contact_phone,
        created_at=now,
    )


def _clean(raw: str) -> str:
    return " ".join(raw.split())


def normalise_code(raw: str) -> str:
    """Codes compare case-insensitively: stored upper-case, trimmed."""
    return raw.strip().upper()


def validate_delivery_point(
    *,
    name: str,
    code: str,
    address: Address,
    contact_name: str = "",
    contact_phone: str = "",
) -> DeliveryPointFields:
    """The normalised fields, or InvalidArgument listing every problem. Code
    uniqueness is the caller's (see `ensure_code_unique`)."""
    clean = Address(
        line1=_clean(address.line1),
        line2=_clean(address.line2),
        postal_code=_clean(address.postal_code),
        city=_clean(address.city),
        country=address.country.strip().upper(),
    )
    values = DeliveryPointFields(
        name=_clean(name),
        code=normalise_code(code),
        address=clean,
        contact_name=_clean(contact_name),
        contact_phone=_clean(contact_phone),
    )
    violations = Violations()
    if not values.name:
        violations.add("name", "is required")
    elif len(values.name) > NAME_MAX:
        violations.add("name", f"must be at most {NAME_MAX} characters")
    if not values.code:
        violations.add("code", "is required")
    elif len(values.code) > CODE_MAX or not _CODE.match(values.code):
        violations.add("code", f"must be 1 to {CODE_MAX} letters, digits, '-' or '_'")
    for field_name, value in (
        ("address.line1", clean.line1),
        ("address.postalCode", clean.postal_code),
        ("address.city", clean.city),
    ):
        if not value:
            violations.add(field_name, "is required")
        elif len(value) > ADDRESS_LINE_MAX:
            violations.add(field_name, f"must be at most {ADDRESS_LINE_MAX} characters")
    if len(clean.line2) > ADDRESS_LINE_MAX:
        violations.add("address.line2", f"must be at most {ADDRESS_LINE_MAX} characters")
    if not clean.country:
        violations.add("address.country", "is required")
    elif not _COUNTRY.match(clean.country):
        violations.add("address.country", "must be an ISO 3166-1 alpha-2 code, e.g. FR")
    violations.raise_if_any()
    return values


def ensure_code_unique(code: str, *, taken: bool) -> None:
    """`taken`: another point of the same entity already uses this code."""
    if taken:
        raise AlreadyExists(
            "DELIVERY_POINT_CODE_TAKEN",
            f"another delivery point already uses the code {code!r}",
        )


def ensure_deletable(*, used_by_open_order: bool) -> None:
    if used_by_open_order:
        raise FailedPrecondition(
            "DELIVERY_POINT_IN_USE",
            "an open order is delivered to this point; deliver or cancel it first",
        )
