"""Composition root of the identity service: `python -m services.identity`."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from portal.identity.v1 import identity_pb2_grpc
from portal.ordering.v1 import events_pb2 as ordering_events
from portal_runtime.clock import utcnow
from portal_runtime.config import ServiceSettings
from portal_runtime.db import Database
from portal_runtime.server import ServiceApp, main
from portal_runtime.tokens import TokenIssuer, generate_keypair
from services.identity.api import IdentityAdminApi, IdentityApi
from services.identity.common_passwords import CommonPasswords
from services.identity.domain.accounts import UnlockRule, parse_unlock_rule
from services.identity.domain.links import LinkPurpose
from services.identity.domain.passwords import PasswordPolicy
from services.identity.domain.refresh import DEFAULT_ACCESS_TTL_SECONDS
from services.identity.handlers import order_paid_handler, order_submitted_handler
from services.identity.passwords import PasswordHasher
from services.identity.phones import normalise_phone
from services.identity.sessions import SessionIssuer
from services.identity.store import Repository
from services.identity.usecases.common import Deps
from services.identity.usecases.operators import ensure_bootstrap_operator

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"
# The customer web portal (`python -m web`).
DEFAULT_WEB_URL = "http://127.0.0.1:8000"
SERVICE_NAME = "portal.identity.v1.IdentityService"
ADMIN_SERVICE_NAME = "portal.identity.v1.IdentityAdminService"


def private_key_file(settings: ServiceSettings) -> Path:
    default = settings.var_dir / "keys" / "jwt-private.pem"
    return Path(settings.get("JWT_PRIVATE_KEY_FILE", str(default)))


def _ensure_keys(settings: ServiceSettings) -> Path:
    """Development convenience: a fresh key pair when neither file exists
    (`make run` and production provide theirs)."""
    private = private_key_file(settings)
    public = settings.jwt_public_key_file
    if not private.exists() and not public.exists():
        log.warning("no JWT key pair found; generating a development one in %s", private.parent)
        generate_keypair(private, public)
    return private


def build_deps(
    settings: ServiceSettings,
    db: Database,
    *,
    hasher: PasswordHasher | None = None,
    issuer: TokenIssuer | None = None,
    clock: Callable[[], datetime] = utcnow,
) -> Deps:
    repo = Repository()
    ttl = settings.get_int("ACCESS_TOKEN_TTL_SECONDS", DEFAULT_ACCESS_TTL_SECONDS)
    issuer = issuer or TokenIssuer.from_file(_ensure_keys(settings), ttl_seconds=ttl)
    return Deps(
        db=db,
        repo=repo,
        hasher=hasher or PasswordHasher(),
        policy=PasswordPolicy(is_common=CommonPasswords()),
        sessions=SessionIssuer(issuer, repo),
        normalise_phone=normalise_phone,
        clock=clock,
        link_lifetimes=link_lifetimes(settings),
        default_unlock_rule=parse_unlock_rule(
            settings.get("IDENTITY_DEFAULT_UNLOCK_RULE", UnlockRule.FIRST_ORDER.value),
            "PORTAL_IDENTITY_DEFAULT_UNLOCK_RULE",
        ),
        web_url=settings.get("WEB_URL", DEFAULT_WEB_URL),
    )


def link_lifetimes(settings: ServiceSettings) -> dict[LinkPurpose, timedelta]:
    """PORTAL_<PURPOSE>_TTL_SECONDS overrides a link's default lifetime."""
    lifetimes = {}
    for purpose in LinkPurpose:
        seconds = settings.get_int(f"{purpose.name}_TTL_SECONDS", 0)
        if seconds > 0:
            lifetimes[purpose] = timedelta(seconds=seconds)
    return lifetimes


def bootstrap(
    settings: ServiceSettings,
    *,
    db: Database | None = None,
    deps: Deps | None = None,
    **app_options: Any,
) -> ServiceApp:
    """Wires the service; tests may pass their own db, deps, and (through
    app_options) ServiceApp's `verifier` / `bus`."""
    db = db or (deps.db if deps else Database.of(settings))
    deps = deps or build_deps(settings, db)
    app = ServiceApp(settings, db, migrations=MIGRATIONS, **app_options)
    app.add_servicer(
        identity_pb2_grpc.add_IdentityServiceServicer_to_server, IdentityApi(deps), SERVICE_NAME
    )
    app.add_servicer(
        identity_pb2_grpc.add_IdentityAdminServiceServicer_to_server,
        IdentityAdminApi(deps),
        ADMIN_SERVICE_NAME,
    )
    app.add_operations(
        identity_pb2_grpc.add_IdentityOperationsServiceServicer_to_server,
        "portal.identity.v1.IdentityOperationsService",
    )
    app.subscribe(
        {
            ordering_events.OrderSubmitted: order_submitted_handler(deps),
            ordering_events.OrderPaid: order_paid_handler(deps),
        }
    )

    async def create_bootstrap_operator() -> None:
        await ensure_bootstrap_operator(
            deps,
            settings.get("BOOTSTRAP_OPERATOR_EMAIL"),
            settings.get("BOOTSTRAP_OPERATOR_PASSWORD"),
        )

    app.add_startup(create_bootstrap_operator)
    app.deps = deps  # type: ignore[attr-defined]  # tests reach the use cases
    return app


if __name__ == "__main__":
    main(bootstrap, "identity")
