"""The password policy (NIST SP 800-63B style: length, not a common password,
no composition rules).

The rule needs two things the domain cannot do itself, so they come in as
callables: `is_common(password)` (the common-password list adapter) and
`matches_current(password)` (verifies against the stored argon2 hash).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass

from portal_runtime.errors import InvalidArgument, Violations

from .emails import local_part

MIN_LENGTH = 12
MAX_LENGTH = 128
# The e-mail's local part only counts when it is long enough to mean something.
MIN_LOCAL_PART_CHECKED = 3

TEMPORARY_PASSWORD_LENGTH = 16
# No look-alikes (0/O, 1/l/I) in passwords read from a screen and typed again.
_TEMPORARY_ALPHABET = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


@dataclass(frozen=True)
class PasswordPolicy:
    is_common: Callable[[str], bool]

    def problems(
        self,
        password: str,
        *,
        email: str | None = None,
        matches_current: Callable[[str], bool] | None = None,
    ) -> list[str]:
        """Every reason the password is refused (empty when it is fine)."""
        found: list[str] = []
        if len(password) < MIN_LENGTH:
            found.append(f"must be at least {MIN_LENGTH} characters")
            # Shorter passwords are refused anyway; checking the list would
            # only add noise to the answer.
            return found
        if len(password) > MAX_LENGTH:
            found.append(f"must be at most {MAX_LENGTH} characters")
            return found
        if self.is_common(password):
            found.append("is too common; choose a less predictable password")
        if email:
            local = local_part(email)
            if len(local) >= MIN_LOCAL_PART_CHECKED and local in password.lower():
                found.append("must not contain your e-mail address")
        if matches_current is not None and matches_current(password):
            found.append("must differ from the current password")
        return found

    def check(
        self,
        password: str,
        *,
        field: str = "password",
        email: str | None = None,
        matches_current: Callable[[str], bool] | None = None,
    ) -> None:
        """Raises InvalidArgument (reason WEAK_PASSWORD) listing every problem."""
        violations = Violations()
        for problem in self.problems(password, email=email, matches_current=matches_current):
            violations.add(field, problem)
        violations.raise_if_any("WEAK_PASSWORD")


def require_password(password: str, field: str) -> None:
    if not password:
        raise InvalidArgument.for_field(field, "is required", reason="REQUIRED_FIELD")


def generate_temporary_password() -> str:
    """A random password an operator hands over once (about 92 bits)."""
    return "".join(secrets.choice(_TEMPORARY_ALPHABET) for _ in range(TEMPORARY_PASSWORD_LENGTH))
