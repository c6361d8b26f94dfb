"""The gateway's settings, read from the environment once by the composition root."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from portal_runtime import config


def _default_backends(env: Mapping[str, str]) -> dict[str, str]:
    """Each domain's service address, as the services themselves read it."""
    return {domain: config.service_addr(domain, env) for domain in config.DEFAULT_PORTS}


@dataclass(frozen=True)
class GatewaySettings:
    addr: str = "127.0.0.1:8080"
    backends: Mapping[str, str] = field(default_factory=lambda: _default_backends({}))
    timeout_seconds: float = 15.0
    trust_forwarded: bool = False
    jwt_public_key_file: Path = Path("var/keys/jwt-public.pem")
    # When set, used instead of the key file (tests).
    jwt_public_key_pem: bytes | None = None
    max_body_bytes: int = 20 * 1024 * 1024
    auth_rate_limit: str = "30/minute"
    health_timeout_seconds: float = 2.0
    # The domains this deployment runs; routes of other domains are not
    # served (404) nor checked by /readyz. None = every domain with routes.
    domains: frozenset[str] | None = None
    # Further request headers passed to the services, e.g. a payment
    # provider's webhook signature header.
    extra_forwarded_headers: tuple[str, ...] = ("portail-signature",)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> GatewaySettings:
        env = os.environ if env is None else env
        return cls(
            addr=env.get("PORTAL_GATEWAY_ADDR", "127.0.0.1:8080"),
            backends=_default_backends(env),
            timeout_seconds=float(env.get("PORTAL_GATEWAY_TIMEOUT_SECONDS", "15")),
            trust_forwarded=env.get("PORTAL_GATEWAY_TRUST_FORWARDED", "") in ("1", "true"),
            jwt_public_key_file=config.jwt_public_key_file(env),
            max_body_bytes=int(env.get("PORTAL_GATEWAY_MAX_BODY_BYTES", str(20 * 1024 * 1024))),
            auth_rate_limit=env.get("PORTAL_GATEWAY_AUTH_RATE_LIMIT", "30/minute"),
            domains=_domains(env.get("PORTAL_GATEWAY_SERVICES", "")),
            extra_forwarded_headers=_names(
                env.get("PORTAL_GATEWAY_FORWARD_HEADERS", "portail-signature")
            ),
        )

    def backend_addr(self, domain: str) -> str:
        """Address of a domain's service; a domain the runtime has no port for fails
        loudly (its routes would otherwise call nowhere)."""
        try:
            return self.backends[domain]
        except KeyError:
            raise LookupError(
                f"no address for domain {domain!r}: give it a port in portal_runtime.config"
            ) from None


def _domains(raw: str) -> frozenset[str] | None:
    names = frozenset(name.strip() for name in raw.split(",") if name.strip())
    return names or None


def _names(raw: str) -> tuple[str, ...]:
    return tuple(name.strip().lower() for name in raw.split(",") if name.strip())
