"""Access tokens: short-lived JWTs signed by identity with an Ed25519 key.

Every service verifies them with the public key, so no service has to trust the
gateway. Identity alone holds the private key and issues them.
"""

from __future__ import annotations

import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import jwt
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from portal_runtime.errors import Unauthenticated

ALGORITHM = "EdDSA"
ISSUER = "portail-identity"
AUDIENCE = "portail"

# Token kinds: a full access token, or the restricted one a login with a
# temporary password returns, good only for the first-login method.
ACCESS = "access"
FIRST_LOGIN = "first_login"


@dataclass(frozen=True)
class Principal:
    """The verified caller: who, acting for which entity, allowed to do what."""

    user_id: str
    entity_id: str
    permissions: frozenset[str] = field(default_factory=frozenset)
    operator: bool = False
    session_id: str = ""
    kind: str = ACCESS
    token_id: str = ""
    issued_at: int = 0
    expires_at: int = 0

    def has(self, permission: str) -> bool:
        return permission in self.permissions


# Tokens whose signature was already checked, per verifier (gateway, service).
VERIFIED_CACHE_SIZE = 4096


class TokenVerifier:
    def __init__(
        self,
        public_key_pem: bytes,
        *,
        leeway_seconds: int = 10,
        session_ended: Callable[[str], bool] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        # Parsed once: PyJWT would parse the PEM again on every call.
        self._key = load_pem_public_key(public_key_pem)
        self._leeway = leeway_seconds
        # Whether identity ended a session before its tokens expire
        # (portal_runtime.revocation); None: signature and expiry only.
        self.session_ended = session_ended
        self._clock = clock
        # A token is immutable and signed: once its signature and claims are
        # checked, the same string needs only its expiry and session checked
        # again (a client sends one token many times in its ~15 minutes).
        self._verified: OrderedDict[str, Principal] = OrderedDict()

    @classmethod
    def from_file(cls, path: str | Path) -> TokenVerifier:
        return cls(Path(path).read_bytes())

    def verify(self, token: str) -> Principal:
        principal = self._verified.get(token)
        if principal is None:
            principal = self._decode(token)
            self._verified[token] = principal
            if len(self._verified) > VERIFIED_CACHE_SIZE:
                self._verified.popitem(last=False)
        elif principal.expires_at <= self._clock() - self._leeway:
            # PyJWT's own rule: expired once exp <= now - leeway.
            del self._verified[token]
            raise Unauthenticated("TOKEN_EXPIRED", "the access token has expired")
        session_id = principal.session_id
        if session_id and self.session_ended is not None and self.session_ended(session_id):
            raise Unauthenticated("SESSION_ENDED", "this session has ended; log in again")
        return principal

    def _decode(self, token: str) -> Principal:
        try:
            claims = jwt.decode(
                token,
                self._key,
                algorithms=[ALGORITHM],
                audience=AUDIENCE,
                issuer=ISSUER,
                leeway=self._leeway,
                options={"require": ["exp", "iat", "sub", "typ"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthenticated("TOKEN_EXPIRED", "the access token has expired") from exc
        except jwt.PyJWTError as exc:
            raise Unauthenticated("TOKEN_INVALID", "the access token is not valid") from exc
        return Principal(
            user_id=str(claims["sub"]),
            entity_id=str(claims.get("ent", "")),
            permissions=frozenset(claims.get("perms", [])),
            operator=bool(claims.get("op", False)),
            session_id=str(claims.get("sid", "")),
            kind=str(claims["typ"]),
            token_id=str(claims.get("jti", "")),
            issued_at=int(claims["iat"]),
            expires_at=int(claims["exp"]),
        )


class TokenIssuer:
    def __init__(self, private_key_pem: bytes, *, ttl_seconds: int = 900) -> None:
        self._key = private_key_pem
        self.ttl_seconds = ttl_seconds

    @classmethod
    def from_file(cls, path: str | Path, *, ttl_seconds: int = 900) -> TokenIssuer:
        return cls(Path(path).read_bytes(), ttl_seconds=ttl_seconds)

    def issue(
        self,
        *,
        user_id: str,
        entity_id: str,
        permissions: frozenset[str] | set[str] | list[str],
        operator: bool = False,
        session_id: str = "",
        kind: str = ACCESS,
        ttl_seconds: int | None = None,
        now: float | None = None,
    ) -> str:
        issued = int(now if now is not None else time.time())
        claims = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": user_id,
            "ent": entity_id,
            "perms": sorted(permissions),
            "op": operator,
            "sid": session_id,
            "typ": kind,
            "jti": uuid.uuid4().hex,
            "iat": issued,
            "exp": issued + (ttl_seconds if ttl_seconds is not None else self.ttl_seconds),
        }
        return jwt.encode(claims, self._key, algorithm=ALGORITHM)


def generate_keypair(private_path: Path, public_path: Path) -> None:
    """Writes a new Ed25519 key pair as PEM files (dev and tests; production
    mounts its keys from a secret)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.generate()
    private_path.parent.mkdir(parents=True, exist_ok=True)
    private_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    private_path.chmod(0o600)
    public_path.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
