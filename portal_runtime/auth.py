"""The caller of the current RPC, and the check of each method's declared policy."""

from __future__ import annotations

from collections.abc import Mapping
from contextvars import ContextVar

from portal.common.v1 import options_pb2
from portal_runtime.errors import PermissionDenied, Unauthenticated
from portal_runtime.tokens import FIRST_LOGIN, Principal, TokenVerifier

_principal: ContextVar[Principal | None] = ContextVar("portal_principal", default=None)
_metadata: ContextVar[Mapping[str, str] | None] = ContextVar("portal_metadata", default=None)


def current_principal() -> Principal | None:
    """The verified caller (None on a public method called without a token)."""
    return _principal.get()


def require_principal() -> Principal:
    return authenticated(_principal.get())


def authenticated(principal: Principal | None) -> Principal:
    """The caller; UNAUTHENTICATED (TOKEN_MISSING) when there is none."""
    if principal is None:
        raise Unauthenticated("TOKEN_MISSING", "this method needs a bearer token")
    return principal


def customer_entity(principal: Principal | None) -> str:
    """The entity the caller acts for (from the verified token): UNAUTHENTICATED
    (TOKEN_MISSING) without a caller, PERMISSION_DENIED (ENTITY_REQUIRED) for a
    caller acting for no customer account (an operator)."""
    principal = authenticated(principal)
    if not principal.entity_id:
        raise PermissionDenied("ENTITY_REQUIRED", "this method acts for a customer account")
    return principal.entity_id


def request_metadata() -> Mapping[str, str]:
    """The call's metadata, lower-case keys (x-client-ip, x-request-id...)."""
    return _metadata.get() or {}


def bind_call(principal: Principal | None, metadata: Mapping[str, str]) -> None:
    _principal.set(principal)
    _metadata.set(metadata)


def bearer_token(metadata: Mapping[str, str]) -> str:
    header = metadata.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return ""
    return token.strip()


def authorize(
    policy: options_pb2.MethodPolicy, metadata: Mapping[str, str], verifier: TokenVerifier
) -> Principal | None:
    """Verifies the token against the method's policy; raises a domain error."""
    token = bearer_token(metadata)
    if not token:
        if policy.public:
            return None
        raise Unauthenticated("TOKEN_MISSING", "this method needs a bearer token")
    principal = verifier.verify(token)
    if principal.kind == FIRST_LOGIN and not policy.first_login:
        raise Unauthenticated(
            "PASSWORD_CHANGE_REQUIRED", "set a new password with /v1/auth/first-login first"
        )
    if policy.first_login and principal.kind != FIRST_LOGIN and not policy.public:
        # First-login is for temporary passwords only.
        raise PermissionDenied("NOT_A_FIRST_LOGIN", "this token is not a first-login token")
    if policy.public:
        return principal
    if policy.operator and not principal.operator:
        raise PermissionDenied("OPERATOR_ONLY", "this method is for operators")
    if policy.permission and not principal.has(policy.permission):
        raise PermissionDenied(
            "MISSING_PERMISSION",
            f"this method needs the permission {policy.permission}",
            metadata={"permission": policy.permission},
        )
    return principal
