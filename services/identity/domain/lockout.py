"""Login lockout: too many failed passwords in a window lock the account for a
while.

While locked, a login is refused WITHOUT checking the password, with the same
INVALID_CREDENTIALS answer as a wrong password. Answering differently (e.g.
ACCOUNT_LOCKED once the right password is given) would turn the lockout into an
oracle: an attacker could keep guessing during the lock and learn when a guess
is right. Operators see the lock in the logs and in the user's `locked_until`;
the legitimate user simply succeeds once the lock has expired (or resets the
password, which clears it). Failed attempts during a lock do not extend it, so
an attacker cannot keep an account locked beyond one period per burst.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)
LOCK_DURATION = timedelta(minutes=15)


@dataclass(frozen=True)
class LoginThrottle:
    failures: int = 0
    first_failure_at: datetime | None = None
    locked_until: datetime | None = None

    def is_locked(self, now: datetime) -> bool:
        return self.locked_until is not None and now < self.locked_until

    def after_failure(self, now: datetime) -> LoginThrottle:
        """The state after one more failed password at `now`."""
        if self.is_locked(now):
            return self
        if self.first_failure_at is None or now - self.first_failure_at >= FAILURE_WINDOW:
            state = LoginThrottle(failures=1, first_failure_at=now, locked_until=None)
        else:
            state = replace(self, failures=self.failures + 1, locked_until=None)
        if state.failures >= MAX_FAILURES:
            return LoginThrottle(
                failures=0, first_failure_at=None, locked_until=now + LOCK_DURATION
            )
        return state

    @staticmethod
    def cleared() -> LoginThrottle:
        """After a successful login or a password reset."""
        return LoginThrottle()
