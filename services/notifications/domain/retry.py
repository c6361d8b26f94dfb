"""How often a failed delivery is tried again, and when it gives up."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff: after the n-th failed attempt, wait delays[n-1]
    (the last delay repeats); after max_attempts attempts the message FAILED."""

    delays: tuple[timedelta, ...] = (
        timedelta(seconds=30),
        timedelta(minutes=2),
        timedelta(minutes=10),
        timedelta(hours=1),
        timedelta(hours=2),
        timedelta(hours=4),
        timedelta(hours=8),
    )
    max_attempts: int = 8

    def __post_init__(self) -> None:
        if self.max_attempts < 1 or not self.delays:
            raise ValueError("a retry policy needs at least one attempt and one delay")

    def delay_after(self, attempts: int) -> timedelta | None:
        """How long to wait after `attempts` failed attempts; None = give up."""
        if attempts >= self.max_attempts:
            return None
        return self.delays[min(max(attempts, 1), len(self.delays)) - 1]

    def schedule(self) -> list[timedelta]:
        """Every wait between attempts, in order (max_attempts - 1 of them)."""
        return [d for n in range(1, self.max_attempts) if (d := self.delay_after(n)) is not None]
