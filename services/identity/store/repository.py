"""Identity's repository: one repository per aggregate, each taking the
caller's AsyncSession and taking and returning domain objects.

Customer-scoped methods take the entity id from the verified token (passed by
the use cases) and filter on it, so another entity's ids are simply not found.
"""

from __future__ import annotations

from services.identity.store.accounts import AccountsRepository
from services.identity.store.credentials import LinksRepository, SessionsRepository
from services.identity.store.me import MeRepository
from services.identity.store.profiles import ProfilesRepository
from services.identity.store.users import MembershipsRepository, UsersRepository


class Repository:
    def __init__(self) -> None:
        self.accounts = AccountsRepository()
        self.users = UsersRepository()
        self.memberships = MembershipsRepository()
        self.profiles = ProfilesRepository()
        self.links = LinksRepository()
        self.sessions = SessionsRepository()
        self.me = MeRepository()
