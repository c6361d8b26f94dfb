"""Users and their memberships (access to an entity with a profile)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from portal_runtime.errors import (
    AlreadyExists,
    FailedPrecondition,
    InvalidArgument,
    Unauthenticated,
)

from .lockout import LoginThrottle

MAX_NAME_LENGTH = 100
INVALID_CREDENTIALS = "INVALID_CREDENTIALS"


class UserStatus(StrEnum):
    PENDING = "PENDING"  # invited, created or not yet activated: no own password yet
    ACTIVE = "ACTIVE"
    DISABLED = "DISABLED"


class MembershipStatus(StrEnum):
    ACTIVE = "ACTIVE"
    DISABLED = "DISABLED"


def invalid_credentials() -> Unauthenticated:
    """The one answer for every failed login: wrong password, unknown login,
    pending, disabled or locked account (no account enumeration)."""
    return Unauthenticated(INVALID_CREDENTIALS, "the login or the password is incorrect")


def may_log_in(status: str, has_password: bool, temporary: bool) -> bool:
    """ACTIVE users with a password; PENDING ones only with an operator-given
    temporary password (they must then go through first login)."""
    if not has_password:
        return False
    if status == UserStatus.ACTIVE:
        return True
    return status == UserStatus.PENDING and temporary


def person_name(raw: str, field: str) -> str:
    name = " ".join(raw.split())
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidArgument.for_field(field, f"must be at most {MAX_NAME_LENGTH} characters")
    return name


def ensure_not_self(caller_user_id: str, target_user_id: str, action: str) -> None:
    if caller_user_id == target_user_id:
        raise FailedPrecondition("CANNOT_CHANGE_SELF", f"you cannot {action} your own access")


def display_name(first_name: str, last_name: str, email: str) -> str:
    return " ".join(p for p in (first_name, last_name) if p) or email


def epoch_seconds(now: datetime) -> int:
    return int(now.timestamp())


@dataclass(frozen=True)
class Recipient:
    """Who an e-mail about a fact goes to, in which language."""

    email: str
    name: str
    language: str


@dataclass(frozen=True)
class PasswordChanged:
    entity_id: str
    user_id: str
    recipient: Recipient


@dataclass
class User:
    id: str
    email: str  # normalised
    language: str
    created_at: datetime
    first_name: str = ""
    last_name: str = ""
    secondary_email: str = ""
    # The defaults are a customer who has not set a password of their own yet.
    status: UserStatus = UserStatus.PENDING
    operator: bool = False
    password_hash: str | None = None
    password_temporary: bool = False
    password_changed_at: datetime | None = None
    # Access tokens issued before this (epoch seconds) are void on identity's
    # own methods (password change or reset, disabling).
    sessions_valid_after: int = 0
    last_login_at: datetime | None = None
    throttle: LoginThrottle = field(default_factory=LoginThrottle)

    @staticmethod
    def operator_account(user_id: str, email: str, password_hash: str, now: datetime) -> User:
        """The bootstrap operator, from configuration."""
        return User(
            id=user_id,
            email=email,
            language="fr",
            created_at=now,
            first_name="Operator",
            status=UserStatus.ACTIVE,
            operator=True,
            password_hash=password_hash,
        )

    @property
    def display_name(self) -> str:
        return display_name(self.first_name, self.last_name, self.email)

    def recipient(self, fallback_language: str = "") -> Recipient:
        return Recipient(self.email, self.display_name, self.language or fallback_language)

    def secondary_recipient(self, fallback_language: str = "") -> Recipient | None:
        """Their secondary address (given at first login), if any."""
        if not self.secondary_email:
            return None
        return Recipient(
            self.secondary_email, self.display_name, self.language or fallback_language
        )

    # ---- what the user may do ------------------------------------------------
    def may_log_in(self) -> bool:
        return may_log_in(self.status, bool(self.password_hash), self.password_temporary)

    def is_locked(self, now: datetime) -> bool:
        return self.throttle.is_locked(now)

    @property
    def is_active(self) -> bool:
        return self.status == UserStatus.ACTIVE

    def awaits_own_password(self) -> bool:
        """Activation and invitation links go to those who never set a password
        (not to those holding an operator-given temporary one)."""
        return self.status == UserStatus.PENDING and not self.password_temporary

    def may_use_magic_link(self) -> bool:
        # Operators log in with their password only.
        return self.is_active and not self.operator

    def may_connect_first_by_link(self) -> bool:
        """An operator's first-connection link opens a restricted session for a
        customer who has no password at all yet (never for anyone else)."""
        return self.status == UserStatus.PENDING and not self.password_hash and not self.operator

    def must_set_password(self) -> bool:
        """Holds an operator-given temporary password, or none at all (first
        connection by link): first login is where they set their own."""
        return self.status == UserStatus.PENDING and (
            self.password_temporary or not self.password_hash
        )

    def ensure_may_get_temporary_password(self) -> None:
        """A welcome letter's temporary password replaces the previous one; it
        never replaces a password the user chose."""
        if self.operator or self.status != UserStatus.PENDING:
            raise FailedPrecondition(
                "USER_HAS_OWN_PASSWORD",
                "this user has set a password of their own: they can ask for a reset link "
                "with 'forgot password'",
            )

    # ---- state changes -------------------------------------------------------
    def give_temporary_password(self, password_hash: str, now: datetime) -> None:
        """An operator-created user: the password is changed at first login."""
        self.password_hash = password_hash
        self.password_temporary = True
        self.sessions_valid_after = epoch_seconds(now)

    def record_failed_login(self, now: datetime) -> None:
        self.throttle = self.throttle.after_failure(now)

    def record_password_login(self, now: datetime, rehashed: str | None = None) -> None:
        """A login with the right password; `rehashed` upgrades the stored hash
        to the current argon2 parameters."""
        self.last_login_at = now
        if rehashed:
            self.password_hash = rehashed
        self.throttle = LoginThrottle.cleared()

    def record_login(self, now: datetime) -> None:
        self.last_login_at = now

    def activate(self, password_hash: str, now: datetime) -> None:
        """The user's own first password (activation link, first login)."""
        self.password_hash = password_hash
        self.password_temporary = False
        self.password_changed_at = now
        self.status = UserStatus.ACTIVE
        self.last_login_at = now

    def complete_first_login(
        self, email: str, secondary_email: str, password_hash: str, now: datetime
    ) -> None:
        self.email = email
        self.secondary_email = secondary_email
        self.activate(password_hash, now)

    def change_password(self, password_hash: str, now: datetime, entity_id: str) -> PasswordChanged:
        """Ends every session issued before `now`."""
        self.password_hash = password_hash
        self.password_changed_at = now
        self.sessions_valid_after = epoch_seconds(now)
        return PasswordChanged(entity_id, self.id, self.recipient())

    def reset_password(self, password_hash: str, now: datetime, entity_id: str) -> PasswordChanged:
        """A password set with a reset or invitation link: activates an invited
        user, clears a lockout, ends every session issued before `now`."""
        fact = self.change_password(password_hash, now, entity_id)
        self.password_temporary = False
        self.status = UserStatus.ACTIVE
        self.throttle = LoginThrottle.cleared()
        return fact


@dataclass
class Membership:
    """A user's access to one entity; (entity_id, user_id) identifies it."""

    user_id: str
    entity_id: str
    profile_id: str
    created_at: datetime
    status: MembershipStatus = MembershipStatus.ACTIVE
    invited_by: str | None = None

    @property
    def is_active(self) -> bool:
        return self.status == MembershipStatus.ACTIVE

    def reactivate(self, profile_id: str) -> None:
        """Access given again to someone who once had it."""
        if self.is_active:
            raise AlreadyExists("USER_ALREADY_MEMBER", "this person already has access")
        self.status = MembershipStatus.ACTIVE
        self.profile_id = profile_id

    def change_profile(self, profile_id: str) -> None:
        self.profile_id = profile_id

    def disable(self) -> None:
        self.status = MembershipStatus.DISABLED


@dataclass(frozen=True)
class Member:
    """A user as seen from one entity."""

    user: User
    membership: Membership

    @property
    def status(self) -> UserStatus:
        if self.membership.status == MembershipStatus.DISABLED:
            return UserStatus.DISABLED
        return self.user.status
