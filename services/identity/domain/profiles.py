"""Permissions and profiles (named sets of permissions).

Built-in profiles are shared by every entity, have stable ids and cannot be
changed; entities define their own custom profiles once delegation is unlocked.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from portal_runtime.errors import FailedPrecondition, InvalidArgument, Violations

PERMISSIONS: tuple[str, ...] = (
    "orders.read",
    "orders.write",
    "billing.read",
    "billing.pay",
    "fleet.read",
    "fleet.write",
    "assets.read",
    "assets.write",
    # Accepting a quote commits the company to pay: a permission of its own.
    "quotes.accept",
    "users.manage",
    "account.manage",
)
KNOWN_PERMISSIONS = frozenset(PERMISSIONS)

MAX_NAME_LENGTH = 64


@dataclass(frozen=True)
class Profile:
    id: str
    name: str
    permissions: frozenset[str]
    built_in: bool = False
    entity_id: str = ""
    created_at: datetime | None = None

    def edited(self, name: str | None, permissions: frozenset[str] | None) -> Profile:
        """The profile renamed and/or given other permissions (None: unchanged)."""
        ensure_editable(self)
        return replace(
            self,
            name=self.name if name is None else name,
            permissions=self.permissions if permissions is None else permissions,
        )


ADMIN_PROFILE_ID = "builtin-admin"

BUILT_IN_PROFILES: tuple[Profile, ...] = (
    Profile(ADMIN_PROFILE_ID, "Administrator", KNOWN_PERMISSIONS, built_in=True),
    Profile(
        "builtin-orders",
        "Orders",
        frozenset({"orders.read", "orders.write"}),
        built_in=True,
    ),
    Profile(
        "builtin-billing", "Billing", frozenset({"billing.read", "billing.pay"}), built_in=True
    ),
    Profile("builtin-fleet", "Fleet", frozenset({"fleet.read", "fleet.write"}), built_in=True),
    Profile(
        "builtin-assets",
        "Assets",
        frozenset({"assets.read", "assets.write", "quotes.accept"}),
        built_in=True,
    ),
    Profile(
        "builtin-readonly",
        "Read-only",
        frozenset(p for p in PERMISSIONS if p.endswith(".read")),
        built_in=True,
    ),
)
BUILT_IN_BY_ID = {p.id: p for p in BUILT_IN_PROFILES}


def built_in(profile_id: str) -> Profile | None:
    return BUILT_IN_BY_ID.get(profile_id)


def is_built_in_id(profile_id: str) -> bool:
    return profile_id in BUILT_IN_BY_ID


def validate_profile_name(raw: str, field: str = "name") -> str:
    name = " ".join(raw.split())
    if not name:
        raise InvalidArgument.for_field(field, "is required", reason="REQUIRED_FIELD")
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidArgument.for_field(field, f"must be at most {MAX_NAME_LENGTH} characters")
    if any(name.casefold() == p.name.casefold() for p in BUILT_IN_PROFILES):
        raise InvalidArgument.for_field(
            field, "is the name of a built-in profile", reason="PROFILE_NAME_RESERVED"
        )
    return name


def validate_permissions(raw: Iterable[str], field: str = "permissions") -> frozenset[str]:
    """Known permissions only, at least one; duplicates collapse."""
    values = [p.strip() for p in raw]
    violations = Violations()
    if not values:
        violations.add(field, "at least one permission is required")
    for index, value in enumerate(values):
        if value not in KNOWN_PERMISSIONS:
            violations.add(f"{field}[{index}]", f"unknown permission {value!r}")
    violations.raise_if_any("UNKNOWN_PERMISSION" if values else "REQUIRED_FIELD")
    return frozenset(values)


def ensure_editable(profile: Profile) -> None:
    if profile.built_in:
        raise FailedPrecondition("PROFILE_BUILT_IN", "built-in profiles cannot be changed")


def ensure_unused(profile: Profile, members_using: int) -> None:
    if members_using > 0:
        raise FailedPrecondition(
            "PROFILE_IN_USE",
            f"{members_using} manager(s) still use this profile; give them another one first",
        )
