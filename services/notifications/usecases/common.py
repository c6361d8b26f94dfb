"""What every use case shares: the dependencies."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo

from portal_runtime.clock import utcnow
from portal_runtime.db import Database
from services.notifications.domain.contacts import DEFAULT_SUPPORT_EMAIL, Contact, support_contact
from services.notifications.domain.links import LinkBuilder
from services.notifications.rendering import Renderer
from services.notifications.store import Repository


@dataclass(frozen=True)
class Deps:
    db: Database
    renderer: Renderer
    links: LinkBuilder
    repo: Repository = field(default_factory=Repository)
    # The operators' mailbox told of every new claim.
    support: Contact = field(default_factory=lambda: support_contact(DEFAULT_SUPPORT_EMAIL))
    # Where the dates written in e-mails are read.
    timezone: tzinfo = UTC
    clock: Callable[[], datetime] = field(default=utcnow)
