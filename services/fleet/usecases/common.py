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
from services.fleet.domain.lines import PhoneNumber
from services.fleet.numbers import parse_number
from services.fleet.store import Repository


@dataclass
class Deps:
    db: Database
    repo: Repository
    clock: Callable[[], datetime] = field(default=utcnow)
    parse_number: Callable[[str], PhoneNumber | None] = field(default=parse_number)


def require_operator(principal: Principal | None) -> None:
    """Operators only (the interceptor checks it too, from the method's policy)."""
    if not authenticated(principal).operator:
        raise PermissionDenied("OPERATOR_ONLY", "this method is for operators")
