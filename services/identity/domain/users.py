"""Users and their memberships (access to an entity with a profile)."""

from __future__ import annotations

from enum import StrEnum

from portal_runtime.errors import FailedPrecondition, InvalidArgument, Unauthenticated

MAX_NAME_LENGTH = 100
INVALID_CREDENTIALS = "INVALID_CREDENTIALS"


class UserStatus(StrEnum):
    PENDING = "PENDING"  # invited, created or not yet activated: no own password yet
    ACTIVE = "ACTIVE"
    DISABLED = "DISABLED"


class MembershipStatus(StrEnum):
    ACTIVE = "ACTIVE"
    DISABLED = "DISABLED"


def invalid_credentials() -> Unauthenticated:
    """The one answer for every failed login: wrong password, unknown login,
    pending, disabled or locked account (no account enumeration)."""
    return Unauthenticated(INVALID_CREDENTIALS, "the login or the password is incorrect")


def may_log_in(status: str, has_password: bool, temporary: bool) -> bool:
    """ACTIVE users with a password; PENDING ones only with an operator-given
    temporary password (they must then go through first login)."""
    if not has_password:
        return False
    if status == UserStatus.ACTIVE:
        return True
    return status == UserStatus.PENDING and temporary


def person_name(raw: str, field: str) -> str:
    name = " ".join(raw.split())
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidArgument.for_field(field, f"must be at most {MAX_NAME_LENGTH} characters")
    return name


def ensure_not_self(caller_user_id: str, target_user_id: str, action: str) -> None:
    if caller_user_id == target_user_id:
        raise FailedPrecondition("CANNOT_CHANGE_SELF", f"you cannot {action} your own access")


def display_name(first_name: str, last_name: str, email: str) -> str:
    return " ".join(p for p in (first_name, last_name) if p) or email
