"""Keeps `make run`'s processes running: a process that exits on its own is
started again after a backoff that doubles with each quick crash; one that keeps
crashing (more than `max_crashes` within `window_seconds`) stops the suite, since
restarting it again would only hide the fault."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

log = logging.getLogger("portail.run")


@dataclass
class CrashPolicy:
    """When to restart a crashed process, and when to give up on it."""

    first_delay: float = 1.0
    max_delay: float = 30.0
    max_crashes: int = 5
    window_seconds: float = 120.0
    crashes: dict[str, list[float]] = field(default_factory=dict)

    def on_crash(self, name: str, at: float) -> float | None:
        """Seconds to wait before restarting `name`, or None to give up."""
        recent = [t for t in self.crashes.get(name, []) if at - t < self.window_seconds]
        recent.append(at)
        self.crashes[name] = recent
        if len(recent) > self.max_crashes:
            return None
        return min(self.first_delay * 2 ** (len(recent) - 1), self.max_delay)


@dataclass
class Supervisor:
    """Polls the processes of a suite (`poll(name) -> exit code or None`) and
    restarts the ones that exited (`restart(name)`)."""

    names: Callable[[], list[str]]
    poll: Callable[[str], int | None]
    restart: Callable[[str], None]
    logs_of: Callable[[str], str]
    policy: CrashPolicy = field(default_factory=CrashPolicy)
    clock: Callable[[], float] = time.monotonic
    # name -> when it is due to start again
    pending: dict[str, float] = field(default_factory=dict)

    def check(self) -> str | None:
        """One round; the name of a process that keeps crashing (stop the suite)."""
        now = self.clock()
        for name in self.names():
            if name in self.pending:
                if now >= self.pending[name]:
                    del self.pending[name]
                    log.info("restarting %s", name)
                    self.restart(name)
                continue
            code = self.poll(name)
            if code is None:
                continue
            delay = self.policy.on_crash(name, now)
            if delay is None:
                log.error(
                    "%s keeps crashing (exit %s, %d times in %.0f s); stopping. See %s",
                    name,
                    code,
                    len(self.policy.crashes[name]),
                    self.policy.window_seconds,
                    self.logs_of(name),
                )
                return name
            log.warning(
                "%s exited (%s); restarting in %.0f s. See %s",
                name,
                code,
                delay,
                self.logs_of(name),
            )
            self.pending[name] = now + delay
        return None
