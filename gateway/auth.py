"""Fail-fast token check at the edge.

Services verify the token again and are the authority; the gateway only spares
them calls that are certain to be refused (no token, a bad or expired one, a
customer on an operator route).
"""

from __future__ import annotations

import logging
from pathlib import Path

from gateway.errors import HttpError
from portal.common.v1 import options_pb2
from portal_runtime.errors import Unauthenticated
from portal_runtime.tokens import FIRST_LOGIN, Principal, TokenVerifier

log = logging.getLogger(__name__)


class EdgeAuth:
    def __init__(self, key_file: Path, key_pem: bytes | None = None) -> None:
        self._key_file = key_file
        self._verifier = TokenVerifier(key_pem) if key_pem else None
        self._warned = False

    def _load(self) -> TokenVerifier | None:
        # The key may appear after the gateway starts (identity writes it in dev),
        # so a missing file is retried on the next request rather than fatal.
        if self._verifier is None:
            try:
                self._verifier = TokenVerifier.from_file(self._key_file)
            except OSError:
                if not self._warned:
                    log.warning(
                        "no JWT public key at %s: tokens are left to the services",
                        self._key_file,
                    )
                    self._warned = True
        return self._verifier

    def check(
        self, policy: options_pb2.MethodPolicy, authorization: str | None
    ) -> Principal | None:
        """Raises HttpError 401/403 when the call would certainly be refused."""
        if policy.public:
            return None
        scheme, _, token = (authorization or "").partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise HttpError(
                401,
                "this route needs a bearer token",
                reason="TOKEN_MISSING",
                headers={"WWW-Authenticate": "Bearer"},
            )
        verifier = self._load()
        if verifier is None:
            return None
        try:
            principal = verifier.verify(token)
        except Unauthenticated as exc:
            raise HttpError(
                401,
                exc.message,
                reason=exc.reason,
                headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
            ) from None
        if principal.kind == FIRST_LOGIN and not policy.first_login:
            raise HttpError(
                401,
                "set a new password with /v1/auth/first-login first",
                reason="PASSWORD_CHANGE_REQUIRED",
            )
        if policy.operator and not principal.operator:
            raise HttpError(403, "this route is for operators", reason="OPERATOR_ONLY")
        return principal
