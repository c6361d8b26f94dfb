"""The bootstrap operator: created at start-up when no operator exists."""

from __future__ import annotations

import logging

from sqlalchemy.exc import IntegrityError

from portal_runtime.db import new_id
from services.identity.domain.emails import parse_email
from services.identity.domain.users import User
from services.identity.usecases.common import Deps

log = logging.getLogger(__name__)


async def ensure_bootstrap_operator(deps: Deps, email: str, password: str) -> bool:
    """Creates the first operator from configuration; True when it did. Does
    nothing when an operator already exists or nothing is configured."""
    if not email.strip() or not password:
        return False
    address = parse_email(email, "PORTAL_BOOTSTRAP_OPERATOR_EMAIL")
    problems = deps.policy.problems(password, email=address)
    if problems:
        log.warning("the bootstrap operator's password is weak: %s", "; ".join(problems))
    password_hash = await deps.hasher.hash_async(password)
    now = deps.clock()
    try:
        async with deps.db.transaction() as s:
            if await deps.repo.users.any_operator(s):
                return False
            if await deps.repo.users.by_email(s, address) is not None:
                log.warning("bootstrap operator e-mail %s belongs to a customer user", address)
                return False
            operator = User.operator_account(new_id(), address, password_hash, now)
            await deps.repo.users.add(s, operator)
    except IntegrityError:  # another replica created it at the same time
        return False
    log.info("bootstrap operator %s created", address)
    return True
