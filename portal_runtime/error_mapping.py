"""Domain errors -> gRPC statuses with google.rpc details, in one place.

The details travel in the `grpc-status-details-bin` trailer, and gRPC clients
refuse trailers past a metadata size limit (with RESOURCE_EXHAUSTED, which a
client would take as "retry later"). So a status lists at most
`MAX_LISTED_VIOLATIONS` field violations within `DETAILS_BUDGET_BYTES`, and says
how many there were in all (ErrorInfo metadata `violationsTotal` and
`violationsListed`, and the message). Receivers allow `MAX_METADATA_BYTES`."""

from __future__ import annotations

import grpc
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from portal_runtime.errors import ERROR_DOMAIN, DomainError, FieldViolation

MAX_LISTED_VIOLATIONS = 1_000
MAX_DESCRIPTION_CHARS = 300
DETAILS_BUDGET_BYTES = 200 * 1024
# What channels and servers of the suite accept as metadata (trailers included):
# above the budget once base64-encoded, with room for the other headers.
MAX_METADATA_BYTES = 1024 * 1024
METADATA_SIZE_OPTIONS = (
    ("grpc.max_metadata_size", MAX_METADATA_BYTES),
    ("grpc.absolute_max_metadata_size", MAX_METADATA_BYTES),
)


def listed_violations(violations: list[FieldViolation]) -> list[FieldViolation]:
    """The violations a status carries: the first ones that fit the budget."""
    listed: list[FieldViolation] = []
    size = 0
    for violation in violations[:MAX_LISTED_VIOLATIONS]:
        description = violation.description
        if len(description) > MAX_DESCRIPTION_CHARS:
            description = description[: MAX_DESCRIPTION_CHARS - 1] + "…"
        size += len(violation.field.encode()) + len(description.encode()) + 8
        if size > DETAILS_BUDGET_BYTES:
            break
        listed.append(FieldViolation(violation.field[:MAX_DESCRIPTION_CHARS], description))
    return listed


def to_status(error: DomainError) -> grpc.Status:
    code = getattr(code_pb2, error.code, code_pb2.UNKNOWN)
    listed = listed_violations(error.violations)
    metadata = dict(error.metadata)
    message = error.message
    if len(listed) < len(error.violations):
        total = len(error.violations)
        metadata.update(violationsTotal=str(total), violationsListed=str(len(listed)))
        message = f"{total} problems, the first {len(listed)} listed: {message}"
    details = []
    info = any_pb2.Any()
    info.Pack(
        error_details_pb2.ErrorInfo(reason=error.reason, domain=ERROR_DOMAIN, metadata=metadata)
    )
    details.append(info)
    if listed:
        bad = error_details_pb2.BadRequest(
            field_violations=[
                error_details_pb2.BadRequest.FieldViolation(
                    field=v.field, description=v.description
                )
                for v in listed
            ]
        )
        packed = any_pb2.Any()
        packed.Pack(bad)
        details.append(packed)
    return rpc_status.to_status(
        status_pb2.Status(code=code, message=message[:2000], details=details)
    )


def internal_status(message: str = "internal error") -> grpc.Status:
    return rpc_status.to_status(status_pb2.Status(code=code_pb2.INTERNAL, message=message))
