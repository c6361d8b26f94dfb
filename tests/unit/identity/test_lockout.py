from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.identity.domain.lockout import (
    FAILURE_WINDOW,
    LOCK_DURATION,
    MAX_FAILURES,
    LoginThrottle,
)

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def fail(state: LoginThrottle, times: int, start: datetime, step: timedelta) -> LoginThrottle:
    for i in range(times):
        state = state.after_failure(start + i * step)
    return state


def test_five_failures_within_window_lock_for_fifteen_minutes() -> None:
    state = fail(LoginThrottle(), MAX_FAILURES - 1, T0, timedelta(minutes=1))
    assert not state.is_locked(T0 + timedelta(minutes=4))
    last = T0 + timedelta(minutes=4)
    state = state.after_failure(last)
    assert state.is_locked(last)
    assert state.is_locked(last + LOCK_DURATION - timedelta(seconds=1))
    assert not state.is_locked(last + LOCK_DURATION)


def test_failures_spread_beyond_window_do_not_lock() -> None:
    state = fail(LoginThrottle(), 10, T0, FAILURE_WINDOW / 4 + timedelta(seconds=1))
    assert not state.is_locked(T0 + 10 * FAILURE_WINDOW)
    assert state.failures < MAX_FAILURES


def test_failures_during_lock_do_not_extend_it() -> None:
    state = fail(LoginThrottle(), MAX_FAILURES, T0, timedelta(seconds=1))
    until = state.locked_until
    state = fail(state, 20, T0 + timedelta(minutes=1), timedelta(seconds=10))
    assert state.locked_until == until


def test_counting_restarts_after_a_lock_expires() -> None:
    state = fail(LoginThrottle(), MAX_FAILURES, T0, timedelta(seconds=1))
    after = state.locked_until + timedelta(seconds=1)
    state = state.after_failure(after)
    assert not state.is_locked(after)
    assert state.failures == 1


def test_success_clears() -> None:
    assert LoginThrottle.cleared() == LoginThrottle()
    assert not LoginThrottle.cleared().is_locked(T0)
