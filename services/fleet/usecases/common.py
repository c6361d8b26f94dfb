"""What every use case shares: the dependencies."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from portal_runtime.auth import authenticated
from portal_runtime.clock import utcnow
from portal_runtime.db import Database
from portal_runtime.errors import PermissionDenied
from portal_runtime.tokens import Principal
from services.fleet.domain.lines import PhoneNumber
from services.fleet.domain.requests import RetryPolicy
from services.fleet.numbers import parse_number
from services.fleet.provisioning.base import Provisioning
from services.fleet.store import Repository

# Set on a session that accepted a request: the processing wakes after commit.
_REQUESTS_WAITING = "portal_fleet_requests_waiting"


@dataclass
class Deps:
    db: Database
    repo: Repository
    clock: Callable[[], datetime] = field(default=utcnow)
    parse_number: Callable[[str], PhoneNumber | None] = field(default=parse_number)
    # None: requests are accepted and wait (tests of the accepting side).
    provisioning: Provisioning | None = None
    retry: RetryPolicy = field(default_factory=RetryPolicy)


def require_operator(principal: Principal | None) -> None:
    """Operators only (the interceptor checks it too, from the method's policy)."""
    if not authenticated(principal).operator:
        raise PermissionDenied("OPERATOR_ONLY", "this method is for operators")


def wake_after_commit(session: AsyncSession) -> None:
    """Tells the background processing to look for due lines as soon as
    `session` commits (before, it could not see them)."""
    session.info[_REQUESTS_WAITING] = True


def requests_waiting(session: AsyncSession) -> bool:
    return bool(session.info.pop(_REQUESTS_WAITING, False))
