"""What every use case shares: the dependencies."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from portal_runtime.auth import authenticated
from portal_runtime.clock import utcnow
from portal_runtime.db import Database
from portal_runtime.errors import PermissionDenied
from portal_runtime.tokens import Principal
from services.assets.store import Repository

# The operators' mailboxes each kind of request goes to (PORTAL_ASSETS_MAILBOX_<KIND>).
DEFAULT_MAILBOXES = {
    "PARTS": "pieces@portail.localhost",
    "INTERVENTION": "interventions@portail.localhost",
    "EXPERTISE": "expertise@portail.localhost",
    "REMOVAL": "parc@portail.localhost",
    "CHANGES": "relation-client@portail.localhost",
}


DEFAULT_OPERATOR_NAME = "Portail"


@dataclass
class Deps:
    db: Database
    repo: Repository
    clock: Callable[[], datetime] = field(default=utcnow)
    # Service-request kind (or CHANGES for change requests) -> the mailbox.
    mailboxes: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_MAILBOXES))
    # Printed as the issuer on quotes and statements (PORTAL_OPERATOR_NAME, as billing).
    operator_name: str = DEFAULT_OPERATOR_NAME


def require_operator(principal: Principal | None) -> None:
    """Operators only (the interceptor checks it too, from the method's policy)."""
    if not authenticated(principal).operator:
        raise PermissionDenied("OPERATOR_ONLY", "this method is for operators")
