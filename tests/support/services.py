"""One service started in-process for its bootstrap test: a key pair where the
settings look for it, tokens for customers and operators, and settings whose
NATS is unreachable (events wait in the outbox, as the runtime promises)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from portal_runtime.config import ServiceSettings, load_settings
from portal_runtime.tokens import TokenIssuer, generate_keypair

UNREACHABLE_NATS = "nats://127.0.0.1:1"

Metadata = tuple[tuple[str, str], ...]


def bearer(token: str) -> Metadata:
    return (("authorization", f"Bearer {token}"),)


@dataclass(frozen=True)
class Tokens:
    issuer: TokenIssuer

    def customer(self, entity_id: str, permissions: Iterable[str], user_id: str = "") -> Metadata:
        return bearer(
            self.issuer.issue(
                user_id=user_id or f"user-{entity_id}",
                entity_id=entity_id,
                permissions=list(permissions),
            )
        )

    def operator(self) -> Metadata:
        return bearer(self.issuer.issue(user_id="op", entity_id="", permissions=[], operator=True))


def make_tokens(tmp_path: Path) -> Tokens:
    """Keys under `<tmp_path>/keys/`, where `offline_settings` makes services look."""
    private, public = tmp_path / "keys" / "jwt-private.pem", tmp_path / "keys" / "jwt-public.pem"
    generate_keypair(private, public)
    return Tokens(TokenIssuer(private.read_bytes()))


def offline_settings(service: str, tmp_path: Path, **env: str) -> ServiceSettings:
    """The service on a free port, its files under tmp_path, NATS unreachable."""
    return load_settings(
        service,
        {
            "PORTAL_VAR_DIR": str(tmp_path),
            f"PORTAL_{service.upper()}_ADDR": "127.0.0.1:0",
            "PORTAL_NATS_URL": UNREACHABLE_NATS,
            **env,
        },
    )
