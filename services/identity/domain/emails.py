"""E-mail addresses: one normal form (trimmed, lower case) and a strict-enough
syntax check. Logins compare normalised addresses, so they are case-insensitive."""

from __future__ import annotations

import re

from portal_runtime.errors import InvalidArgument

MAX_LENGTH = 254
MAX_LOCAL_LENGTH = 64

_LOCAL = re.compile(r"^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_TLD = re.compile(r"^[a-z]{2,63}$|^xn--[a-z0-9-]{1,59}$")


def email_problem(normalised: str) -> str | None:
    """Why a normalised address is not acceptable, or None."""
    if not normalised:
        return "is required"
    if len(normalised) > MAX_LENGTH:
        return f"must be at most {MAX_LENGTH} characters"
    if normalised.count("@") != 1:
        return "is not a valid e-mail address"
    local, domain = normalised.split("@")
    if not local or len(local) > MAX_LOCAL_LENGTH or not _LOCAL.match(local):
        return "is not a valid e-mail address"
    labels = domain.split(".")
    if len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        return "is not a valid e-mail address"
    if not _TLD.match(labels[-1]):
        return "is not a valid e-mail address"
    return None


def normalise_email(raw: str) -> str:
    """Trimmed and lower-cased (no other rewriting: dots and `+tags` are kept)."""
    return raw.strip().lower()


def parse_email(raw: str, field: str = "email") -> str:
    """The normalised address, or InvalidArgument naming `field`."""
    value = normalise_email(raw)
    problem = email_problem(value)
    if problem:
        raise InvalidArgument.for_field(field, problem, reason="INVALID_EMAIL")
    return value


def local_part(email: str) -> str:
    return normalise_email(email).split("@", 1)[0]
