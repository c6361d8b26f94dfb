"""Domain errors: what a rule says went wrong, free of any transport.

Domain code raises these; `portal_runtime.error_mapping` turns them into gRPC
statuses (with `google.rpc.ErrorInfo` and `google.rpc.BadRequest` details) in
one place. This module imports only the standard library so that `domain.py`
modules may use it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

ERROR_DOMAIN = "portail"


@dataclass(frozen=True)
class FieldViolation:
    """One problem with one field: `field` uses the API's JSON names
    (``newPassword``, ``line 12: email``)."""

    field: str
    description: str


@dataclass
class DomainError(Exception):
    """Base of every domain error. `reason` is UPPER_SNAKE and stable: clients may
    branch on it; `message` is for humans."""

    reason: str
    message: str
    violations: list[FieldViolation] = field(default_factory=list)
    metadata: dict[str, str] = field(default_factory=dict)

    # The gRPC code name; subclasses set it. Kept as a string so that this
    # module stays free of grpc.
    code: str = "UNKNOWN"

    def __post_init__(self) -> None:
        super().__init__(self.message)

    def __str__(self) -> str:
        return f"{self.reason}: {self.message}"


@dataclass
class InvalidArgument(DomainError):
    code: str = "INVALID_ARGUMENT"

    @classmethod
    def for_field(
        cls, field_name: str, description: str, reason: str = "INVALID_FIELD"
    ) -> InvalidArgument:
        return cls(
            reason, f"{field_name}: {description}", [FieldViolation(field_name, description)]
        )

    @classmethod
    def for_fields(
        cls, violations: list[FieldViolation], reason: str = "INVALID_FIELDS"
    ) -> InvalidArgument:
        summary = "; ".join(f"{v.field}: {v.description}" for v in violations[:5])
        more = f" (and {len(violations) - 5} more)" if len(violations) > 5 else ""
        return cls(reason, f"invalid request: {summary}{more}", list(violations))


@dataclass
class NotFound(DomainError):
    code: str = "NOT_FOUND"


@dataclass
class AlreadyExists(DomainError):
    code: str = "ALREADY_EXISTS"


@dataclass
class FailedPrecondition(DomainError):
    code: str = "FAILED_PRECONDITION"


@dataclass
class PermissionDenied(DomainError):
    code: str = "PERMISSION_DENIED"


@dataclass
class Unauthenticated(DomainError):
    code: str = "UNAUTHENTICATED"


@dataclass
class Aborted(DomainError):
    code: str = "ABORTED"


@dataclass
class ResourceExhausted(DomainError):
    code: str = "RESOURCE_EXHAUSTED"


class Violations:
    """Collects every field problem of a request before failing, so a client
    learns all of them at once."""

    def __init__(self) -> None:
        self.items: list[FieldViolation] = []

    def add(self, field_name: str, description: str) -> None:
        self.items.append(FieldViolation(field_name, description))

    def __bool__(self) -> bool:
        return bool(self.items)

    def raise_if_any(self, reason: str = "INVALID_FIELDS") -> None:
        if self.items:
            raise InvalidArgument.for_fields(self.items, reason)


def require_field(value: str, field_name: str) -> str:
    """`value` stripped; INVALID_ARGUMENT (REQUIRED_FIELD) naming `field_name`
    when it is empty or blank."""
    if not value or not value.strip():
        raise InvalidArgument.for_field(field_name, "is required", reason="REQUIRED_FIELD")
    return value.strip()
